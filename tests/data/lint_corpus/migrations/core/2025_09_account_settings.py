# A new table filled from a live one in the same migration.
from contractspec import DataStep, MigrationCheck, MigrationMeta, MigrationPlan, MigrationSpec, SchemaStep

account_settings = MigrationSpec(
    meta=MigrationMeta(
        name="core.db.2025_09_account_settings",
        version=1,
        title="Per-account settings",
        domain="core",
        owners=["team-core"],
        stability="stable",
    ),
    plan=MigrationPlan(
        up=[
            SchemaStep(
                sql="""
CREATE TABLE account_settings (
    account_id bigint PRIMARY KEY REFERENCES accounts (id),
    settings jsonb NOT NULL DEFAULT '{}'
)
""",
            ),
            DataStep(
                script="INSERT INTO account_settings (account_id) SELECT id FROM accounts",
                post_checks=[
                    MigrationCheck(description="every account has settings", expression="SELECT count(*) = 0 FROM accounts a WHERE NOT EXISTS (SELECT 1 FROM account_settings s WHERE s.account_id = a.id)")
                ],
            ),
        ],
        down=[
            SchemaStep(
                sql="DROP TABLE account_settings",
            ),
        ],
    ),
    dependencies=["core.db.2025_01_accounts"],
)
