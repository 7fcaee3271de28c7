# Statements that rewrite a live table (one no earlier step of this migration made).
from contractspec import MigrationMeta, MigrationPlan, MigrationSpec, SchemaStep

spec = MigrationSpec(
    meta=MigrationMeta(name="lint.pg.table_rewrite", version=1, title="Rewrites", owners=["t"]),
    plan=MigrationPlan(
        up=[
            SchemaStep(
                """
ALTER TABLE t SET UNLOGGED;
ALTER TABLE t SET LOGGED;
ALTER TABLE t SET TABLESPACE archive;
ALTER TABLE t SET ACCESS METHOD heap2;
ALTER TABLE t ADD COLUMN a bigint, ADD COLUMN position serial;
CLUSTER t USING t_pkey;
REFRESH MATERIALIZED VIEW totals;
-- none of these: a new column, a concurrent refresh, a new table
ALTER TABLE t ADD COLUMN b bigint;
REFRESH MATERIALIZED VIEW CONCURRENTLY totals;
CREATE TABLE n (id bigint);
ALTER TABLE n SET UNLOGGED, ADD COLUMN position bigserial;
CLUSTER n USING n_pkey;
"""
            ),
            SchemaStep("VACUUM FULL t; VACUUM (FULL false) t; VACUUM (ANALYZE) t", transactional=False),
        ],
        down=[],
    ),
)
# expect: table_rewrite.py:10:1: error table-rewrite @ ALTER TABLE t SET UNLOGGED
# expect: table_rewrite.py:11:1: error table-rewrite @ ALTER TABLE t SET LOGGED
# expect: table_rewrite.py:12:1: error table-rewrite @ ALTER TABLE t SET TABLESPACE
# expect: table_rewrite.py:13:1: error table-rewrite @ ALTER TABLE t SET ACCESS METHOD
# expect: table_rewrite.py:14:47: error table-rewrite @ position serial
# expect: table_rewrite.py:15:1: error table-rewrite @ CLUSTER t
# expect: table_rewrite.py:16:1: error table-rewrite @ REFRESH MATERIALIZED VIEW totals
# expect: table_rewrite.py:25:32: error table-rewrite @ FULL t
