# A serial column's default is nextval(): a rewrite that squawk does not see.
from contractspec import MigrationMeta, MigrationPlan, MigrationSpec, SchemaStep

position = MigrationSpec(
    meta=MigrationMeta(
        name="hazards.db.h16_product_position",
        version=1,
        title="Products get a position",
        domain="hazards",
        owners=["team-hazards"],
        stability="stable",
    ),
    plan=MigrationPlan(
        up=[
            SchemaStep(
                sql="ALTER TABLE products ADD COLUMN position bigserial",
            ),
        ],
        # Irreversible on purpose: a seeded hazard, never applied.
        down=None,
    ),
    dependencies=["catalog.db.2025_02_products"],
)
# expect: migrations/hazards/h16_product_position.py:16:54: error table-rewrite @ position bigserial
# expect: migrations/hazards/h16_product_position.py:16:63: warning prefer-identity @ bigserial
