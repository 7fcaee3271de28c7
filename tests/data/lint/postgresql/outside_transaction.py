# Statements PostgreSQL refuses inside a transaction block, in transactional steps.
from contractspec import MigrationMeta, MigrationPlan, MigrationSpec, SchemaStep

spec = MigrationSpec(
    meta=MigrationMeta(name="lint.pg.outside_transaction", version=1, title="Tx", owners=["t"]),
    plan=MigrationPlan(
        up=[
            SchemaStep(
                """
-- every one of these fails with SQLSTATE 25001 inside BEGIN
CREATE INDEX CONCURRENTLY t_a ON t (a);
DROP INDEX CONCURRENTLY t_b;
REINDEX INDEX CONCURRENTLY t_c;
VACUUM t;
ALTER SYSTEM SET work_mem = '64MB';
CREATE DATABASE other;
ANALYZE t;
"""
            )
        ],
        down=[],
    ),
)
# expect: outside_transaction.py:11:1: error non-transactional-statement @ CREATE INDEX CONCURRENTLY
# expect: outside_transaction.py:12:1: error non-transactional-statement @ DROP INDEX CONCURRENTLY
# expect: outside_transaction.py:13:1: error non-transactional-statement @ REINDEX INDEX CONCURRENTLY
# expect: outside_transaction.py:14:1: error non-transactional-statement @ VACUUM
# expect: outside_transaction.py:15:1: error non-transactional-statement @ ALTER SYSTEM
# expect: outside_transaction.py:16:1: error non-transactional-statement @ CREATE DATABASE
