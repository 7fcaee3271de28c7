# Every kind of data-step script, and one of each step kind.
from contractspec import DataStep, MigrationMeta, MigrationPlan, MigrationSpec, SchemaStep, ValidationStep

every_script = MigrationSpec(
    meta=MigrationMeta(
        name="app.db.2025_01_every_script",
        version=1,
        title="Every kind of script",
        owners=["team-app"],
    ),
    plan=MigrationPlan(
        up=[
            SchemaStep("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)"),
            DataStep(script="sql/seed_notes.sql", description="a .sql file"),
            DataStep(script="_helpers.py:tidy", description="a function in a file"),
            DataStep(script="builtins:repr", description="a function in a module"),
            DataStep(script="UPDATE notes SET body = trim(body)", description="inline SQL"),
            ValidationStep("SELECT COUNT(*) = 2 FROM notes"),
        ],
        down=[SchemaStep("DROP TABLE notes")],
    ),
)
