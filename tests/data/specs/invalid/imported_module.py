# A module-level import used as a value.
# expect: invalid/imported_module.py:11:15: 'os' is imported from 'os'; values must be literals (strings, numbers, True/False/None, lists) or names bound to literals at module level in this file
from contractspec import DataStep, MigrationCheck, MigrationMeta, MigrationPlan, MigrationSpec, SchemaStep, ValidationStep

import os

spec = MigrationSpec(
    meta=MigrationMeta(
        name="tests.invalid.imported_module",
        version=1,
        title=os,
        owners=["team-tests"],
    ),
    plan=MigrationPlan(up=[SchemaStep("CREATE TABLE t (id INTEGER)")]),
)
