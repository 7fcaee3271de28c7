"""Schema steps whose SQL lives in a `.sql` file (pinned by sha256), and
`migrate create --sql @FILE` / the placeholder that build refuses."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from support import cli

SPEC = """from contractspec import MigrationMeta, MigrationPlan, MigrationSpec, SchemaStep

migration = MigrationSpec(
    meta=MigrationMeta(name="app.db.0001_add_books", version=1, title="Add books", owners=["team"]),
    plan=MigrationPlan(
        up=[SchemaStep("sql/create_books.sql")],
        down=[SchemaStep("DROP TABLE books")],
    ),
)
"""
CREATE = (
    "CREATE TABLE books (id INTEGER PRIMARY KEY, title TEXT NOT NULL);\n"
    "CREATE INDEX books_title ON books (title);\n"
)
HARNESS = "generated/harnesses/app__db__0001_add_books__v1.py"


@pytest.fixture
def project(tmp_path) -> Path:
    folder = tmp_path / "proj"
    assert cli(None, "init", str(folder)).exit_code == 0
    specs = folder / "migrations"
    (specs / "sql").mkdir(parents=True)
    (specs / "sql" / "create_books.sql").write_text(CREATE)
    (specs / "0001_add_books.py").write_text(SPEC)
    return folder


def test_a_schema_step_runs_its_pinned_sql_file(project, database_url, db):
    assert cli(project, "build", "--all").exit_code == 0
    harness = (project / HARNESS).read_text()
    assert '"script_type": "sql_file"' in harness
    assert '"script_path": "../../migrations/sql/create_books.sql"' in harness
    up = cli(project, "migrate", "up", database=database_url)
    assert up.exit_code == 0, up.stderr
    assert db.table_exists("books")
    assert db.table_exists("books_title")  # the index: both statements ran

    # Editing the file changes the spec's fingerprint: the harness is stale,
    # and the applied migration has drifted.
    sql = project / "migrations" / "sql" / "create_books.sql"
    sql.write_text(CREATE.replace("NOT NULL", ""))
    check = cli(project, "build", "--all", "--check")
    assert check.exit_code == 1
    rows = json.loads(
        cli(project, "migrate", "status", "--json", database=database_url).stdout
    )
    assert rows[0]["state"] == "drifted" and rows[0]["harness"] == "stale"


def test_the_runtime_refuses_a_file_changed_after_the_build(
    project, database_url, db, run_harness
):
    assert cli(project, "build", "--all").exit_code == 0
    (project / "migrations" / "sql" / "create_books.sql").write_text("DROP TABLE x;\n")
    run = run_harness(project / HARNESS, "up", "--database", database_url)
    assert run.returncode == 1
    assert "sql/create_books.sql changed since the harness was built" in run.stderr
    assert not db.table_exists("books")


def test_a_missing_schema_file_points_at_the_step(project):
    (project / "migrations" / "sql" / "create_books.sql").unlink()
    result = cli(project, "build", "--all")
    assert result.exit_code == 3
    assert result.stderr.startswith(
        "migrations/0001_add_books.py:6:24: script file not found:"
        " migrations/sql/create_books.sql"
    )


def test_create_reads_sql_from_a_file_and_refuses_a_placeholder(
    tmp_path, database_url, db
):
    project = tmp_path / "proj"
    assert cli(None, "init", str(project)).exit_code == 0
    forward = tmp_path / "forward.sql"
    forward.write_text(CREATE)
    created = cli(
        project,
        "migrate",
        "create",
        "app.db.0001_add_books",
        "--sql",
        f"@{forward}",
        "--down-sql",
        "-",
        input="DROP TABLE books;\n",
    )
    assert created.exit_code == 0, created.stderr
    text = (project / "migrations" / "app" / "0001_add_books.py").read_text()
    assert "CREATE INDEX books_title ON books (title);" in text
    assert "@" not in text and "DROP TABLE books;" in text
    assert cli(project, "build", "--all").exit_code == 0
    assert cli(project, "migrate", "up", database=database_url).exit_code == 0
    assert db.table_exists("books")

    missing = cli(project, "migrate", "create", "app.db.0002_x", "--sql", "@nope.sql")
    assert missing.exit_code == 2 and "@nope.sql cannot be read" in missing.stderr

    scaffold = cli(project, "migrate", "create", "app.db.0002_add_notes")
    assert scaffold.exit_code == 0
    refused = cli(project, "build", "--all")
    assert refused.exit_code == 3
    assert refused.stderr.splitlines()[0].startswith(
        "migrations/app/0002_add_notes.py:17:17: this step is the placeholder"
    )
    assert not (project / "generated/harnesses/app__db__0002_add_notes__v1.py").exists()
