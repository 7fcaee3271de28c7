# CONCURRENTLY in a transactional step: PostgreSQL refuses it.
from contractspec import MigrationMeta, MigrationPlan, MigrationSpec, SchemaStep

in_transaction = MigrationSpec(
    meta=MigrationMeta(
        name="hazards.db.h19_index_in_transaction",
        version=1,
        title="Index events by account",
        domain="hazards",
        owners=["team-hazards"],
        stability="stable",
    ),
    plan=MigrationPlan(
        up=[
            SchemaStep(
                sql="CREATE INDEX CONCURRENTLY events_account ON events (account_id)",
            ),
        ],
        # Irreversible on purpose: a seeded hazard, never applied.
        down=None,
    ),
    dependencies=["audit.db.2025_03_events"],
)
# expect: migrations/hazards/h19_index_in_transaction.py:16:22: error non-transactional-statement @ CREATE INDEX CONCURRENTLY
