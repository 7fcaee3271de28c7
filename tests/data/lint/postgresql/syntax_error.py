# A syntax error deep in a triple-quoted string: the position is the bad token's.
from contractspec import MigrationMeta, MigrationPlan, MigrationSpec, SchemaStep

spec = MigrationSpec(
    meta=MigrationMeta(name="lint.pg.syntax_error", version=1, title="Syntax", owners=["t"]),
    plan=MigrationPlan(
        up=[
            SchemaStep(
                """
CREATE TABLE t (id bigint PRIMARY KEY);
-- a comment; with a semicolon
INSERT INTO t VALUES (1);
SELECT 'é',
    2;
    SELEC 3;
"""
            )
        ],
        down=[SchemaStep("DROP TABLE t")],
    ),
)
# expect: syntax_error.py:15:5: error syntax-error @ SELEC 3
