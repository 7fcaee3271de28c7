# up must hold steps, not strings.
# expect: invalid/string_in_up.py:12:28: up must hold SchemaStep / DataStep / ValidationStep, not a str value
from contractspec import DataStep, MigrationCheck, MigrationMeta, MigrationPlan, MigrationSpec, SchemaStep, ValidationStep

spec = MigrationSpec(
    meta=MigrationMeta(
        name="tests.invalid.string_in_up",
        version=1,
        title="A test migration",
        owners=["team-tests"],
    ),
    plan=MigrationPlan(up=["CREATE TABLE t (id INTEGER)"]),
)
