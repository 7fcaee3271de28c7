# A nullable column: PostgreSQL only writes the catalog; the down plan drops what the up added.
from contractspec import MigrationMeta, MigrationPlan, MigrationSpec, SchemaStep

user_nickname = MigrationSpec(
    meta=MigrationMeta(
        name="core.db.2025_04_user_nickname",
        version=1,
        title="Users get a nickname",
        domain="core",
        owners=["team-core"],
        stability="stable",
    ),
    plan=MigrationPlan(
        up=[
            SchemaStep(
                sql="ALTER TABLE users ADD COLUMN nickname text",
            ),
        ],
        down=[
            SchemaStep(
                sql="ALTER TABLE users DROP COLUMN nickname",
            ),
        ],
    ),
    dependencies=["core.db.2025_01_users"],
)
