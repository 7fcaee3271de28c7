# No owners.
# expect: invalid/owners_empty.py:10:16: owners must name at least one owner
from contractspec import DataStep, MigrationCheck, MigrationMeta, MigrationPlan, MigrationSpec, SchemaStep, ValidationStep

spec = MigrationSpec(
    meta=MigrationMeta(
        name="tests.invalid.owners_empty",
        version=1,
        title="A test migration",
        owners=[],
    ),
    plan=MigrationPlan(up=[SchemaStep("CREATE TABLE t (id INTEGER)")]),
)
