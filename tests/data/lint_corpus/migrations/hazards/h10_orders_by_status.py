# An index built without CONCURRENTLY: writes to orders wait.
from contractspec import MigrationMeta, MigrationPlan, MigrationSpec, SchemaStep

by_status = MigrationSpec(
    meta=MigrationMeta(
        name="hazards.db.h10_orders_by_status",
        version=1,
        title="Index orders by status",
        domain="hazards",
        owners=["team-hazards"],
        stability="stable",
    ),
    plan=MigrationPlan(
        up=[
            SchemaStep(
                sql="CREATE INDEX orders_status ON orders (status)",
            ),
        ],
        # Irreversible on purpose: a seeded hazard, never applied.
        down=None,
    ),
    dependencies=["billing.db.2025_02_orders"],
)
# expect: migrations/hazards/h10_orders_by_status.py:16:22: error require-concurrent-index-creation @ CREATE INDEX orders_status
