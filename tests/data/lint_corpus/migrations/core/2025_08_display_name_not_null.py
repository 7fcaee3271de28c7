# Step 3: the valid check proves no NULL, so SET NOT NULL skips its scan; the check then goes.
from contractspec import MigrationMeta, MigrationPlan, MigrationSpec, SchemaStep

display_name_not_null = MigrationSpec(
    meta=MigrationMeta(
        name="core.db.2025_08_display_name_not_null",
        version=1,
        title="Display names are required",
        domain="core",
        owners=["team-core"],
        stability="stable",
    ),
    plan=MigrationPlan(
        up=[
            SchemaStep(
                sql="""
ALTER TABLE users ALTER COLUMN display_name SET NOT NULL;
ALTER TABLE users DROP CONSTRAINT users_display_name_present;
""",
            ),
        ],
        down=[
            SchemaStep(
                sql="""
ALTER TABLE users ALTER COLUMN display_name DROP NOT NULL;
ALTER TABLE users ADD CONSTRAINT users_display_name_present
    CHECK (display_name IS NOT NULL) NOT VALID;
""",
            ),
        ],
    ),
    dependencies=["core.db.2025_07_validate_display_name"],
)
