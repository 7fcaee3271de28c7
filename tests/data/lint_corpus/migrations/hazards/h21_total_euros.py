# A stored generated column is computed for every row: a rewrite.
from contractspec import MigrationMeta, MigrationPlan, MigrationSpec, SchemaStep

euros = MigrationSpec(
    meta=MigrationMeta(
        name="hazards.db.h21_total_euros",
        version=1,
        title="Orders show euros",
        domain="hazards",
        owners=["team-hazards"],
        stability="stable",
    ),
    plan=MigrationPlan(
        up=[
            SchemaStep(
                sql="""
ALTER TABLE orders ADD COLUMN total_euros numeric GENERATED ALWAYS AS (total_cents / 100.0) STORED
""",
            ),
        ],
        # Irreversible on purpose: a seeded hazard, never applied.
        down=None,
    ),
    dependencies=["billing.db.2025_02_orders"],
)
# expect: migrations/hazards/h21_total_euros.py:17:51: error adding-field-with-default @ GENERATED ALWAYS AS (total_cents
