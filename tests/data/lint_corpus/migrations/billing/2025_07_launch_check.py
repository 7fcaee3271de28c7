# A validation step: one read-only query.
from contractspec import MigrationMeta, MigrationPlan, MigrationSpec, ValidationStep

launch_check = MigrationSpec(
    meta=MigrationMeta(
        name="billing.db.2025_07_launch_check",
        version=1,
        title="Validate billing data before launch",
        domain="billing",
        owners=["team-billing"],
        stability="stable",
    ),
    plan=MigrationPlan(
        up=[
            ValidationStep(
                assertion="SELECT count(*) = 0 FROM orders WHERE total_cents < 0",
                description="No order has a negative total",
            ),
        ],
        down=[

        ],
    ),
    dependencies=["billing.db.2025_05_positive_totals"],
)
