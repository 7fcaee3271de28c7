# A step accepts a rule with a reason; an acceptance nothing needs is reported.
from contractspec import DataStep, MigrationMeta, MigrationPlan, MigrationSpec, SchemaStep

spec = MigrationSpec(
    meta=MigrationMeta(name="lint.pg.suppressed", version=1, title="Suppressed", owners=["t"]),
    plan=MigrationPlan(
        up=[
            SchemaStep("CREATE TABLE t (a text)", lint_ignore={"scaffold-placeholder": "a new table"}),
            DataStep(
                script="INSERT INTO t VALUES ('a')",
                lint_ignore={"data-step-without-post-check": "one fixed row"},
            ),
            SchemaStep("SELECT 1; COMMIT", lint_ignore={"transaction-control": "no"}),
        ],
        down=[],
    ),
)
# expect: suppressed.py:8:64: warning unused-suppression @ "scaffold-placeholder"
# expect: suppressed.py:13:35: error transaction-control @ COMMIT
# expect: suppressed.py:13:57: warning unused-suppression @ "transaction-control"
