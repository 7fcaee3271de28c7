# The same dependency twice.
# expect: invalid/dependency_duplicate.py:13:45: duplicate dependency 'core.db.a'
from contractspec import DataStep, MigrationCheck, MigrationMeta, MigrationPlan, MigrationSpec, SchemaStep, ValidationStep

spec = MigrationSpec(
    meta=MigrationMeta(
        name="tests.invalid.dependency_duplicate",
        version=1,
        title="A test migration",
        owners=["team-tests"],
    ),
    plan=MigrationPlan(up=[SchemaStep("CREATE TABLE t (id INTEGER)")]),
    dependencies=["core.db.a", "core.db.b", "core.db.a"],
)
