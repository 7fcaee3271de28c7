# NOT VALID then VALIDATE in one transaction: the ADD's lock is held through the scan.
from contractspec import MigrationMeta, MigrationPlan, MigrationSpec, SchemaStep

in_same_transaction = MigrationSpec(
    meta=MigrationMeta(
        name="hazards.db.h20_validate_in_same_transaction",
        version=1,
        title="Known order statuses, validated",
        domain="hazards",
        owners=["team-hazards"],
        stability="stable",
    ),
    plan=MigrationPlan(
        up=[
            SchemaStep(
                sql="""
ALTER TABLE orders ADD CONSTRAINT orders_status_present CHECK (status IS NOT NULL) NOT VALID;
ALTER TABLE orders VALIDATE CONSTRAINT orders_status_present;
""",
            ),
        ],
        # Irreversible on purpose: a seeded hazard, never applied.
        down=None,
    ),
    dependencies=["billing.db.2025_02_orders"],
)
# expect: migrations/hazards/h20_validate_in_same_transaction.py:18:20: error constraint-missing-not-valid @ VALIDATE CONSTRAINT
