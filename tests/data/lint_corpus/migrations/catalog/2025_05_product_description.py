# A column and its index; the down plan undoes exactly what the up made.
from contractspec import MigrationMeta, MigrationPlan, MigrationSpec, SchemaStep

product_description = MigrationSpec(
    meta=MigrationMeta(
        name="catalog.db.2025_05_product_description",
        version=1,
        title="Products get a description",
        domain="catalog",
        owners=["team-catalog"],
        stability="stable",
    ),
    plan=MigrationPlan(
        up=[
            SchemaStep(
                sql="ALTER TABLE products ADD COLUMN description text",
            ),
            SchemaStep(
                sql="""
CREATE INDEX CONCURRENTLY products_description ON products (description)
""",
                transactional=False,
            ),
        ],
        down=[
            SchemaStep(
                sql="DROP INDEX products_description",
            ),
            SchemaStep(
                sql="ALTER TABLE products DROP COLUMN description",
            ),
        ],
    ),
    dependencies=["catalog.db.2025_02_products"],
)
