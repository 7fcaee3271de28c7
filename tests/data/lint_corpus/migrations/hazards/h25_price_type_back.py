# A clean up; the down plan restores the old ways with three hazards: reported once.
from contractspec import MigrationMeta, MigrationPlan, MigrationSpec, SchemaStep

type_back = MigrationSpec(
    meta=MigrationMeta(
        name="hazards.db.h25_price_type_back",
        version=1,
        title="Prices in a new column",
        domain="hazards",
        owners=["team-hazards"],
        stability="stable",
    ),
    plan=MigrationPlan(
        up=[
            SchemaStep(
                sql="ALTER TABLE products ADD COLUMN price numeric(12, 2)",
            ),
        ],
        down=[
            SchemaStep(
                sql="""
ALTER TABLE products DROP COLUMN price;
ALTER TABLE products ALTER COLUMN price_cents TYPE integer;
CREATE INDEX products_price ON products (price_cents);
ALTER TABLE products ADD CONSTRAINT products_price_known CHECK (price_cents IS NOT NULL);
""",
            ),
        ],
    ),
    dependencies=["catalog.db.2025_02_products"],
)
# expect: migrations/hazards/h25_price_type_back.py:23:47: error changing-column-type @ TYPE integer
