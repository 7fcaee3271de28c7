# History starts with today's prices.
from contractspec import DataStep, MigrationCheck, MigrationMeta, MigrationPlan, MigrationSpec, SchemaStep

product_prices_history = MigrationSpec(
    meta=MigrationMeta(
        name="catalog.db.2025_06_product_prices_history",
        version=1,
        title="Price history",
        domain="catalog",
        owners=["team-catalog"],
        stability="stable",
    ),
    plan=MigrationPlan(
        up=[
            SchemaStep(
                sql="""
CREATE TABLE product_prices (
    product_id bigint NOT NULL REFERENCES products (id),
    price_cents bigint NOT NULL,
    valid_from timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (product_id, valid_from)
)
""",
            ),
            DataStep(
                script="""
INSERT INTO product_prices (product_id, price_cents) SELECT id, price_cents FROM products
""",
                post_checks=[
                    MigrationCheck(description="every product has a price", expression="SELECT count(*) = 0 FROM products p WHERE NOT EXISTS (SELECT 1 FROM product_prices h WHERE h.product_id = p.id)")
                ],
            ),
        ],
        down=[
            SchemaStep(
                sql="DROP TABLE product_prices",
            ),
        ],
    ),
    dependencies=["catalog.db.2025_02_products"],
)
