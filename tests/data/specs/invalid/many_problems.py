# Several problems in one file, all reported together in line order.
# expect: invalid/many_problems.py:11:17: version must be an integer from 1 to 2147483647, got 0
# expect: invalid/many_problems.py:13:16: owners must name at least one owner
# expect: invalid/many_problems.py:14:19: unknown stability 'gold': expected one of idea, in_creation, experimental, beta, stable, deprecated
# expect: invalid/many_problems.py:16:59: retries must be an integer from 0 to 2147483647, got -2
from contractspec import DataStep, MigrationCheck, MigrationMeta, MigrationPlan, MigrationSpec, SchemaStep, ValidationStep

spec = MigrationSpec(
    meta=MigrationMeta(
        name="tests.invalid.many_problems",
        version=0,
        title="A test migration",
        owners=[],
        stability="gold",
    ),
    plan=MigrationPlan(up=[SchemaStep("SELECT 1", retries=-2)]),
)
