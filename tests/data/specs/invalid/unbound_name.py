# A name that is bound nowhere at module level.
# expect: invalid/unbound_name.py:10:16: name 'TEAM_OWNERS' is not bound at module level; values must be literals (strings, numbers, True/False/None, lists) or names bound to literals at module level in this file
from contractspec import DataStep, MigrationCheck, MigrationMeta, MigrationPlan, MigrationSpec, SchemaStep, ValidationStep

spec = MigrationSpec(
    meta=MigrationMeta(
        name="tests.invalid.unbound_name",
        version=1,
        title="A test migration",
        owners=TEAM_OWNERS,
    ),
    plan=MigrationPlan(up=[SchemaStep("CREATE TABLE t (id INTEGER)")]),
)
