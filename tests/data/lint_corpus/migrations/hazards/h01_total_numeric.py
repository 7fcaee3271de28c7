# A column type change: the table and its indexes are rewritten under ACCESS EXCLUSIVE.
from contractspec import MigrationMeta, MigrationPlan, MigrationSpec, SchemaStep

numeric = MigrationSpec(
    meta=MigrationMeta(
        name="hazards.db.h01_total_numeric",
        version=1,
        title="Totals become numeric",
        domain="hazards",
        owners=["team-hazards"],
        stability="stable",
    ),
    plan=MigrationPlan(
        up=[
            SchemaStep(
                sql="ALTER TABLE orders ALTER COLUMN total_cents TYPE numeric(14, 2)",
            ),
        ],
        # Irreversible on purpose: a seeded hazard, never applied.
        down=None,
    ),
    dependencies=["billing.db.2025_02_orders"],
)
# expect: migrations/hazards/h01_total_numeric.py:16:66: error changing-column-type @ TYPE numeric
