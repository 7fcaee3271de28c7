# Dropping a live column: advice to ship the code that stops using it first.
from contractspec import MigrationMeta, MigrationPlan, MigrationSpec, SchemaStep

nickname = MigrationSpec(
    meta=MigrationMeta(
        name="warnings.db.w01_drop_nickname",
        version=1,
        title="Nicknames go",
        domain="warnings",
        owners=["team-warnings"],
        stability="stable",
    ),
    plan=MigrationPlan(
        up=[
            SchemaStep(
                sql="ALTER TABLE users DROP COLUMN nickname",
            ),
        ],
        # Irreversible on purpose: a seeded hazard, never applied.
        down=None,
    ),
    dependencies=["core.db.2025_06_nickname_backfill"],
)
# expect: migrations/warnings/w01_drop_nickname.py:16:40: warning ban-drop-column @ DROP COLUMN nickname
