# clock_timestamp() is volatile (unlike now()): a rewrite.
from contractspec import MigrationMeta, MigrationPlan, MigrationSpec, SchemaStep

now = MigrationSpec(
    meta=MigrationMeta(
        name="hazards.db.h26_timestamp_now",
        version=1,
        title="Orders record their shipping time",
        domain="hazards",
        owners=["team-hazards"],
        stability="stable",
    ),
    plan=MigrationPlan(
        up=[
            SchemaStep(
                sql="""
ALTER TABLE orders ADD COLUMN shipped_at timestamptz DEFAULT clock_timestamp()
""",
            ),
        ],
        # Irreversible on purpose: a seeded hazard, never applied.
        down=None,
    ),
    dependencies=["billing.db.2025_02_orders"],
)
# expect: migrations/hazards/h26_timestamp_now.py:17:62: error adding-field-with-default @ clock_timestamp()
