# Dropping NOT NULL on a live column: running code may read NULLs.
from contractspec import MigrationMeta, MigrationPlan, MigrationSpec, SchemaStep

email = MigrationSpec(
    meta=MigrationMeta(
        name="warnings.db.w05_optional_email",
        version=1,
        title="Emails become optional",
        domain="warnings",
        owners=["team-warnings"],
        stability="stable",
    ),
    plan=MigrationPlan(
        up=[
            SchemaStep(
                sql="ALTER TABLE users ALTER COLUMN email DROP NOT NULL",
            ),
        ],
        # Irreversible on purpose: a seeded hazard, never applied.
        down=None,
    ),
    dependencies=["core.db.2025_01_users"],
)
# expect: migrations/warnings/w05_optional_email.py:16:59: warning ban-drop-not-null @ DROP NOT NULL
