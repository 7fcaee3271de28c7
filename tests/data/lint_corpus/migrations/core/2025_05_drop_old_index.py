# Dropping an index of a live table concurrently, and building it back the same way.
from contractspec import MigrationMeta, MigrationPlan, MigrationSpec, SchemaStep

drop_old_index = MigrationSpec(
    meta=MigrationMeta(
        name="core.db.2025_05_drop_old_index",
        version=1,
        title="Drop the redundant account index",
        domain="core",
        owners=["team-core"],
        stability="stable",
    ),
    plan=MigrationPlan(
        up=[
            SchemaStep(
                sql="DROP INDEX CONCURRENTLY users_account",
                transactional=False,
            ),
        ],
        down=[
            SchemaStep(
                sql="CREATE INDEX CONCURRENTLY users_account ON users (account_id)",
                transactional=False,
            ),
        ],
    ),
    dependencies=["core.db.2025_01_users"],
)
