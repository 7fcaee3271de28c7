# Checks with an empty expression or description.
# expect: invalid/check_without_expression.py:16:75: a check needs an expression
# expect: invalid/check_without_expression.py:17:41: a check needs a description
from contractspec import DataStep, MigrationCheck, MigrationMeta, MigrationPlan, MigrationSpec, SchemaStep, ValidationStep

spec = MigrationSpec(
    meta=MigrationMeta(
        name="tests.invalid.check_without_expression",
        version=1,
        title="A test migration",
        owners=["team-tests"],
    ),
    plan=MigrationPlan(up=[
        SchemaStep(
            "SELECT 1",
            pre_checks=[MigrationCheck(description="t exists", expression="")],
            post_checks=[MigrationCheck("", "SELECT 1")],
        )
    ]),
)
