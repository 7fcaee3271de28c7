# A dependency on its own exact key.
# expect: invalid/dependency_self_key.py:13:19: migration tests.invalid.dependency_self_key.v3 depends on itself
from contractspec import DataStep, MigrationCheck, MigrationMeta, MigrationPlan, MigrationSpec, SchemaStep, ValidationStep

spec = MigrationSpec(
    meta=MigrationMeta(
        name="tests.invalid.dependency_self_key",
        version=3,
        title="A test migration",
        owners=["team-tests"],
    ),
    plan=MigrationPlan(up=[SchemaStep("CREATE TABLE t (id INTEGER)")]),
    dependencies=["tests.invalid.dependency_self_key.v3"],
)
