# down must be a list of steps (or None), not a string.
# expect: invalid/down_string.py:12:77: down must be a list of SchemaStep / DataStep / ValidationStep
from contractspec import DataStep, MigrationCheck, MigrationMeta, MigrationPlan, MigrationSpec, SchemaStep, ValidationStep

spec = MigrationSpec(
    meta=MigrationMeta(
        name="tests.invalid.down_string",
        version=1,
        title="A test migration",
        owners=["team-tests"],
    ),
    plan=MigrationPlan(up=[SchemaStep("CREATE TABLE t (id INTEGER)")], down="DROP TABLE t"),
)
