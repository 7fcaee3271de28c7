# A guard before billing goes live: the schema is what billing code expects.
from contractspec import (
    MigrationCheck,
    MigrationMeta,
    MigrationPlan,
    MigrationSpec,
    ValidationStep,
)

validate_orders = MigrationSpec(
    meta=MigrationMeta(
        name="billing.db.2025_04_validate_orders",
        version=1,
        title="Validate orders before launch",
        domain="billing",
        owners=["team-billing"],
        tags=["validation"],
        stability="experimental",
    ),
    plan=MigrationPlan(
        up=[
            ValidationStep(
                "SELECT COUNT(*) = 0 FROM orders WHERE total_cents < 0",
                description="No order has a negative total",
                timeout_ms=2000,
                pre_checks=[
                    MigrationCheck(
                        description="orders has a status column",
                        expression="SELECT COUNT(status) >= 0 FROM orders",
                    )
                ],
            ),
        ],
        down=[],
    ),
    dependencies=[
        "billing.db.2025_02_add_orders.v2",
        "core.db.2025_03_backfill_display_names",
    ],
)
