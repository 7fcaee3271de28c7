# Line numbers follow Python's line breaks, not str.splitlines().
# expect: invalid/line_separators.py:13:55: timeout_ms must be an integer from 1 to 2147483647, got 0
from contractspec import MigrationMeta, MigrationPlan, MigrationSpec, SchemaStep

SQL = """
-- a form feed  and a line separator   and a paragraph separator   inside the string:
-- Python does not break lines there, str.splitlines() does
SELECT 1
"""

spec = MigrationSpec(
    meta=MigrationMeta(name="tests.invalid.line_separators", version=1, title="Separators", owners=["team-tests"]),
    plan=MigrationPlan(up=[SchemaStep(SQL, timeout_ms=0)]),
)
