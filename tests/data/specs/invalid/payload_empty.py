# Empty payloads, one per kind (whitespace counts as empty).
# expect: invalid/payload_empty.py:15:24: schema step needs a non-empty sql
# expect: invalid/payload_empty.py:16:25: data step needs a non-empty script (or instructions for a person)
# expect: invalid/payload_empty.py:17:34: validation step needs a non-empty assertion
from contractspec import DataStep, MigrationCheck, MigrationMeta, MigrationPlan, MigrationSpec, SchemaStep, ValidationStep

spec = MigrationSpec(
    meta=MigrationMeta(
        name="tests.invalid.payload_empty",
        version=1,
        title="A test migration",
        owners=["team-tests"],
    ),
    plan=MigrationPlan(up=[
        SchemaStep(sql=""),
        DataStep(script="   "),
        ValidationStep(assertion="\n"),
    ]),
)
