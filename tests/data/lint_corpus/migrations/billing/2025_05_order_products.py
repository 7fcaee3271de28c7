# A foreign key added NOT VALID: only new rows are checked, no scan under the lock.
from contractspec import MigrationMeta, MigrationPlan, MigrationSpec, SchemaStep

order_products = MigrationSpec(
    meta=MigrationMeta(
        name="billing.db.2025_05_order_products",
        version=1,
        title="Orders refer to a product",
        domain="billing",
        owners=["team-billing"],
        stability="stable",
    ),
    plan=MigrationPlan(
        up=[
            SchemaStep(
                sql="""
ALTER TABLE orders ADD COLUMN product_id bigint;
ALTER TABLE orders ADD CONSTRAINT orders_product_fk
    FOREIGN KEY (product_id) REFERENCES products (id) NOT VALID;
""",
            ),
        ],
        down=[
            SchemaStep(
                sql="""
ALTER TABLE orders DROP CONSTRAINT orders_product_fk, DROP COLUMN product_id
""",
            ),
        ],
    ),
    dependencies=["billing.db.2025_02_orders", "catalog.db.2025_02_products"],
)
