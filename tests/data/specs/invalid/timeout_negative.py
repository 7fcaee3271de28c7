# A negative timeout.
# expect: invalid/timeout_negative.py:12:62: timeout_ms must be an integer from 1 to 2147483647, got -500
from contractspec import DataStep, MigrationCheck, MigrationMeta, MigrationPlan, MigrationSpec, SchemaStep, ValidationStep

spec = MigrationSpec(
    meta=MigrationMeta(
        name="tests.invalid.timeout_negative",
        version=1,
        title="A test migration",
        owners=["team-tests"],
    ),
    plan=MigrationPlan(up=[SchemaStep("SELECT 1", timeout_ms=-500)]),
)
