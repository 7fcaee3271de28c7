# VACUUM FULL rewrites the table under ACCESS EXCLUSIVE.
from contractspec import MigrationMeta, MigrationPlan, MigrationSpec, SchemaStep

events = MigrationSpec(
    meta=MigrationMeta(
        name="hazards.db.h17_compact_events",
        version=1,
        title="Compact the event log",
        domain="hazards",
        owners=["team-hazards"],
        stability="stable",
    ),
    plan=MigrationPlan(
        up=[
            SchemaStep(
                sql="VACUUM FULL events",
                transactional=False,
            ),
        ],
        # Irreversible on purpose: a seeded hazard, never applied.
        down=None,
    ),
    dependencies=["audit.db.2025_03_events"],
)
# expect: migrations/hazards/h17_compact_events.py:16:29: error table-rewrite @ FULL events
