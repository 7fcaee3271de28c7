# Checks and assertions must be one query that only reads.
from contractspec import MigrationCheck, MigrationMeta, MigrationPlan, MigrationSpec, SchemaStep, ValidationStep

spec = MigrationSpec(
    meta=MigrationMeta(name="lint.pg.checks", version=1, title="Checks", owners=["t"]),
    plan=MigrationPlan(
        up=[
            SchemaStep(
                "CREATE TABLE t (id bigint)",
                pre_checks=[
                    MigrationCheck(description="two queries", expression="SELECT 1; SELECT 2"),
                    MigrationCheck(description="reads", expression="SELECT count(*) = 0 FROM pg_class WHERE relname = 't'"),
                ],
                post_checks=[
                    MigrationCheck(description="locks", expression="SELECT id FROM t FOR UPDATE"),
                    MigrationCheck(description="writes in a CTE", expression="WITH d AS (DELETE FROM t RETURNING id) SELECT count(*) = 0 FROM d"),
                    MigrationCheck(description="creates", expression="SELECT 1 INTO copy_of_one"),
                    MigrationCheck(description="union reads", expression="SELECT 1 UNION SELECT 2"),
                ],
            ),
            ValidationStep("DELETE FROM t RETURNING true"),
        ],
        down=[SchemaStep("DROP TABLE t")],
    ),
)
# expect: checks.py:11:85: error query-not-read-only @ SELECT 2
# expect: checks.py:15:69: error query-not-read-only @ SELECT id FROM t FOR UPDATE
# expect: checks.py:16:79: error query-not-read-only @ WITH d AS (DELETE
# expect: checks.py:17:71: error query-not-read-only @ SELECT 1 INTO
# expect: checks.py:21:29: error query-not-read-only @ DELETE
