# Accounts own everything else: the root of the schema.
from contractspec import MigrationMeta, MigrationPlan, MigrationSpec, SchemaStep

accounts = MigrationSpec(
    meta=MigrationMeta(
        name="core.db.2025_01_accounts",
        version=1,
        title="Accounts",
        domain="core",
        owners=["team-core"],
        stability="stable",
    ),
    plan=MigrationPlan(
        up=[
            SchemaStep(
                sql="""
CREATE TABLE accounts (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    slug text NOT NULL UNIQUE,
    name text NOT NULL,
    plan text NOT NULL DEFAULT 'free',
    created_at timestamptz NOT NULL DEFAULT now()
)
""",
            ),
        ],
        down=[
            SchemaStep(
                sql="DROP TABLE accounts",
            ),
        ],
    ),
)
