# A concurrent refresh: readers of the view are not blocked.
from contractspec import MigrationMeta, MigrationPlan, MigrationSpec, SchemaStep

refresh_revenue = MigrationSpec(
    meta=MigrationMeta(
        name="billing.db.2025_08_refresh_revenue",
        version=1,
        title="Refresh the revenue summary",
        domain="billing",
        owners=["team-billing"],
        stability="stable",
    ),
    plan=MigrationPlan(
        up=[
            SchemaStep(
                sql="REFRESH MATERIALIZED VIEW CONCURRENTLY revenue_by_day",
            ),
        ],
        down=[

        ],
    ),
    dependencies=["billing.db.2025_07_revenue_summary"],
)
