# NOT NULL with a constant default: stored once in the catalog (PostgreSQL 11+), no rewrite.
from contractspec import MigrationMeta, MigrationPlan, MigrationSpec, SchemaStep

order_currency = MigrationSpec(
    meta=MigrationMeta(
        name="billing.db.2025_04_order_currency",
        version=1,
        title="Orders get a currency",
        domain="billing",
        owners=["team-billing"],
        stability="stable",
    ),
    plan=MigrationPlan(
        up=[
            SchemaStep(
                sql="ALTER TABLE orders ADD COLUMN currency text NOT NULL DEFAULT 'EUR'",
            ),
        ],
        down=[
            SchemaStep(
                sql="ALTER TABLE orders DROP COLUMN currency",
            ),
        ],
    ),
    dependencies=["billing.db.2025_02_orders"],
)
