# pause_ms and max_batches need batch_size; reconcile needs transactional=False.
# expect: invalid/batch_without_size.py:13:68: pause_ms needs batch_size
# expect: invalid/batch_without_size.py:14:59: reconcile is for steps outside a transaction: add transactional=False (a transactional step is rolled back, never left half done)
from contractspec import DataStep, MigrationMeta, MigrationPlan, MigrationSpec, SchemaStep

spec = MigrationSpec(
    meta=MigrationMeta(
        name="tests.invalid.batch_without_size",
        version=1,
        title="A test migration",
        owners=["team-tests"],
    ),
    plan=MigrationPlan(up=[DataStep("UPDATE t SET x = 1", pause_ms=10),
                           SchemaStep("VACUUM", reconcile="SELECT 1")]),
)
