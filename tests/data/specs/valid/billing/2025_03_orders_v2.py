# Version 2 of billing.db.2025_03_orders; data steps pointing at files and callables.
from contractspec import DataStep, MigrationMeta, MigrationPlan, MigrationSpec

orders_v2 = MigrationSpec(
    meta=MigrationMeta(
        name="billing.db.2025_03_orders",
        version=2,
        title="Orders: résumé of totals → cents",  # non-ASCII text is fine
        domain="billing",
        owners=["team-billing", "zoë@example.com"],
        stability="deprecated",
    ),
    plan=MigrationPlan(
        up=[
            DataStep(script="sql/backfill_totals.sql", description="A .sql file next to the spec"),
            DataStep(script="_totals.py:recompute", timeout_ms=60000, retries=5),
            DataStep(script="billing_tools.totals:recompute"),
        ],
    ),
    dependencies=["billing.db.2025_03_orders.v1", "core.db.2025_02_positional"],
)
