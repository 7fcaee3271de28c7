# SQLite's own parser: PostgreSQL-only syntax is a syntax error here.
from contractspec import MigrationMeta, MigrationPlan, MigrationSpec, SchemaStep

spec = MigrationSpec(
    meta=MigrationMeta(name="lint.sqlite.syntax_error", version=1, title="Syntax", owners=["t"]),
    plan=MigrationPlan(
        up=[
            SchemaStep(
                """
CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT);
CREATE TRIGGER t_a AFTER INSERT ON t BEGIN UPDATE t SET a = 'x;y'; END;
ALTER TABLE t ALTER COLUMN a SET NOT NULL;
"""
            ),
            SchemaStep("INSERT INTO t (a) VALUES ('unclosed)"),
            SchemaStep("ALTER TABLE t ADD COLUMN IF NOT EXISTS b TEXT"),
        ],
        down=[SchemaStep("DROP TABLE t")],
    ),
)
# expect: syntax_error.py:12:15: error syntax-error @ ALTER COLUMN
# expect: syntax_error.py:15:51: error syntax-error @ 'unclosed)
# expect: syntax_error.py:16:57: error syntax-error @ EXISTS b TEXT
