# owners must be a list, not a string.
# expect: invalid/owners_string.py:10:16: owners must be a list of strings, got 'team-tests'
from contractspec import DataStep, MigrationCheck, MigrationMeta, MigrationPlan, MigrationSpec, SchemaStep, ValidationStep

spec = MigrationSpec(
    meta=MigrationMeta(
        name="tests.invalid.owners_string",
        version=1,
        title="A test migration",
        owners="team-tests",
    ),
    plan=MigrationPlan(up=[SchemaStep("CREATE TABLE t (id INTEGER)")]),
)
