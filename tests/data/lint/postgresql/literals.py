# Positions through escapes, implicit concatenation and module-level names.
from contractspec import MigrationMeta, MigrationPlan, MigrationSpec, SchemaStep

SQL = """
CREATE TABLE t (a text);
INSERT INTO t VALUES ('é\tx');
COMMIT;
"""

spec = MigrationSpec(
    meta=MigrationMeta(name="lint.pg.literals", version=1, title="Literals", owners=["t"]),
    plan=MigrationPlan(
        up=[
            SchemaStep(SQL),
            SchemaStep("INSERT INTO t VALUES ('\\n\u00e9');\n"
                       "SELEC 1"),
            SchemaStep(r"SELECT '\d';" "\n" 'VACUUM t'),
        ],
        down=[],
    ),
)
# expect: literals.py:7:1: error transaction-control @ COMMIT
# expect: literals.py:16:25: error syntax-error @ SELEC
# expect: literals.py:17:46: error non-transactional-statement @ VACUUM
