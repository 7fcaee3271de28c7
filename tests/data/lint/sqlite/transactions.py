# Transaction control, VACUUM, and pragmas that do nothing inside a transaction.
from contractspec import MigrationMeta, MigrationPlan, MigrationSpec, SchemaStep

spec = MigrationSpec(
    meta=MigrationMeta(name="lint.sqlite.transactions", version=1, title="Tx", owners=["t"]),
    plan=MigrationPlan(
        up=[
            SchemaStep(
                """
BEGIN IMMEDIATE;
CREATE TABLE t (id INTEGER PRIMARY KEY);
END;
VACUUM;
PRAGMA foreign_keys = ON;
PRAGMA main.journal_mode = WAL;
PRAGMA foreign_keys;
PRAGMA user_version = 3;
"""
            ),
        ],
        down=[SchemaStep("DROP TABLE t")],
    ),
)
# expect: transactions.py:10:1: error transaction-control @ BEGIN IMMEDIATE
# expect: transactions.py:12:1: error transaction-control @ END
# expect: transactions.py:13:1: error non-transactional-statement @ VACUUM
# expect: transactions.py:14:1: error non-transactional-statement @ PRAGMA foreign_keys = ON
# expect: transactions.py:15:1: error non-transactional-statement @ PRAGMA main.journal_mode
