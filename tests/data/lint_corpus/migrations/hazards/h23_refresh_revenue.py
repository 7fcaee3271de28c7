# A refresh without CONCURRENTLY locks out the view's readers.
from contractspec import MigrationMeta, MigrationPlan, MigrationSpec, SchemaStep

revenue = MigrationSpec(
    meta=MigrationMeta(
        name="hazards.db.h23_refresh_revenue",
        version=1,
        title="Refresh the revenue summary",
        domain="hazards",
        owners=["team-hazards"],
        stability="stable",
    ),
    plan=MigrationPlan(
        up=[
            SchemaStep(
                sql="REFRESH MATERIALIZED VIEW revenue_by_day",
            ),
        ],
        # Irreversible on purpose: a seeded hazard, never applied.
        down=None,
    ),
    dependencies=["billing.db.2025_07_revenue_summary"],
)
# expect: migrations/hazards/h23_refresh_revenue.py:16:22: error table-rewrite @ REFRESH MATERIALIZED VIEW
