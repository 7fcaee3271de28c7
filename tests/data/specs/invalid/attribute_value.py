# Attribute access is not evaluated.
# expect: invalid/attribute_value.py:11:19: an attribute access is not allowed; values must be literals (strings, numbers, True/False/None, lists) or names bound to literals at module level in this file
from contractspec import DataStep, MigrationCheck, MigrationMeta, MigrationPlan, MigrationSpec, SchemaStep, ValidationStep

spec = MigrationSpec(
    meta=MigrationMeta(
        name="tests.invalid.attribute_value",
        version=1,
        title="A test migration",
        owners=["team-tests"],
        stability=Stability.STABLE,
    ),
    plan=MigrationPlan(up=[SchemaStep("CREATE TABLE t (id INTEGER)")]),
)
