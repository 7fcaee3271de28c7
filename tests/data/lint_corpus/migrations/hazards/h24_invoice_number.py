# The hazard sits in a .sql file: reported at that file's line.
from contractspec import MigrationMeta, MigrationPlan, MigrationSpec, SchemaStep

number = MigrationSpec(
    meta=MigrationMeta(
        name="hazards.db.h24_invoice_number",
        version=1,
        title="Invoices get a number",
        domain="hazards",
        owners=["team-hazards"],
        stability="stable",
    ),
    plan=MigrationPlan(
        up=[
            SchemaStep(
                sql="h24_invoice_number.sql",
            ),
        ],
        # Irreversible on purpose: a seeded hazard, never applied.
        down=None,
    ),
    dependencies=["billing.db.2025_03_invoices"],
)
# expect: migrations/hazards/h24_invoice_number.sql:3:1: error require-concurrent-index-creation @ CREATE UNIQUE INDEX
