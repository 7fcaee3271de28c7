# A dict is not an allowed value.
# expect: invalid/dict_value.py:11:14: a dict is not allowed; values must be literals (strings, numbers, True/False/None, lists) or names bound to literals at module level in this file
from contractspec import DataStep, MigrationCheck, MigrationMeta, MigrationPlan, MigrationSpec, SchemaStep, ValidationStep

spec = MigrationSpec(
    meta=MigrationMeta(
        name="tests.invalid.dict_value",
        version=1,
        title="A test migration",
        owners=["team-tests"],
        tags={"kind": "schema"},
    ),
    plan=MigrationPlan(up=[SchemaStep("CREATE TABLE t (id INTEGER)")]),
)
