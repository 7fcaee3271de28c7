# Invoices group orders; the lines table refers to both.
from contractspec import MigrationMeta, MigrationPlan, MigrationSpec, SchemaStep

invoices = MigrationSpec(
    meta=MigrationMeta(
        name="billing.db.2025_03_invoices",
        version=1,
        title="Invoices and their lines",
        domain="billing",
        owners=["team-billing"],
        stability="stable",
    ),
    plan=MigrationPlan(
        up=[
            SchemaStep(
                sql="""
CREATE TABLE invoices (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_id bigint NOT NULL,
    issued_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE invoice_lines (
    invoice_id bigint NOT NULL REFERENCES invoices (id) ON DELETE CASCADE,
    order_id bigint NOT NULL REFERENCES orders (id),
    amount_cents bigint NOT NULL
);
CREATE INDEX invoice_lines_invoice ON invoice_lines (invoice_id);
""",
            ),
        ],
        down=[
            SchemaStep(
                sql="DROP TABLE invoice_lines; DROP TABLE invoices",
            ),
        ],
    ),
    dependencies=["billing.db.2025_02_orders"],
)
