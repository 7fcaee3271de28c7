# NOT VALID, then VALIDATE outside the transaction: the ADD's lock is gone before the scan.
from contractspec import MigrationMeta, MigrationPlan, MigrationSpec, SchemaStep

positive_totals = MigrationSpec(
    meta=MigrationMeta(
        name="billing.db.2025_05_positive_totals",
        version=1,
        title="Order totals are positive",
        domain="billing",
        owners=["team-billing"],
        stability="stable",
    ),
    plan=MigrationPlan(
        up=[
            SchemaStep(
                sql="""
ALTER TABLE orders ADD CONSTRAINT orders_total_positive CHECK (total_cents > 0) NOT VALID
""",
            ),
            SchemaStep(
                sql="ALTER TABLE orders VALIDATE CONSTRAINT orders_total_positive",
                transactional=False,
            ),
        ],
        down=[
            SchemaStep(
                sql="ALTER TABLE orders DROP CONSTRAINT orders_total_positive",
            ),
        ],
    ),
    dependencies=["billing.db.2025_02_orders"],
)
