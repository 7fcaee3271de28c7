# An unknown stability.
# expect: invalid/stability_unknown.py:11:19: unknown stability 'production': expected one of idea, in_creation, experimental, beta, stable, deprecated
from contractspec import DataStep, MigrationCheck, MigrationMeta, MigrationPlan, MigrationSpec, SchemaStep, ValidationStep

spec = MigrationSpec(
    meta=MigrationMeta(
        name="tests.invalid.stability_unknown",
        version=1,
        title="A test migration",
        owners=["team-tests"],
        stability="production",
    ),
    plan=MigrationPlan(up=[SchemaStep("CREATE TABLE t (id INTEGER)")]),
)
