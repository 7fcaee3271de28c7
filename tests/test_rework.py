"""Reworking an applied migration: `spec new-version`, the drift message, and
the way back for an applied version whose spec is gone (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from support import cli

from contractspec.cli import root

NAME = "app.db.0001_add_books"
V1, V2 = f"{NAME}.v1", f"{NAME}.v2"


def states(project: Path, database: str) -> dict[str, str]:
    result = cli(project, "migrate", "status", "--json", database=database)
    return {row["key"]: row["state"] for row in json.loads(result.stdout)}


@pytest.fixture
def project(tmp_path, database_url, db) -> Path:
    folder = tmp_path / "proj"
    assert CliRunner().invoke(root, ["init", str(folder)]).exit_code == 0
    created = cli(
        folder,
        "migrate",
        "create",
        NAME,
        "--sql",
        "CREATE TABLE books (id INTEGER PRIMARY KEY)",
        "--down-sql",
        "DROP TABLE books",
    )
    assert created.exit_code == 0, created.stderr
    assert cli(folder, "build", "--all").exit_code == 0
    assert cli(folder, "migrate", "up", database=database_url).exit_code == 0
    assert db.table_exists("books")
    return folder


def spec_file(project: Path, suffix: str = "") -> Path:
    return project / "migrations" / "app" / f"0001_add_books{suffix}.py"


def test_new_version_reworks_an_applied_migration(project, database_url, db):
    original = spec_file(project).read_text()
    # Editing the applied spec in place is drift; the message names the command.
    spec_file(project).write_text(
        original.replace("PRIMARY KEY)", "PRIMARY KEY, t TEXT)")
    )
    drift = cli(project, "migrate", "up", database=database_url)
    assert drift.exit_code == 1
    assert f"contractspec spec new-version {NAME}" in drift.stderr
    spec_file(project).write_text(original)

    created = cli(project, "spec", "new-version", NAME)
    assert created.exit_code == 0, created.stderr
    assert created.stdout.strip() == "migrations/app/0001_add_books_v2.py"
    assert spec_file(project).read_text() == original  # v1 as it was
    copy = spec_file(project, "_v2").read_text()
    assert "version=2," in copy and "after version 1" in copy
    # The person turns the copy into the change from v1 to v2.
    copy = copy.replace(
        "CREATE TABLE books (id INTEGER PRIMARY KEY)",
        "ALTER TABLE books ADD COLUMN title TEXT",
    ).replace("DROP TABLE books", "ALTER TABLE books DROP COLUMN title")
    spec_file(project, "_v2").write_text(copy)
    assert cli(project, "build", "--all").exit_code == 0
    up = cli(project, "migrate", "up", database=database_url)
    assert up.exit_code == 0, up.stderr
    assert "1 applied, 1 already applied" in up.stderr
    assert states(project, database_url) == {V1: "applied", V2: "applied"}
    db.execute("INSERT INTO books (id, title) VALUES (1, 'Dune')")

    down = cli(project, "migrate", "down", database=database_url)
    assert down.exit_code == 0, down.stderr
    assert states(project, database_url) == {V1: "applied", V2: "pending"}
    assert db.scalar("SELECT COUNT(*) FROM books") == 1

    # A third version copies the second, not the first.
    third = cli(project, "spec", "new-version", NAME)
    assert third.exit_code == 0
    assert "ADD COLUMN title" in spec_file(project, "_v3").read_text()
    assert cli(project, "spec", "new-version", V1).exit_code == 2  # not the highest


def test_an_applied_version_whose_spec_is_gone_reverts_from_its_harness(
    project, database_url, db
):
    harness = project / "generated" / "harnesses" / "app__db__0001_add_books__v1.py"
    committed = harness.read_bytes()  # what version control keeps
    # The dead end of issue 14: bump the version in place, rebuild everything.
    assert cli(project, "spec", "bump-version", NAME).exit_code == 0
    assert cli(project, "build", "--all").exit_code == 0
    assert not harness.exists()  # an orphan: removed by build --all
    assert states(project, database_url) == {V2: "pending", V1: "unknown"}
    rerun = cli(project, "migrate", "up", database=database_url)
    assert rerun.exit_code == 1 and "already exists" in rerun.stderr

    # The way back: revert v1 from its committed harness.
    missing = cli(project, "migrate", "down", V1, database=database_url)
    assert missing.exit_code == 1
    assert (
        "git checkout <commit> -- generated/harnesses/app__db__0001_add_books__v1.py"
        in (missing.stderr)
    )
    harness.write_bytes(committed)  # git checkout HEAD~1 -- <harness>
    preview = cli(project, "migrate", "down", V1, "--dry-run", database=database_url)
    assert preview.exit_code == 0 and f"would revert {V1}" in preview.stdout
    down = cli(project, "migrate", "down", V1, database=database_url)
    assert down.exit_code == 0, down.stderr
    assert not db.table_exists("books")
    assert [key for key, _ in db.history()] == []

    up = cli(project, "migrate", "up", database=database_url)
    assert up.exit_code == 0, up.stderr
    assert states(project, database_url) == {V2: "applied"}
    assert db.table_exists("books")


def test_a_harness_that_is_not_the_applied_one_is_refused(project, database_url, db):
    harness = project / "generated" / "harnesses" / "app__db__0001_add_books__v1.py"
    spec_file(project).write_text(
        spec_file(project).read_text().replace("DROP TABLE books", "DELETE FROM books")
    )
    assert cli(project, "build", "--all").exit_code == 0
    changed = harness.read_bytes()
    shutil.rmtree(project / "migrations")
    (project / "migrations").mkdir()
    harness.write_bytes(changed)
    refused = cli(project, "migrate", "down", V1, database=database_url)
    assert refused.exit_code == 1
    assert "built from another spec than the one applied" in refused.stderr
    assert db.table_exists("books")
