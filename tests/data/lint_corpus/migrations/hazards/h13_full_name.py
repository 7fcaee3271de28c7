# A rename: running code that names display_name fails at commit.
from contractspec import MigrationMeta, MigrationPlan, MigrationSpec, SchemaStep

name = MigrationSpec(
    meta=MigrationMeta(
        name="hazards.db.h13_full_name",
        version=1,
        title="display_name becomes full_name",
        domain="hazards",
        owners=["team-hazards"],
        stability="stable",
    ),
    plan=MigrationPlan(
        up=[
            SchemaStep(
                sql="ALTER TABLE users RENAME COLUMN display_name TO full_name",
            ),
        ],
        # Irreversible on purpose: a seeded hazard, never applied.
        down=None,
    ),
    dependencies=["core.db.2025_01_users"],
)
# expect: migrations/hazards/h13_full_name.py:16:40: error renaming-column @ RENAME COLUMN
