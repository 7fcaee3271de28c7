"""`contractspec migrate baseline`, end to end on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from support import cli

from contractspec.cli import root

SPEC = """from contractspec import MigrationCheck, MigrationMeta, MigrationPlan, MigrationSpec, SchemaStep, ValidationStep

migration = MigrationSpec(
    meta=MigrationMeta(name="{name}", version=1, title="{title}", owners=["team"]),
    plan=MigrationPlan(
        up=[
            SchemaStep(
                "{sql}",
                post_checks=[MigrationCheck(description="table there", expression="SELECT COUNT(*) >= 0 FROM {table}")],
            ),
            ValidationStep("SELECT COUNT(*) = 0 FROM {table}", description="{table} starts empty"),
        ],
        down=[SchemaStep("DROP TABLE {table}")],
    ),
    dependencies={dependencies},
)
"""
ITEMS = "app.db.0001_add_items"
TAGS = "app.db.0002_add_tags"
NEW = "app.db.0003_add_notes"


def write_spec(project: Path, name: str, table: str, dependencies: list[str]) -> None:
    path = project / "migrations" / f"{name.split('.')[-1]}.py"
    sql = f"CREATE TABLE {table} (id INTEGER PRIMARY KEY)"
    path.write_text(
        SPEC.format(
            name=name,
            title=f"Add {table}",
            sql=sql,
            table=table,
            dependencies=dependencies,
        )
    )


@pytest.fixture
def project(tmp_path) -> Path:
    folder = tmp_path / "proj"
    assert CliRunner().invoke(root, ["init", str(folder)]).exit_code == 0
    write_spec(folder, ITEMS, "items", [])
    write_spec(folder, TAGS, "tags", [ITEMS])
    assert (
        CliRunner().invoke(root, ["build", "--all", "-C", str(folder)]).exit_code == 0
    )
    return folder


def status(project: Path, database: str) -> dict[str, dict]:
    result = cli(project, "migrate", "status", "--json", database=database)
    return {row["key"]: row for row in json.loads(result.stdout)}


def test_baseline_then_up_of_a_new_migration(project, database_url, db):
    db.execute("CREATE TABLE items (id INTEGER PRIMARY KEY)")  # what the old tool did
    db.execute("CREATE TABLE tags (id INTEGER PRIMARY KEY)")
    result = cli(
        project, "migrate", "baseline", "--all", "--verify", database=database_url
    )
    assert result.exit_code == 0, result.stderr
    assert "2 baselined" in result.stderr
    rows = status(project, database_url)
    assert {key: (row["state"], row.get("baseline")) for key, row in rows.items()} == {
        f"{ITEMS}.v1": ("applied", True),
        f"{TAGS}.v1": ("applied", True),
    }
    assert [
        e["status"] for e in db.events(f"{ITEMS}.v1") if e["event"] == "run_end"
    ] == ["baselined"]
    table = cli(project, "migrate", "status", database=database_url)
    assert "applied (baseline)" in table.stdout

    again = cli(project, "migrate", "baseline", ITEMS, database=database_url)
    assert again.exit_code == 1
    assert f"already in the history: {ITEMS}.v1" in again.stderr

    write_spec(project, NEW, "notes", [TAGS])
    assert (
        CliRunner().invoke(root, ["build", "--all", "-C", str(project)]).exit_code == 0
    )
    up = cli(project, "migrate", "up", database=database_url)
    assert up.exit_code == 0, up.stderr
    assert "1 applied, 2 already applied" in up.stderr
    assert db.table_exists("notes")
    assert status(project, database_url)[f"{NEW}.v1"].get("baseline") is None

    # A baselined migration reverts like any other (its down plan runs).
    down = cli(project, "migrate", "down", "--steps", "2", database=database_url)
    assert down.exit_code == 0, down.stderr
    assert not db.table_exists("tags") and db.table_exists("items")


def test_baseline_of_one_name_takes_its_dependencies(project, database_url, db):
    db.execute("CREATE TABLE items (id INTEGER PRIMARY KEY)")
    assert (
        cli(project, "migrate", "baseline", ITEMS, database=database_url).exit_code == 0
    )
    # items is in the history already: baselining tags skips it, not refuses.
    db.execute("CREATE TABLE tags (id INTEGER PRIMARY KEY)")
    result = cli(project, "migrate", "baseline", TAGS, database=database_url)
    assert result.exit_code == 0, result.stderr
    assert "1 baselined, 1 already applied" in result.stderr
    assert [key for key, _ in db.history()] == [f"{ITEMS}.v1", f"{TAGS}.v1"]


def test_verify_refuses_a_database_without_the_effects(project, database_url, db):
    db.execute("CREATE TABLE items (id INTEGER PRIMARY KEY)")
    db.execute("INSERT INTO items (id) VALUES (1)")  # the validation wants it empty
    result = cli(
        project, "migrate", "baseline", "--all", "--verify", database=database_url
    )
    assert result.exit_code == 1
    assert "validation 'items starts empty' failed: returned" in result.stderr
    assert db.history() == []
    assert db.scalar("SELECT COUNT(*) FROM items") == 1  # read-only: untouched
    failed = [e for e in db.events(f"{ITEMS}.v1") if e["event"] == "run_end"]
    assert [e["status"] for e in failed] == ["failed"]

    # Without --verify nothing is run: recorded as it is.
    assert (
        cli(project, "migrate", "baseline", "--all", database=database_url).exit_code
        == 0
    )
    assert not db.table_exists("tags")
    assert len(db.history()) == 2


def test_baseline_needs_a_name_or_all(project, database_url):
    assert cli(project, "migrate", "baseline", database=database_url).exit_code == 2
