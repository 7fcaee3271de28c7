# An identity column is filled for every row: a rewrite.
from contractspec import MigrationMeta, MigrationPlan, MigrationSpec, SchemaStep

sequence = MigrationSpec(
    meta=MigrationMeta(
        name="hazards.db.h22_event_sequence",
        version=1,
        title="Events get a sequence number",
        domain="hazards",
        owners=["team-hazards"],
        stability="stable",
    ),
    plan=MigrationPlan(
        up=[
            SchemaStep(
                sql="ALTER TABLE events ADD COLUMN seq bigint GENERATED ALWAYS AS IDENTITY",
            ),
        ],
        # Irreversible on purpose: a seeded hazard, never applied.
        down=None,
    ),
    dependencies=["audit.db.2025_03_events"],
)
# expect: migrations/hazards/h22_event_sequence.py:16:63: error adding-field-with-default @ GENERATED ALWAYS AS IDENTITY
