# A new table, changed freely in the migration that creates it: nothing uses it yet.
from contractspec import MigrationMeta, MigrationPlan, MigrationSpec, SchemaStep

coupons = MigrationSpec(
    meta=MigrationMeta(
        name="billing.db.2025_05_coupons",
        version=1,
        title="Coupons",
        domain="billing",
        owners=["team-billing"],
        stability="stable",
    ),
    plan=MigrationPlan(
        up=[
            SchemaStep(
                sql="""
CREATE TABLE coupons (
    code text PRIMARY KEY,
    account_id bigint NOT NULL REFERENCES accounts (id),
    percent integer NOT NULL
);
CREATE INDEX coupons_account ON coupons (account_id);
ALTER TABLE coupons ADD CONSTRAINT coupons_percent_range CHECK (percent BETWEEN 1 AND 100);
""",
            ),
            SchemaStep(
                sql="ALTER TABLE coupons ALTER COLUMN percent TYPE smallint",
            ),
        ],
        down=[
            SchemaStep(
                sql="DROP TABLE coupons",
            ),
        ],
    ),
    dependencies=["core.db.2025_01_accounts"],
)
