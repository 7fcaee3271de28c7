# If this file were executed it would write a marker file and exit; the loader
# reads it statically, so neither happens and the spec still loads.
import os
import sys

from contractspec import MigrationMeta, MigrationPlan, MigrationSpec, ValidationStep

open(os.environ.get("CONTRACTSPEC_TEST_MARKER", os.devnull), "w").write("executed")
sys.exit("spec file was executed")


def never_called():
    raise RuntimeError("never called")


spec = MigrationSpec(
    meta=MigrationMeta(name="tests.valid.side_effects", version=1, title="Side effects", owners=["team-tests"]),
    plan=MigrationPlan(up=[ValidationStep("SELECT 1")]),
)
