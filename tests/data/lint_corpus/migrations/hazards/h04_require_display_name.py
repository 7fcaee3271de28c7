# SET NOT NULL with no valid check to prove it: a full scan under ACCESS EXCLUSIVE.
from contractspec import MigrationMeta, MigrationPlan, MigrationSpec, SchemaStep

display_name = MigrationSpec(
    meta=MigrationMeta(
        name="hazards.db.h04_require_display_name",
        version=1,
        title="Display names are required",
        domain="hazards",
        owners=["team-hazards"],
        stability="stable",
    ),
    plan=MigrationPlan(
        up=[
            SchemaStep(
                sql="ALTER TABLE users ALTER COLUMN display_name SET NOT NULL",
            ),
        ],
        # Irreversible on purpose: a seeded hazard, never applied.
        down=None,
    ),
    dependencies=["core.db.2025_01_users"],
)
# expect: migrations/hazards/h04_require_display_name.py:16:66: error adding-not-nullable-field @ SET NOT NULL
