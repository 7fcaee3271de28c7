# The later half of NOT VALID: validating in its own migration, its own transaction.
from contractspec import MigrationMeta, MigrationPlan, MigrationSpec, SchemaStep

validate_order_products = MigrationSpec(
    meta=MigrationMeta(
        name="billing.db.2025_06_validate_order_products",
        version=1,
        title="Validate orders' product key",
        domain="billing",
        owners=["team-billing"],
        stability="stable",
    ),
    plan=MigrationPlan(
        up=[
            SchemaStep(
                sql="ALTER TABLE orders VALIDATE CONSTRAINT orders_product_fk",
                description="Scan under SHARE UPDATE EXCLUSIVE: reads and writes go on",
            ),
        ],
        down=[

        ],
    ),
    dependencies=["billing.db.2025_05_order_products"],
)
