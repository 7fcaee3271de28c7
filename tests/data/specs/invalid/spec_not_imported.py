# MigrationSpec is called but never imported from contractspec: not a spec.
# expect: invalid/spec_not_imported.py:1:1: no module-level `NAME = MigrationSpec(...)` assignment (import it with `from contractspec import MigrationSpec`)
from contractspec import MigrationMeta, MigrationPlan, SchemaStep

spec = MigrationSpec(
    meta=MigrationMeta(
        name="tests.invalid.spec_not_imported",
        version=1,
        title="A test migration",
        owners=["team-tests"],
    ),
    plan=MigrationPlan(up=[SchemaStep("CREATE TABLE t (id INTEGER)")]),
)
