# A volatile default: every existing row gets its own value, by a rewrite.
from contractspec import MigrationMeta, MigrationPlan, MigrationSpec, SchemaStep

keys = MigrationSpec(
    meta=MigrationMeta(
        name="hazards.db.h02_api_keys",
        version=1,
        title="Users get an API key",
        domain="hazards",
        owners=["team-hazards"],
        stability="stable",
    ),
    plan=MigrationPlan(
        up=[
            SchemaStep(
                sql="ALTER TABLE users ADD COLUMN api_key uuid DEFAULT gen_random_uuid()",
            ),
        ],
        # Irreversible on purpose: a seeded hazard, never applied.
        down=None,
    ),
    dependencies=["core.db.2025_01_users"],
)
# expect: migrations/hazards/h02_api_keys.py:16:72: error adding-field-with-default @ gen_random_uuid()
