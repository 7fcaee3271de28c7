# A name ending in .vN: the version belongs in `version`.
# expect: invalid/name_with_version.py:7:14: name 'tests.invalid.name_with_version.v2' must not end in '.vN': the version goes in 'version'
from contractspec import DataStep, MigrationCheck, MigrationMeta, MigrationPlan, MigrationSpec, SchemaStep, ValidationStep

spec = MigrationSpec(
    meta=MigrationMeta(
        name="tests.invalid.name_with_version.v2",
        version=1,
        title="A test migration",
        owners=["team-tests"],
    ),
    plan=MigrationPlan(up=[SchemaStep("CREATE TABLE t (id INTEGER)")]),
)
