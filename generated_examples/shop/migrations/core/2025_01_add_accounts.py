# Accounts own users and orders: the root of the schema.
from contractspec import (
    DataStep,
    MigrationCheck,
    MigrationMeta,
    MigrationPlan,
    MigrationSpec,
    SchemaStep,
)

add_accounts = MigrationSpec(
    meta=MigrationMeta(
        name="core.db.2025_01_add_accounts",
        version=1,
        title="Add accounts table",
        description="Every user and order belongs to an account.",
        domain="core",
        owners=["team-core"],
        tags=["schema", "accounts"],
        stability="stable",
    ),
    plan=MigrationPlan(
        up=[
            SchemaStep(
                """
                CREATE TABLE accounts (
                    id INTEGER PRIMARY KEY,
                    slug TEXT NOT NULL UNIQUE,
                    plan TEXT NOT NULL DEFAULT 'free'
                )
                """,
                description="Create accounts",
                timeout_ms=5000,
                post_checks=[
                    MigrationCheck(
                        description="accounts starts empty",
                        expression="SELECT COUNT(*) = 0 FROM accounts",
                    )
                ],
            ),
        ],
        down=[
            DataStep(
                instructions="""
Close every account with the payment provider before the table goes:
  shop-admin accounts close --all
It deletes each account once the provider has closed it.
""",
                description="Close the accounts with the payment provider",
                post_checks=[
                    MigrationCheck(
                        description="every account is closed",
                        expression="SELECT COUNT(*) = 0 FROM accounts",
                    )
                ],
                confirm_by=["team-billing"],
            ),
            SchemaStep(sql="DROP TABLE accounts", description="Drop accounts"),
        ],
    ),
)
