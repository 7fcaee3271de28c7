# A foreign key without NOT VALID: writes to both tables wait for the scan.
from contractspec import MigrationMeta, MigrationPlan, MigrationSpec, SchemaStep

accounts = MigrationSpec(
    meta=MigrationMeta(
        name="hazards.db.h07_invoice_accounts",
        version=1,
        title="Invoices refer to their account",
        domain="hazards",
        owners=["team-hazards"],
        stability="stable",
    ),
    plan=MigrationPlan(
        up=[
            SchemaStep(
                sql="""
ALTER TABLE invoices
    ADD CONSTRAINT invoices_account_fk FOREIGN KEY (account_id) REFERENCES accounts (id)
""",
            ),
        ],
        # Irreversible on purpose: a seeded hazard, never applied.
        down=None,
    ),
    dependencies=["billing.db.2025_03_invoices", "core.db.2025_01_accounts"],
)
# expect: migrations/hazards/h07_invoice_accounts.py:18:9: error adding-foreign-key-constraint @ CONSTRAINT invoices_account_fk
