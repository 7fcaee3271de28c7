# A unique constraint without a locked build: the index first, concurrently, then the constraint on it.
from contractspec import MigrationMeta, MigrationPlan, MigrationSpec, SchemaStep

unique_titles = MigrationSpec(
    meta=MigrationMeta(
        name="catalog.db.2025_04_unique_titles",
        version=1,
        title="Product titles are unique",
        domain="catalog",
        owners=["team-catalog"],
        stability="stable",
    ),
    plan=MigrationPlan(
        up=[
            SchemaStep(
                sql="CREATE UNIQUE INDEX CONCURRENTLY products_title ON products (title)",
                transactional=False,
            ),
            SchemaStep(
                sql="""
ALTER TABLE products ADD CONSTRAINT products_title_unique UNIQUE USING INDEX products_title
""",
            ),
        ],
        down=[
            SchemaStep(
                sql="ALTER TABLE products DROP CONSTRAINT products_title_unique",
            ),
        ],
    ),
    dependencies=["catalog.db.2025_02_products"],
)
