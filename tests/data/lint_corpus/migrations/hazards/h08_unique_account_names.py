# A UNIQUE constraint builds its index under ACCESS EXCLUSIVE.
from contractspec import MigrationMeta, MigrationPlan, MigrationSpec, SchemaStep

account_names = MigrationSpec(
    meta=MigrationMeta(
        name="hazards.db.h08_unique_account_names",
        version=1,
        title="Account names are unique",
        domain="hazards",
        owners=["team-hazards"],
        stability="stable",
    ),
    plan=MigrationPlan(
        up=[
            SchemaStep(
                sql="""
ALTER TABLE accounts ADD CONSTRAINT accounts_name_unique UNIQUE (name)
""",
            ),
        ],
        # Irreversible on purpose: a seeded hazard, never applied.
        down=None,
    ),
    dependencies=["core.db.2025_01_accounts"],
)
# expect: migrations/hazards/h08_unique_account_names.py:17:26: error disallowed-unique-constraint @ CONSTRAINT accounts_name_unique
