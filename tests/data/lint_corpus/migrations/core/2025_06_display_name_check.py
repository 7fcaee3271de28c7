# Step 1 of NOT NULL the safe way: a NOT NULL check that only new rows must pass.
from contractspec import MigrationMeta, MigrationPlan, MigrationSpec, SchemaStep

display_name_check = MigrationSpec(
    meta=MigrationMeta(
        name="core.db.2025_06_display_name_check",
        version=1,
        title="Display names will be required",
        domain="core",
        owners=["team-core"],
        stability="stable",
    ),
    plan=MigrationPlan(
        up=[
            SchemaStep(
                sql="""
ALTER TABLE users ADD CONSTRAINT users_display_name_present
    CHECK (display_name IS NOT NULL) NOT VALID
""",
            ),
        ],
        down=[
            SchemaStep(
                sql="ALTER TABLE users DROP CONSTRAINT users_display_name_present",
            ),
        ],
    ),
    dependencies=["core.db.2025_05_backfill_display_names"],
)
