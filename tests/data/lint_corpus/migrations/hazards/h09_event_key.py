# A primary key builds its index under ACCESS EXCLUSIVE.
from contractspec import MigrationMeta, MigrationPlan, MigrationSpec, SchemaStep

key = MigrationSpec(
    meta=MigrationMeta(
        name="hazards.db.h09_event_key",
        version=1,
        title="Events get a primary key",
        domain="hazards",
        owners=["team-hazards"],
        stability="stable",
    ),
    plan=MigrationPlan(
        up=[
            SchemaStep(
                sql="ALTER TABLE events ADD PRIMARY KEY (id)",
            ),
        ],
        # Irreversible on purpose: a seeded hazard, never applied.
        down=None,
    ),
    dependencies=["audit.db.2025_03_events"],
)
# expect: migrations/hazards/h09_event_key.py:16:45: error adding-serial-primary-key-field @ PRIMARY KEY (id)
