# A table created under a working name and renamed in the same migration: still new.
from contractspec import MigrationMeta, MigrationPlan, MigrationSpec, SchemaStep

event_staging = MigrationSpec(
    meta=MigrationMeta(
        name="audit.db.2025_04_event_staging",
        version=1,
        title="A staging table for event imports",
        domain="audit",
        owners=["team-audit"],
        stability="stable",
    ),
    plan=MigrationPlan(
        up=[
            SchemaStep(
                sql="""
CREATE TABLE event_imports_new (batch text NOT NULL, line bigint NOT NULL, raw jsonb);
ALTER TABLE event_imports_new RENAME TO event_imports;
CREATE INDEX event_imports_batch ON event_imports (batch);
""",
            ),
        ],
        down=[
            SchemaStep(
                sql="DROP TABLE event_imports",
            ),
        ],
    ),
    dependencies=["audit.db.2025_03_events"],
)
