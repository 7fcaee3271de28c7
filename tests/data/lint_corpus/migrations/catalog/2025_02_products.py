# The catalog: products, unique by SKU (an index built while the table is new).
from contractspec import MigrationMeta, MigrationPlan, MigrationSpec, SchemaStep

products = MigrationSpec(
    meta=MigrationMeta(
        name="catalog.db.2025_02_products",
        version=1,
        title="Products",
        domain="catalog",
        owners=["team-catalog"],
        stability="stable",
    ),
    plan=MigrationPlan(
        up=[
            SchemaStep(
                sql="""
CREATE TABLE products (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    sku text NOT NULL,
    title text NOT NULL,
    price_cents bigint NOT NULL
)
""",
            ),
            SchemaStep(
                sql="CREATE UNIQUE INDEX products_sku ON products (sku)",
            ),
        ],
        down=[
            SchemaStep(
                sql="DROP TABLE products",
            ),
        ],
    ),
    dependencies=["core.db.2025_01_accounts"],
)
