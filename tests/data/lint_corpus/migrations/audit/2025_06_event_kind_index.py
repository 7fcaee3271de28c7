# A long concurrent build with its own timeout.
from contractspec import MigrationMeta, MigrationPlan, MigrationSpec, SchemaStep

event_kind_index = MigrationSpec(
    meta=MigrationMeta(
        name="audit.db.2025_06_event_kind_index",
        version=1,
        title="Index events by kind",
        domain="audit",
        owners=["team-audit"],
        stability="stable",
    ),
    plan=MigrationPlan(
        up=[
            SchemaStep(
                sql="CREATE INDEX CONCURRENTLY IF NOT EXISTS events_kind ON events (kind)",
                transactional=False,
                timeout_ms=600000,
            ),
        ],
        down=[
            SchemaStep(
                sql="DROP INDEX CONCURRENTLY IF EXISTS events_kind",
                transactional=False,
            ),
        ],
    ),
    dependencies=["audit.db.2025_03_events"],
)
