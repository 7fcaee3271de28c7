# A call to something that is not a model class.
# expect: invalid/unknown_function.py:9:15: call to unknown function 'make_title': only the contractspec model classes (MigrationSpec, MigrationMeta, MigrationPlan, SchemaStep, DataStep, ValidationStep, MigrationCheck) may be called; values must be literals (strings, numbers, True/False/None, lists) or names bound to literals at module level in this file
from contractspec import DataStep, MigrationCheck, MigrationMeta, MigrationPlan, MigrationSpec, SchemaStep, ValidationStep

spec = MigrationSpec(
    meta=MigrationMeta(
        name="tests.invalid.unknown_function",
        version=1,
        title=make_title("orders"),
        owners=["team-tests"],
    ),
    plan=MigrationPlan(up=[SchemaStep("CREATE TABLE t (id INTEGER)")]),
)
