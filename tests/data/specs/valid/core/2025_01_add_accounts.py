# Every field spelled out with keywords; comments everywhere.
from contractspec import (  # the model, from the package root
    MigrationCheck,
    MigrationMeta,
    MigrationPlan,
    MigrationSpec,
    SchemaStep,
)

add_accounts = MigrationSpec(
    meta=MigrationMeta(
        name="core.db.2025_01_add_accounts",  # boundedContext.namespace.timestamp_slug
        version=1,
        title="Add accounts table",
        description="Every user belongs to an account.",
        domain="core",
        owners=["team-core"],
        tags=["schema", "accounts"],
        stability="stable",
    ),
    plan=MigrationPlan(
        up=[
            # A triple-quoted SQL string keeps its layout.
            SchemaStep(
                sql="""
CREATE TABLE accounts (
    id INTEGER PRIMARY KEY,
    slug TEXT NOT NULL UNIQUE  -- a "quoted" comment inside SQL
)
""",
                description="Create accounts",
                timeout_ms=5000,
                retries=2,
                pre_checks=[],
                post_checks=[
                    MigrationCheck(
                        description="accounts starts empty",
                        expression="SELECT COUNT(*) = 0 FROM accounts",
                    ),
                ],
            ),
        ],
        down=[SchemaStep(sql="DROP TABLE accounts", description="Drop accounts")],
    ),
    dependencies=[],
)
