# The migration from the original design document.
from contractspec import (
    MigrationCheck,
    MigrationMeta,
    MigrationPlan,
    MigrationSpec,
    SchemaStep,
    ValidationStep,
)

USERS_TABLE = """
CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    account_id INTEGER NOT NULL REFERENCES accounts (id),
    email TEXT NOT NULL,
    display_name TEXT
);
CREATE UNIQUE INDEX users_email ON users (email);
"""

AddUsersMigration = MigrationSpec(
    meta=MigrationMeta(
        name="core.db.2025_01_add_users",
        version=1,
        title="Add users table",
        description="Users sign in with a unique email and belong to an account.",
        domain="core",
        owners=["team-core", "alice@example.com"],
        tags=["schema", "users"],
        stability="stable",
    ),
    plan=MigrationPlan(
        up=[
            SchemaStep(
                USERS_TABLE,
                description="Create users and their unique email index",
                timeout_ms=5000,
                retries=2,
                pre_checks=[
                    MigrationCheck(
                        description="accounts table exists",
                        expression="SELECT COUNT(*) >= 0 FROM accounts",
                    )
                ],
            ),
            ValidationStep(
                assertion="SELECT COUNT(*) = 0 FROM users",
                description="users starts empty",
            ),
        ],
        down=[
            SchemaStep(
                sql="DROP INDEX users_email", description="Drop the email index"
            ),
            SchemaStep(sql="DROP TABLE users", description="Drop users"),
        ],
    ),
    dependencies=["core.db.2025_01_add_accounts"],
)
