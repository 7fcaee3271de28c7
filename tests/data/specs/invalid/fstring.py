# f-strings are not literals.
# expect: invalid/fstring.py:11:15: f-strings are not allowed; values must be literals (strings, numbers, True/False/None, lists) or names bound to literals at module level in this file
from contractspec import DataStep, MigrationCheck, MigrationMeta, MigrationPlan, MigrationSpec, SchemaStep, ValidationStep

TABLE = "orders"

spec = MigrationSpec(
    meta=MigrationMeta(
        name="tests.invalid.fstring",
        version=1,
        title=f"Add {TABLE}",
        owners=["team-tests"],
    ),
    plan=MigrationPlan(up=[SchemaStep("CREATE TABLE t (id INTEGER)")]),
)
