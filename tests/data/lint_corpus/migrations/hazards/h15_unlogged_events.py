# SET UNLOGGED rewrites the table.
from contractspec import MigrationMeta, MigrationPlan, MigrationSpec, SchemaStep

events = MigrationSpec(
    meta=MigrationMeta(
        name="hazards.db.h15_unlogged_events",
        version=1,
        title="Events skip the WAL",
        domain="hazards",
        owners=["team-hazards"],
        stability="stable",
    ),
    plan=MigrationPlan(
        up=[
            SchemaStep(
                sql="ALTER TABLE events SET UNLOGGED",
            ),
        ],
        # Irreversible on purpose: a seeded hazard, never applied.
        down=None,
    ),
    dependencies=["audit.db.2025_03_events"],
)
# expect: migrations/hazards/h15_unlogged_events.py:16:22: error table-rewrite @ ALTER TABLE events SET UNLOGGED
