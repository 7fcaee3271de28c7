# Data steps: inline SQL, a .sql file (its own line), a Python callable; post-checks.
from contractspec import DataStep, MigrationCheck, MigrationMeta, MigrationPlan, MigrationSpec

spec = MigrationSpec(
    meta=MigrationMeta(name="lint.pg.data_steps", version=1, title="Data", owners=["t"]),
    plan=MigrationPlan(
        up=[
            DataStep(script="UPDATE t SET a = 1 WHERE a IS NULL"),
            DataStep(
                script="broken_backfill.sql",
                post_checks=[MigrationCheck(description="done", expression="SELECT count(*) = 0 FROM t WHERE a IS NULL")],
            ),
            DataStep(
                script="_helpers.py:fill",
                post_checks=[MigrationCheck(description="done", expression="SELECT true")],
            ),
        ],
        # Irreversible on purpose: the old values are not kept.
        down=None,
    ),
)
# expect: broken_backfill.sql:4:2: error syntax-error @ WHER
# expect: data_steps.py:8:13: warning data-step-without-post-check @ DataStep(
