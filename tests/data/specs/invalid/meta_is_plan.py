# meta must be a MigrationMeta.
# expect: invalid/meta_is_plan.py:6:10: meta must hold MigrationMeta, not MigrationPlan
from contractspec import DataStep, MigrationCheck, MigrationMeta, MigrationPlan, MigrationSpec, SchemaStep, ValidationStep

spec = MigrationSpec(
    meta=MigrationPlan(up=[SchemaStep("SELECT 1")]),
    plan=MigrationPlan(up=[SchemaStep("SELECT 1")]),
)
