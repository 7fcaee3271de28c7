# BEGIN / COMMIT / SAVEPOINT / ROLLBACK inside a step.
from contractspec import MigrationMeta, MigrationPlan, MigrationSpec, SchemaStep

spec = MigrationSpec(
    meta=MigrationMeta(name="lint.pg.transaction_control", version=1, title="Tx", owners=["t"]),
    plan=MigrationPlan(
        up=[
            SchemaStep("CREATE TABLE t (id bigint)"),
            SchemaStep("BEGIN; SAVEPOINT s; INSERT INTO t VALUES (1); ROLLBACK TO s; COMMIT;"),
        ],
        down=[SchemaStep("DROP TABLE t")],
    ),
)
# expect: transaction_control.py:9:25: error transaction-control @ BEGIN
# expect: transaction_control.py:9:32: error transaction-control @ SAVEPOINT
# expect: transaction_control.py:9:71: error transaction-control @ ROLLBACK TO s
# expect: transaction_control.py:9:86: error transaction-control @ COMMIT
