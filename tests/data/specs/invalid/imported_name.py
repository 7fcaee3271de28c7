# A name imported from another module is not a literal of this file.
# expect: invalid/imported_name.py:12:16: 'OWNERS' is imported from '.common'; values must be literals (strings, numbers, True/False/None, lists) or names bound to literals at module level in this file
from contractspec import DataStep, MigrationCheck, MigrationMeta, MigrationPlan, MigrationSpec, SchemaStep, ValidationStep

from .common import OWNERS

spec = MigrationSpec(
    meta=MigrationMeta(
        name="tests.invalid.imported_name",
        version=1,
        title="A test migration",
        owners=OWNERS,
    ),
    plan=MigrationPlan(up=[SchemaStep("CREATE TABLE t (id INTEGER)")]),
)
