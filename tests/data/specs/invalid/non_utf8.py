# A latin-1 file: not UTF-8.
# expect: invalid/non_utf8.py:9:19: not UTF-8: invalid continuation byte (byte 0xe9); spec files must be UTF-8
from contractspec import DataStep, MigrationCheck, MigrationMeta, MigrationPlan, MigrationSpec, SchemaStep, ValidationStep

spec = MigrationSpec(
    meta=MigrationMeta(
        name="tests.invalid.non_utf8",
        version=1,
        title="Café orders",
        owners=["team-tests"],
    ),
    plan=MigrationPlan(up=[SchemaStep("CREATE TABLE t (id INTEGER)")]),
)
