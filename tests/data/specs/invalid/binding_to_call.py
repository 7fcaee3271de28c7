# A module-level name bound to a call: the error points at the call.
# expect: invalid/binding_to_call.py:5:9: call to unknown function "'Add users'.title": only the contractspec model classes (MigrationSpec, MigrationMeta, MigrationPlan, SchemaStep, DataStep, ValidationStep, MigrationCheck) may be called; values must be literals (strings, numbers, True/False/None, lists) or names bound to literals at module level in this file
from contractspec import DataStep, MigrationCheck, MigrationMeta, MigrationPlan, MigrationSpec, SchemaStep, ValidationStep

TITLE = "Add users".title()

spec = MigrationSpec(
    meta=MigrationMeta(
        name="tests.invalid.binding_to_call",
        version=1,
        title=TITLE,
        owners=["team-tests"],
    ),
    plan=MigrationPlan(up=[SchemaStep("CREATE TABLE t (id INTEGER)")]),
)
