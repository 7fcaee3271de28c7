# Step 2: validated while reads and writes go on.
from contractspec import MigrationMeta, MigrationPlan, MigrationSpec, SchemaStep

validate_display_name = MigrationSpec(
    meta=MigrationMeta(
        name="core.db.2025_07_validate_display_name",
        version=1,
        title="Validate the display name check",
        domain="core",
        owners=["team-core"],
        stability="stable",
    ),
    plan=MigrationPlan(
        up=[
            SchemaStep(
                sql="ALTER TABLE users VALIDATE CONSTRAINT users_display_name_present",
            ),
        ],
        down=[

        ],
    ),
    dependencies=["core.db.2025_06_display_name_check"],
)
