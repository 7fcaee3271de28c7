# Version 2 reworks billing.db.2025_02_add_orders: orders get a status.
# It runs after version 1 (a higher version depends on the one before it).
from contractspec import (
    MigrationCheck,
    MigrationMeta,
    MigrationPlan,
    MigrationSpec,
    SchemaStep,
)

add_order_status = MigrationSpec(
    meta=MigrationMeta(
        name="billing.db.2025_02_add_orders",
        version=2,
        title="Add orders table, with a status",
        domain="billing",
        owners=["team-billing"],
        tags=["schema", "orders"],
        stability="beta",
    ),
    plan=MigrationPlan(
        up=[
            SchemaStep(
                sql="ALTER TABLE orders ADD COLUMN status TEXT NOT NULL DEFAULT 'open'",
                description="Add a status to orders",
                timeout_ms=10000,
                retries=2,
                post_checks=[
                    MigrationCheck(
                        description="no order lacks a status",
                        expression="SELECT COUNT(*) = 0 FROM orders WHERE status IS NULL",
                    )
                ],
            ),
            SchemaStep(
                sql="CREATE INDEX orders_status ON orders (status)",
                description="Index orders by status",
            ),
        ],
        down=[
            SchemaStep(
                sql="DROP INDEX orders_status", description="Drop the status index"
            ),
            SchemaStep(
                sql="ALTER TABLE orders DROP COLUMN status",
                description="Drop the status",
            ),
        ],
    ),
)
