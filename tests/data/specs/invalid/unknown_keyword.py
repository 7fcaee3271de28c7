# An unknown keyword field.
# expect: invalid/unknown_keyword.py:10:9: MigrationMeta() has no field 'owner'; fields: description, domain, name, owners, stability, tags, title, version
from contractspec import DataStep, MigrationCheck, MigrationMeta, MigrationPlan, MigrationSpec, SchemaStep, ValidationStep

spec = MigrationSpec(
    meta=MigrationMeta(
        name="tests.invalid.unknown_keyword",
        version=1,
        title="A test migration",
        owner="team-tests",
    ),
    plan=MigrationPlan(up=[SchemaStep("CREATE TABLE t (id INTEGER)")]),
)
