# A table no migration created (imported from before contractspec): live all the same.
from contractspec import MigrationMeta, MigrationPlan, MigrationSpec, SchemaStep

table = MigrationSpec(
    meta=MigrationMeta(
        name="hazards.db.h27_legacy_table",
        version=1,
        title="Index the legacy ledger",
        domain="hazards",
        owners=["team-hazards"],
        stability="stable",
    ),
    plan=MigrationPlan(
        up=[
            SchemaStep(
                sql="CREATE INDEX ledger_account ON legacy.ledger (account_id)",
            ),
        ],
        # Irreversible on purpose: a seeded hazard, never applied.
        down=None,
    ),
)
# expect: migrations/hazards/h27_legacy_table.py:16:22: error require-concurrent-index-creation @ CREATE INDEX ledger_account
