# A nullable column, backfilled in batches by a .sql file.
from contractspec import DataStep, MigrationCheck, MigrationMeta, MigrationPlan, MigrationSpec, SchemaStep

invoice_totals = MigrationSpec(
    meta=MigrationMeta(
        name="billing.db.2025_09_invoice_totals",
        version=1,
        title="Invoices carry their total",
        domain="billing",
        owners=["team-billing"],
        stability="stable",
    ),
    plan=MigrationPlan(
        up=[
            SchemaStep(
                sql="ALTER TABLE invoices ADD COLUMN total_cents bigint",
            ),
            DataStep(
                script="backfill_invoice_totals.sql",
                batch_size=500,
                post_checks=[
                    MigrationCheck(description="every invoice has a total", expression="SELECT count(*) = 0 FROM invoices WHERE total_cents IS NULL")
                ],
            ),
        ],
        down=[
            SchemaStep(
                sql="ALTER TABLE invoices DROP COLUMN total_cents",
            ),
        ],
    ),
    dependencies=["billing.db.2025_03_invoices"],
)
