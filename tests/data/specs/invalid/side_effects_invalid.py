# Would write a marker and exit if executed; the loader only reports the static problem.
# expect: invalid/side_effects_invalid.py:14:17: version must be an integer from 1 to 2147483647, got 0
import os
import sys

open(os.environ.get("CONTRACTSPEC_TEST_MARKER", os.devnull), "w").write("executed")
sys.exit("spec file was executed")

from contractspec import DataStep, MigrationCheck, MigrationMeta, MigrationPlan, MigrationSpec, SchemaStep, ValidationStep

spec = MigrationSpec(
    meta=MigrationMeta(
        name="tests.invalid.side_effects_invalid",
        version=0,
        title="A test migration",
        owners=["team-tests"],
    ),
    plan=MigrationPlan(up=[SchemaStep("CREATE TABLE t (id INTEGER)")]),
)
