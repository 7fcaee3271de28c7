# Users sign in with an email and belong to an account.
from contractspec import MigrationMeta, MigrationPlan, MigrationSpec, SchemaStep

users = MigrationSpec(
    meta=MigrationMeta(
        name="core.db.2025_01_users",
        version=1,
        title="Users",
        domain="core",
        owners=["team-core"],
        stability="stable",
    ),
    plan=MigrationPlan(
        up=[
            SchemaStep(
                sql="""
CREATE TABLE users (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_id bigint NOT NULL REFERENCES accounts (id),
    email text NOT NULL,
    display_name text,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX users_email ON users (email);
CREATE INDEX users_account ON users (account_id);
""",
            ),
        ],
        down=[
            SchemaStep(
                sql="DROP INDEX users_account; DROP INDEX users_email",
            ),
            SchemaStep(
                sql="DROP TABLE users",
            ),
        ],
    ),
    dependencies=["core.db.2025_01_accounts"],
)
