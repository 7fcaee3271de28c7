# **arguments are not allowed.
# expect: invalid/double_star.py:14:53: **arguments are not allowed; values must be literals (strings, numbers, True/False/None, lists) or names bound to literals at module level in this file
from contractspec import DataStep, MigrationCheck, MigrationMeta, MigrationPlan, MigrationSpec, SchemaStep, ValidationStep

OPTIONS = {"retries": 2}

spec = MigrationSpec(
    meta=MigrationMeta(
        name="tests.invalid.double_star",
        version=1,
        title="A test migration",
        owners=["team-tests"],
    ),
    plan=MigrationPlan(up=[SchemaStep("SELECT 1", **OPTIONS)]),
)
