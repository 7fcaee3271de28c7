# A dependency on its own name.
# expect: invalid/dependency_self_bare.py:13:19: migration tests.invalid.dependency_self_bare.v1 depends on itself
from contractspec import DataStep, MigrationCheck, MigrationMeta, MigrationPlan, MigrationSpec, SchemaStep, ValidationStep

spec = MigrationSpec(
    meta=MigrationMeta(
        name="tests.invalid.dependency_self_bare",
        version=1,
        title="A test migration",
        owners=["team-tests"],
    ),
    plan=MigrationPlan(up=[SchemaStep("CREATE TABLE t (id INTEGER)")]),
    dependencies=["tests.invalid.dependency_self_bare"],
)
