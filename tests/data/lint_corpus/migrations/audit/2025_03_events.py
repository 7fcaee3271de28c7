# An append-only event log (no primary key yet: it came from a legacy system).
from contractspec import MigrationMeta, MigrationPlan, MigrationSpec, SchemaStep

events = MigrationSpec(
    meta=MigrationMeta(
        name="audit.db.2025_03_events",
        version=1,
        title="Audit events",
        domain="audit",
        owners=["team-audit"],
        stability="stable",
    ),
    plan=MigrationPlan(
        up=[
            SchemaStep(
                sql="""
CREATE TABLE events (
    id bigint NOT NULL,
    account_id bigint,
    kind text NOT NULL,
    payload jsonb,
    at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX events_at ON events (at);
""",
            ),
        ],
        down=[
            SchemaStep(
                sql="DROP TABLE events",
            ),
        ],
    ),
    dependencies=["core.db.2025_01_accounts"],
)
