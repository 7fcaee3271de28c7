# DROP INDEX without CONCURRENTLY: ACCESS EXCLUSIVE on users.
from contractspec import MigrationMeta, MigrationPlan, MigrationSpec, SchemaStep

email_index = MigrationSpec(
    meta=MigrationMeta(
        name="hazards.db.h11_drop_email_index",
        version=1,
        title="Drop the email index",
        domain="hazards",
        owners=["team-hazards"],
        stability="stable",
    ),
    plan=MigrationPlan(
        up=[
            SchemaStep(
                sql="DROP INDEX users_email",
            ),
        ],
        # Irreversible on purpose: a seeded hazard, never applied.
        down=None,
    ),
    dependencies=["core.db.2025_01_users"],
)
# expect: migrations/hazards/h11_drop_email_index.py:16:22: error require-concurrent-index-deletion @ DROP INDEX users_email
