# NOT NULL without a default: fails on a table with rows.
from contractspec import MigrationMeta, MigrationPlan, MigrationSpec, SchemaStep

region = MigrationSpec(
    meta=MigrationMeta(
        name="hazards.db.h05_order_region",
        version=1,
        title="Orders get a region",
        domain="hazards",
        owners=["team-hazards"],
        stability="stable",
    ),
    plan=MigrationPlan(
        up=[
            SchemaStep(
                sql="ALTER TABLE orders ADD COLUMN region text NOT NULL",
            ),
        ],
        # Irreversible on purpose: a seeded hazard, never applied.
        down=None,
    ),
    dependencies=["billing.db.2025_02_orders"],
)
# expect: migrations/hazards/h05_order_region.py:16:41: error adding-required-field @ ADD COLUMN region
