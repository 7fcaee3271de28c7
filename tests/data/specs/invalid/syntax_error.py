# A syntax error: the loader reports Python's message at its position.
# expect: invalid/syntax_error.py:6:29: syntax error: invalid syntax. Perhaps you forgot a comma?
from contractspec import DataStep, MigrationCheck, MigrationMeta, MigrationPlan, MigrationSpec, SchemaStep, ValidationStep

spec = MigrationSpec(
    meta=MigrationMeta(name="tests.invalid.syntax_error" version=1),
)
