# timeout_ms=0.
# expect: invalid/timeout_zero.py:12:62: timeout_ms must be an integer from 1 to 2147483647, got 0
from contractspec import DataStep, MigrationCheck, MigrationMeta, MigrationPlan, MigrationSpec, SchemaStep, ValidationStep

spec = MigrationSpec(
    meta=MigrationMeta(
        name="tests.invalid.timeout_zero",
        version=1,
        title="A test migration",
        owners=["team-tests"],
    ),
    plan=MigrationPlan(up=[SchemaStep("SELECT 1", timeout_ms=0)]),
)
