# No MigrationSpec assignment at all.
# expect: invalid/no_spec.py:1:1: no module-level `NAME = MigrationSpec(...)` assignment (import it with `from contractspec import MigrationSpec`)
from contractspec import DataStep, MigrationCheck, MigrationMeta, MigrationPlan, MigrationSpec, SchemaStep, ValidationStep

TITLE = "nothing to see"
