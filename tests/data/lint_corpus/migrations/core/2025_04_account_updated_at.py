# now() is stable, not volatile: evaluated once for the existing rows, no rewrite.
from contractspec import MigrationMeta, MigrationPlan, MigrationSpec, SchemaStep

account_updated_at = MigrationSpec(
    meta=MigrationMeta(
        name="core.db.2025_04_account_updated_at",
        version=1,
        title="Accounts record their last update",
        domain="core",
        owners=["team-core"],
        stability="stable",
    ),
    plan=MigrationPlan(
        up=[
            SchemaStep(
                sql="ALTER TABLE accounts ADD COLUMN updated_at timestamptz DEFAULT now()",
            ),
        ],
        down=[
            SchemaStep(
                sql="ALTER TABLE accounts DROP COLUMN updated_at",
            ),
        ],
    ),
    dependencies=["core.db.2025_01_accounts"],
)
