# A new type: no table is touched.
from contractspec import MigrationMeta, MigrationPlan, MigrationSpec, SchemaStep

order_status_enum = MigrationSpec(
    meta=MigrationMeta(
        name="billing.db.2025_05_order_status_enum",
        version=1,
        title="A type for order statuses",
        domain="billing",
        owners=["team-billing"],
        stability="stable",
    ),
    plan=MigrationPlan(
        up=[
            SchemaStep(
                sql="""
CREATE TYPE order_status AS ENUM ('open', 'paid', 'shipped', 'cancelled')
""",
            ),
        ],
        down=[
            SchemaStep(
                sql="DROP TYPE order_status",
            ),
        ],
    ),
    dependencies=["billing.db.2025_02_orders"],
)
