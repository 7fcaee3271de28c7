# Nothing to report.
from contractspec import DataStep, MigrationCheck, MigrationMeta, MigrationPlan, MigrationSpec, SchemaStep, ValidationStep

spec = MigrationSpec(
    meta=MigrationMeta(name="lint.pg.good", version=1, title="Good", owners=["t"]),
    plan=MigrationPlan(
        up=[
            SchemaStep("CREATE TABLE t (id bigint PRIMARY KEY, a text); ANALYZE t;", timeout_ms=2000),
            DataStep(
                script="UPDATE t SET a = 'x' WHERE a IS NULL",
                post_checks=[MigrationCheck(description="done", expression="SELECT count(*) = 0 FROM t WHERE a IS NULL")],
            ),
            ValidationStep("WITH c AS (SELECT count(*) AS n FROM t) SELECT n >= 0 FROM c"),
        ],
        down=[SchemaStep("DROP TABLE t")],
    ),
)
