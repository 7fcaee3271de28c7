# A module-level name bound to itself.
# expect: invalid/self_reference.py:5:9: name 'TITLE' refers to itself
from contractspec import DataStep, MigrationCheck, MigrationMeta, MigrationPlan, MigrationSpec, SchemaStep, ValidationStep

TITLE = TITLE

spec = MigrationSpec(
    meta=MigrationMeta(
        name="tests.invalid.self_reference",
        version=1,
        title=TITLE,
        owners=["team-tests"],
    ),
    plan=MigrationPlan(up=[SchemaStep("CREATE TABLE t (id INTEGER)")]),
)
