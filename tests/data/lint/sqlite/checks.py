# Checks and assertions must be one query that only reads.
from contractspec import MigrationCheck, MigrationMeta, MigrationPlan, MigrationSpec, SchemaStep, ValidationStep

spec = MigrationSpec(
    meta=MigrationMeta(name="lint.sqlite.checks", version=1, title="Checks", owners=["t"]),
    plan=MigrationPlan(
        up=[
            SchemaStep(
                "CREATE TABLE t (id INTEGER)",
                post_checks=[
                    MigrationCheck(description="reads", expression="SELECT COUNT(*) = 0 FROM t"),
                    MigrationCheck(description="writes", expression="WITH x AS (SELECT 1) INSERT INTO t SELECT * FROM x"),
                    MigrationCheck(description="two", expression="SELECT 1; SELECT 2;"),
                ],
            ),
            ValidationStep("VALUES (1)"),
            ValidationStep("UPDATE t SET id = 1"),
        ],
        down=[SchemaStep("DROP TABLE t")],
    ),
)
# expect: checks.py:12:70: error query-not-read-only @ WITH x AS (SELECT 1) INSERT
# expect: checks.py:13:77: error query-not-read-only @ SELECT 2
# expect: checks.py:17:29: error query-not-read-only @ UPDATE
