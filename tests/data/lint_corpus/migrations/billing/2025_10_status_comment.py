# A comment: catalog only.
from contractspec import MigrationMeta, MigrationPlan, MigrationSpec, SchemaStep

status_comment = MigrationSpec(
    meta=MigrationMeta(
        name="billing.db.2025_10_status_comment",
        version=1,
        title="Document order statuses",
        domain="billing",
        owners=["team-billing"],
        stability="stable",
    ),
    plan=MigrationPlan(
        up=[
            SchemaStep(
                sql="COMMENT ON COLUMN orders.status IS 'open, paid, shipped or cancelled'",
            ),
        ],
        down=[
            SchemaStep(
                sql="COMMENT ON COLUMN orders.status IS NULL",
            ),
        ],
    ),
    dependencies=["billing.db.2025_02_orders"],
)
