# Orders cross domains: billing depends on core's users.
from contractspec import MigrationMeta, MigrationPlan, MigrationSpec, SchemaStep

add_orders = MigrationSpec(
    meta=MigrationMeta(
        name="billing.db.2025_02_add_orders",
        version=1,
        title="Add orders table",
        domain="billing",
        owners=["team-billing"],
        tags=["schema", "orders"],
        stability="stable",
    ),
    plan=MigrationPlan(
        up=[
            SchemaStep(
                sql="""
CREATE TABLE orders (
    id INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users (id),
    total_cents INTEGER NOT NULL CHECK (total_cents >= 0)
)
""",
                description="Create orders",
                timeout_ms=10000,
                retries=2,
            ),
        ],
        down=[SchemaStep(sql="DROP TABLE orders", description="Drop orders")],
    ),
    dependencies=["core.db.2025_01_add_users"],
)
