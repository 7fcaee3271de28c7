# A name with spaces and a single segment.
# expect: invalid/name_malformed.py:7:14: malformed name 'Add users': expected dotted segments of letters, digits and underscores, like 'core.db.2025_01_add_users'
from contractspec import DataStep, MigrationCheck, MigrationMeta, MigrationPlan, MigrationSpec, SchemaStep, ValidationStep

spec = MigrationSpec(
    meta=MigrationMeta(
        name="Add users",
        version=1,
        title="A test migration",
        owners=["team-tests"],
    ),
    plan=MigrationPlan(up=[SchemaStep("CREATE TABLE t (id INTEGER)")]),
)
