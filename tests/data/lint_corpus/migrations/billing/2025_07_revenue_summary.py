# A materialized view and the unique index a concurrent refresh needs.
from contractspec import MigrationMeta, MigrationPlan, MigrationSpec, SchemaStep

revenue_summary = MigrationSpec(
    meta=MigrationMeta(
        name="billing.db.2025_07_revenue_summary",
        version=1,
        title="A materialized revenue summary",
        domain="billing",
        owners=["team-billing"],
        stability="stable",
    ),
    plan=MigrationPlan(
        up=[
            SchemaStep(
                sql="""
CREATE MATERIALIZED VIEW revenue_by_day AS
SELECT date_trunc('day', created_at) AS day, sum(total_cents) AS total_cents
FROM orders GROUP BY 1;
CREATE UNIQUE INDEX revenue_by_day_day ON revenue_by_day (day);
""",
            ),
        ],
        down=[
            SchemaStep(
                sql="DROP MATERIALIZED VIEW revenue_by_day",
            ),
        ],
    ),
    dependencies=["billing.db.2025_02_orders"],
)
