# Orders: a new table, indexed and constrained in the migration that creates it.
from contractspec import MigrationMeta, MigrationPlan, MigrationSpec, SchemaStep

orders = MigrationSpec(
    meta=MigrationMeta(
        name="billing.db.2025_02_orders",
        version=1,
        title="Orders",
        domain="billing",
        owners=["team-billing"],
        stability="stable",
    ),
    plan=MigrationPlan(
        up=[
            SchemaStep(
                sql="""
CREATE TABLE orders (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id bigint NOT NULL REFERENCES users (id),
    total_cents bigint NOT NULL CHECK (total_cents >= 0),
    status text,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX orders_user ON orders (user_id);
ALTER TABLE orders ADD CONSTRAINT orders_status_known
    CHECK (status IN ('open', 'paid', 'shipped', 'cancelled'));
""",
                description="Orders, their user index and known statuses",
            ),
        ],
        down=[
            SchemaStep(
                sql="DROP TABLE orders",
            ),
        ],
    ),
    dependencies=["core.db.2025_01_users"],
)
