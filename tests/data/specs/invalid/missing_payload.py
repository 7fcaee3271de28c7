# A step without its payload, one per kind.
# expect: invalid/missing_payload.py:15:9: SchemaStep() is missing required field 'sql'
# expect: invalid/missing_payload.py:16:9: DataStep() needs a script (or instructions for a person)
# expect: invalid/missing_payload.py:17:9: ValidationStep() is missing required field 'assertion'
from contractspec import DataStep, MigrationCheck, MigrationMeta, MigrationPlan, MigrationSpec, SchemaStep, ValidationStep

spec = MigrationSpec(
    meta=MigrationMeta(
        name="tests.invalid.missing_payload",
        version=1,
        title="A test migration",
        owners=["team-tests"],
    ),
    plan=MigrationPlan(up=[
        SchemaStep(description="no sql"),
        DataStep(description="no script"),
        ValidationStep(description="no assertion"),
    ]),
)
