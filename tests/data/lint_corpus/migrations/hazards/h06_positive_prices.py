# A CHECK without NOT VALID: every row checked under ACCESS EXCLUSIVE.
from contractspec import MigrationMeta, MigrationPlan, MigrationSpec, SchemaStep

prices = MigrationSpec(
    meta=MigrationMeta(
        name="hazards.db.h06_positive_prices",
        version=1,
        title="Prices are positive",
        domain="hazards",
        owners=["team-hazards"],
        stability="stable",
    ),
    plan=MigrationPlan(
        up=[
            SchemaStep(
                sql="""
ALTER TABLE products ADD CONSTRAINT products_price_positive CHECK (price_cents > 0)
""",
            ),
        ],
        # Irreversible on purpose: a seeded hazard, never applied.
        down=None,
    ),
    dependencies=["catalog.db.2025_02_products"],
)
# expect: migrations/hazards/h06_positive_prices.py:17:22: error constraint-missing-not-valid @ ADD CONSTRAINT products_price_positive
