# An index on a live table, built without blocking writes, outside the transaction.
from contractspec import MigrationMeta, MigrationPlan, MigrationSpec, SchemaStep

orders_by_date = MigrationSpec(
    meta=MigrationMeta(
        name="billing.db.2025_04_orders_by_date",
        version=1,
        title="Index orders by date",
        domain="billing",
        owners=["team-billing"],
        stability="stable",
    ),
    plan=MigrationPlan(
        up=[
            SchemaStep(
                sql="CREATE INDEX CONCURRENTLY orders_created_at ON orders (created_at)",
                transactional=False,
            ),
        ],
        down=[
            SchemaStep(
                sql="DROP INDEX CONCURRENTLY orders_created_at",
                transactional=False,
            ),
        ],
    ),
    dependencies=["billing.db.2025_02_orders"],
)
