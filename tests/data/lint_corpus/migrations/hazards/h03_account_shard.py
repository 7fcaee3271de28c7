# random() is volatile: a rewrite.
from contractspec import MigrationMeta, MigrationPlan, MigrationSpec, SchemaStep

shard = MigrationSpec(
    meta=MigrationMeta(
        name="hazards.db.h03_account_shard",
        version=1,
        title="Accounts get a shard",
        domain="hazards",
        owners=["team-hazards"],
        stability="stable",
    ),
    plan=MigrationPlan(
        up=[
            SchemaStep(
                sql="""
ALTER TABLE accounts ADD COLUMN shard double precision NOT NULL DEFAULT random()
""",
            ),
        ],
        # Irreversible on purpose: a seeded hazard, never applied.
        down=None,
    ),
    dependencies=["core.db.2025_01_accounts"],
)
# expect: migrations/hazards/h03_account_shard.py:17:73: error adding-field-with-default @ random()
