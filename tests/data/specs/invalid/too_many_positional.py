# More positional arguments than positional fields.
# expect: invalid/too_many_positional.py:12:51: SchemaStep() takes at most 1 positional argument
from contractspec import DataStep, MigrationCheck, MigrationMeta, MigrationPlan, MigrationSpec, SchemaStep, ValidationStep

spec = MigrationSpec(
    meta=MigrationMeta(
        name="tests.invalid.too_many_positional",
        version=1,
        title="A test migration",
        owners=["team-tests"],
    ),
    plan=MigrationPlan(up=[SchemaStep("SELECT 1", "SELECT 2")]),
)
