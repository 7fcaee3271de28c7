# up must hold steps, not checks.
# expect: invalid/check_in_up.py:12:28: up must hold SchemaStep / DataStep / ValidationStep, not MigrationCheck
from contractspec import DataStep, MigrationCheck, MigrationMeta, MigrationPlan, MigrationSpec, SchemaStep, ValidationStep

spec = MigrationSpec(
    meta=MigrationMeta(
        name="tests.invalid.check_in_up",
        version=1,
        title="A test migration",
        owners=["team-tests"],
    ),
    plan=MigrationPlan(up=[MigrationCheck("t exists", "SELECT 1")]),
)
