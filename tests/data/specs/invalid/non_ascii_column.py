# Columns count characters, not bytes: the line has non-ASCII text before the bad value.
# expect: invalid/non_ascii_column.py:8:40: version must be an integer from 1 to 2147483647, got 0
from contractspec import DataStep, MigrationCheck, MigrationMeta, MigrationPlan, MigrationSpec, SchemaStep, ValidationStep

spec = MigrationSpec(
    meta=MigrationMeta(
        name="tests.invalid.non_ascii_column",
        title="Ünïcødé ✓ → 表", version=0,
        owners=["team-tests"],
    ),
    plan=MigrationPlan(up=[SchemaStep("CREATE TABLE t (id INTEGER)")]),
)
