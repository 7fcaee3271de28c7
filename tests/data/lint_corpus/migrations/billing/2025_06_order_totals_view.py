# A view over live tables: created, and dropped by its own down plan.
from contractspec import MigrationMeta, MigrationPlan, MigrationSpec, SchemaStep

order_totals_view = MigrationSpec(
    meta=MigrationMeta(
        name="billing.db.2025_06_order_totals_view",
        version=1,
        title="A view of totals per account",
        domain="billing",
        owners=["team-billing"],
        stability="stable",
    ),
    plan=MigrationPlan(
        up=[
            SchemaStep(
                sql="""
CREATE VIEW account_order_totals AS
SELECT u.account_id, sum(o.total_cents) AS total_cents
FROM orders o JOIN users u ON u.id = o.user_id
GROUP BY u.account_id
""",
            ),
        ],
        down=[
            SchemaStep(
                sql="DROP VIEW account_order_totals",
            ),
        ],
    ),
    dependencies=["billing.db.2025_02_orders"],
)
