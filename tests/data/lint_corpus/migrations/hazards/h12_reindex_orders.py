# REINDEX without CONCURRENTLY blocks writes.
from contractspec import MigrationMeta, MigrationPlan, MigrationSpec, SchemaStep

orders = MigrationSpec(
    meta=MigrationMeta(
        name="hazards.db.h12_reindex_orders",
        version=1,
        title="Rebuild the order indexes",
        domain="hazards",
        owners=["team-hazards"],
        stability="stable",
    ),
    plan=MigrationPlan(
        up=[
            SchemaStep(
                sql="REINDEX TABLE orders",
            ),
        ],
        # Irreversible on purpose: a seeded hazard, never applied.
        down=None,
    ),
    dependencies=["billing.db.2025_02_orders"],
)
# expect: migrations/hazards/h12_reindex_orders.py:16:22: error require-concurrent-reindex @ REINDEX TABLE
