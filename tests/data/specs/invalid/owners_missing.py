# owners omitted: the error points at MigrationMeta(.
# expect: invalid/owners_missing.py:6:10: owners must name at least one owner
from contractspec import DataStep, MigrationCheck, MigrationMeta, MigrationPlan, MigrationSpec, SchemaStep, ValidationStep

spec = MigrationSpec(
    meta=MigrationMeta(
        name="tests.invalid.owners_missing",
        version=1,
        title="A test migration",
    ),
    plan=MigrationPlan(up=[SchemaStep("CREATE TABLE t (id INTEGER)")]),
)
