# A table rename: running code that names events fails at commit.
from contractspec import MigrationMeta, MigrationPlan, MigrationSpec, SchemaStep

events = MigrationSpec(
    meta=MigrationMeta(
        name="hazards.db.h14_audit_events",
        version=1,
        title="events becomes audit_events",
        domain="hazards",
        owners=["team-hazards"],
        stability="stable",
    ),
    plan=MigrationPlan(
        up=[
            SchemaStep(
                sql="ALTER TABLE events RENAME TO audit_events",
            ),
        ],
        # Irreversible on purpose: a seeded hazard, never applied.
        down=None,
    ),
    dependencies=["audit.db.2025_03_events"],
)
# expect: migrations/hazards/h14_audit_events.py:16:41: error renaming-table @ RENAME TO
