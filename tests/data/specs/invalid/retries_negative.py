# Negative retries.
# expect: invalid/retries_negative.py:12:59: retries must be an integer from 0 to 2147483647, got -1
from contractspec import DataStep, MigrationCheck, MigrationMeta, MigrationPlan, MigrationSpec, SchemaStep, ValidationStep

spec = MigrationSpec(
    meta=MigrationMeta(
        name="tests.invalid.retries_negative",
        version=1,
        title="A test migration",
        owners=["team-tests"],
    ),
    plan=MigrationPlan(up=[SchemaStep("SELECT 1", retries=-1)]),
)
