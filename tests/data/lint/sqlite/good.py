# Nothing to report: triggers, quoted semicolons, comments.
from contractspec import DataStep, MigrationCheck, MigrationMeta, MigrationPlan, MigrationSpec, SchemaStep

spec = MigrationSpec(
    meta=MigrationMeta(name="lint.sqlite.good", version=1, title="Good", owners=["t"]),
    plan=MigrationPlan(
        up=[
            SchemaStep(
                """
-- a comment; with a semicolon
CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT /* ; */);
CREATE TRIGGER t_a AFTER INSERT ON t BEGIN UPDATE t SET a = 'x;y' WHERE id = NEW.id; END;
CREATE INDEX t_by_a ON t (a)
"""
            ),
            DataStep(
                script="INSERT INTO t (a) VALUES ('b')",
                post_checks=[MigrationCheck(description="one row", expression="SELECT COUNT(*) = 1 FROM t")],
            ),
        ],
        down=[SchemaStep("DROP TABLE t")],
    ),
)
