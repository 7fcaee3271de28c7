# bytes are not an allowed literal.
# expect: invalid/bytes_value.py:12:39: bytes values are not allowed; values must be literals (strings, numbers, True/False/None, lists) or names bound to literals at module level in this file
from contractspec import DataStep, MigrationCheck, MigrationMeta, MigrationPlan, MigrationSpec, SchemaStep, ValidationStep

spec = MigrationSpec(
    meta=MigrationMeta(
        name="tests.invalid.bytes_value",
        version=1,
        title="A test migration",
        owners=["team-tests"],
    ),
    plan=MigrationPlan(up=[SchemaStep(b"SELECT 1")]),
)
