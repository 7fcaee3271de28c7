"""`contractspec import sqitch|flyway`, end to end: the fixtures in
tests/data/importers (written for these tests) are imported, built and applied
on SQLite and PostgreSQL, and the schema is compared with the one the original
scripts make when run directly; then `baseline` adopts a database the old
tool migrated."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from support import cli

from contractspec.cli import root
from contractspec.format import format_source

DATA = Path(__file__).parent / "data" / "importers"
SQITCH, FLYWAY = DATA / "sqitch", DATA / "flyway" / "sql"
# The plan's deploy order, and the files each step ran (a reworked change's
# first version lives in `<name>@<tag>.sql`): this test's own reading of it.
SQITCH_DEPLOY = ["authors", "books", "available_books@v1.0", "loans", "available_books"]
SQITCH_KEYS = [
    "library.db.0001_authors.v1",
    "library.db.0002_books.v1",
    "library.db.0003_available_books.v1",
    "library.db.0004_loans.v1",
    "library.db.0003_available_books.v2",
]
FLYWAY_DEPLOY = ["V1__create_members", "V1_1__add_member_name", "V2__create_visits"]
FLYWAY_DEPLOY.append("V10__unique_member_email")
FLYWAY_KEYS = [
    "club.db.v1_create_members.v1",
    "club.db.v1_1_add_member_name.v1",
    "club.db.v2_create_visits.v1",
    "club.db.v10_unique_member_email.v1",
]


@pytest.fixture
def project(tmp_path) -> Path:
    folder = tmp_path / "proj"
    assert CliRunner().invoke(root, ["init", str(folder)]).exit_code == 0
    return folder


def schema(db) -> list[tuple]:
    """What the database holds, apart from contractspec's own tables."""
    if db.dialect == "sqlite":
        return db.rows(
            "SELECT type, name, tbl_name, sql FROM sqlite_master WHERE name NOT LIKE"
            " 'contractspec%' AND name NOT LIKE 'sqlite_%' ORDER BY type, name"
        )
    mine = "NOT LIKE 'contractspec%%'"  # DB.rows passes parameters: % doubled
    return (
        db.rows(
            "SELECT table_name, column_name, data_type, is_nullable, column_default"
            f" FROM information_schema.columns WHERE table_schema = 'public' AND table_name {mine}"
            " ORDER BY table_name, ordinal_position"
        )
        + db.rows(
            f"SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' AND tablename {mine}"
            " ORDER BY indexname"
        )
        + db.rows(
            "SELECT viewname, definition FROM pg_views WHERE schemaname = 'public' ORDER BY viewname"
        )
        + db.rows(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE connamespace ="
            f" 'public'::regnamespace AND conname {mine} ORDER BY conname"
        )
    )


def run_scripts(db, paths: list[Path]) -> None:
    """The original scripts, run directly, as the old tool would."""
    for path in paths:
        db.execute(path.read_text())


def states(project: Path, database: str) -> dict[str, tuple]:
    result = cli(project, "migrate", "status", "--json", database=database)
    return {
        r["key"]: (r["state"], r.get("baseline", False))
        for r in json.loads(result.stdout)
    }


def import_and_build(project: Path, tool: str, source: Path, *options: str) -> None:
    imported = cli(project, "import", tool, str(source), *options)
    assert imported.exit_code == 0, imported.stderr
    built = cli(project, "build", "--all")
    assert built.exit_code == 0, built.stderr


# --- Sqitch -----------------------------------------------------------------------


def test_sqitch_import_writes_one_spec_per_change(project):
    result = cli(project, "import", "sqitch", str(SQITCH), "--owner", "team-library")
    assert result.exit_code == 0, result.stderr
    folder = project / "migrations" / "library"
    assert result.stdout.splitlines() == [
        "migrations/library/0001_authors.py",
        "migrations/library/0002_books.py",
        "migrations/library/0003_available_books.py",
        "migrations/library/0004_loans.py",
        "migrations/library/0003_available_books_v2.py",
    ]
    assert "loans conflicts with legacy_loans: reported, not enforced" in result.stderr
    for path in folder.iterdir():
        text = path.read_text()
        assert format_source(text) == text  # black-formatted
        assert (
            "BEGIN;" not in text and "COMMIT;" not in text and "ROLLBACK;" not in text
        )
    listing = cli(project, "list", "--json")
    specs = {s["key"]: s for s in json.loads(listing.stdout)}
    assert sorted(specs) == sorted(SQITCH_KEYS)
    rework = json.loads(cli(project, "show", SQITCH_KEYS[4], "--json").stdout)
    assert rework["meta"]["tags"] == ["v1.1"]
    assert rework["meta"]["owners"] == ["team-library"]
    assert rework["dependencies"] == ["library.db.0004_loans.v1"]
    assert [s["kind"] for s in rework["plan"]["up"]] == ["schema", "validation"]
    # The verify query, as one read-only statement that passes when it runs.
    assert rework["plan"]["up"][1]["assertion"] == (
        "SELECT COUNT(*) >= 0 FROM (\nSELECT id, title FROM available_books WHERE 1 = 0\n) AS verify\n"
    )
    strict = cli(project, "lint", "--strict")  # lint finds nothing to say
    assert strict.exit_code == 0, strict.stdout + strict.stderr
    assert "NOT EXISTS" in rework["plan"]["up"][0]["sql"]
    first = json.loads(cli(project, "show", SQITCH_KEYS[2], "--json").stdout)
    assert first["meta"]["tags"] == ["v1.0"]
    assert (
        "NOT EXISTS" not in first["plan"]["up"][0]["sql"]
    )  # from available_books@v1.0.sql

    # A second import would duplicate every name: refused, nothing written.
    before = sorted(p.name for p in folder.iterdir())
    again = cli(project, "import", "sqitch", str(SQITCH))
    assert again.exit_code == 2 and "already registered" in again.stderr
    assert sorted(p.name for p in folder.iterdir()) == before


def test_sqitch_import_applies_like_the_original_scripts(project, database_url, db):
    run_scripts(db, [SQITCH / "deploy" / f"{name}.sql" for name in SQITCH_DEPLOY])
    expected = schema(db)
    assert expected  # the scripts made something
    reverts = [SQITCH / "revert" / f"{name}.sql" for name in reversed(SQITCH_DEPLOY)]
    run_scripts(db, reverts)
    assert schema(db) == []

    import_and_build(project, "sqitch", SQITCH)
    up = cli(project, "migrate", "up", database=database_url)
    assert up.exit_code == 0, up.stderr
    assert schema(db) == expected
    # The verify scripts ran as validation steps.
    checks = [e for e in db.events(SQITCH_KEYS[0]) if e["event"] == "check"]
    assert [e["status"] for e in checks] == ["pass"]

    down = cli(project, "migrate", "down", "--all", database=database_url)
    assert down.exit_code == 0, down.stderr
    assert schema(db) == []


def test_baseline_adopts_a_database_sqitch_migrated(project, database_url, db):
    run_scripts(db, [SQITCH / "deploy" / f"{name}.sql" for name in SQITCH_DEPLOY])
    import_and_build(project, "sqitch", SQITCH)
    baseline = cli(
        project, "migrate", "baseline", "--all", "--verify", database=database_url
    )
    assert baseline.exit_code == 0, baseline.stderr
    assert states(project, database_url) == {
        key: ("applied", True) for key in SQITCH_KEYS
    }

    created = cli(
        project,
        "migrate",
        "create",
        "library.db.0005_loan_due_dates",
        "--sql",
        "ALTER TABLE loans ADD COLUMN due_on TEXT",
        "--down-sql",
        "ALTER TABLE loans DROP COLUMN due_on",
    )
    assert created.exit_code == 0, created.stderr
    assert cli(project, "build", "--all").exit_code == 0
    up = cli(project, "migrate", "up", database=database_url)
    assert up.exit_code == 0, up.stderr
    assert "1 applied, 5 already applied" in up.stderr
    db.execute("INSERT INTO authors (id, name) VALUES (1, 'Le Guin')")
    db.execute("INSERT INTO books (id, title, author_id) VALUES (1, 'Earthsea', 1)")
    db.execute(
        "INSERT INTO loans (id, book_id, loaned_at, due_on) VALUES (1, 1, 'today', 'soon')"
    )
    assert db.rows("SELECT id FROM available_books") == []


def test_sqitch_plan_problems_point_at_the_line(project, tmp_path):
    broken = tmp_path / "broken"
    (broken / "deploy").mkdir(parents=True)
    (broken / "deploy" / "b.sql").write_text("SELECT 1;\n")
    (broken / "sqitch.plan").write_text(
        "%project=x\n\nb [a] 2025-01-01T00:00:00Z P <p@example.invalid> # needs a\n"
    )
    result = cli(project, "import", "sqitch", str(broken))
    assert result.exit_code == 2
    assert (
        f"{broken / 'sqitch.plan'}:3:1: b requires a, which is not earlier in the plan"
        in (result.stderr)
    )
    assert not (project / "migrations" / "x").exists()


# --- Flyway -----------------------------------------------------------------------


def test_flyway_import_is_a_chain_in_version_order(project):
    result = cli(project, "import", "flyway", str(FLYWAY), "--domain", "club")
    assert result.exit_code == 0, result.stderr
    assert (
        "R__member_overview.sql: a repeatable migration, not imported" in result.stderr
    )
    assert "V1__create_members.sql: no undo script" in result.stderr
    listing = json.loads(cli(project, "list", "--json").stdout)
    assert [s["key"] for s in listing] == FLYWAY_KEYS  # 10 after 2: numeric order
    shown = [json.loads(cli(project, "show", k, "--json").stdout) for k in FLYWAY_KEYS]
    assert [s["dependencies"] for s in shown] == [[]] + [[k] for k in FLYWAY_KEYS[:-1]]
    assert shown[0]["plan"]["down"] is None
    first = (project / "migrations" / "club" / "v1_create_members.py").read_text()
    assert "down=None,  # Flyway has no undo script for version 1" in first
    strict = cli(project, "lint", "--strict")
    assert strict.exit_code == 0, strict.stdout + strict.stderr
    assert (
        shown[1]["plan"]["down"][0]["sql"] == "ALTER TABLE members DROP COLUMN name;\n"
    )
    assert shown[0]["meta"]["title"] == "Create members"


def test_flyway_import_applies_like_the_original_scripts(project, database_url, db):
    run_scripts(db, [FLYWAY / f"{name}.sql" for name in FLYWAY_DEPLOY[:1]])
    only_first = schema(db)
    run_scripts(db, [FLYWAY / f"{name}.sql" for name in FLYWAY_DEPLOY[1:]])
    expected = schema(db)

    import_and_build(project, "flyway", FLYWAY, "--domain", "club")
    # A database the old tool migrated: baseline, verified, then reverted down
    # to the first version with the imported undo scripts.
    assert (
        cli(project, "migrate", "baseline", "--all", database=database_url).exit_code
        == 0
    )
    down = cli(
        project, "migrate", "down", "--to", FLYWAY_KEYS[0], database=database_url
    )
    assert down.exit_code == 0, down.stderr
    assert schema(db) == only_first
    up = cli(project, "migrate", "up", database=database_url)
    assert up.exit_code == 0, up.stderr
    assert "3 applied, 1 already applied" in up.stderr
    assert schema(db) == expected
    assert states(project, database_url) == {
        FLYWAY_KEYS[0]: ("applied", True),
        **{key: ("applied", False) for key in FLYWAY_KEYS[1:]},
    }


def test_only_the_scripts_own_transaction_statements_are_dropped():
    from contractspec.commands.importers import strip_transaction

    function = (
        "BEGIN;\nCREATE FUNCTION touch() RETURNS void AS $$\nBEGIN\n"
        "  PERFORM 1;\nEND;\n$$ LANGUAGE plpgsql;\nSAVEPOINT s;\nCOMMIT;\n"
    )
    assert strip_transaction(function, "postgresql") == (
        "CREATE FUNCTION touch() RETURNS void AS $$\nBEGIN\n"
        "  PERFORM 1;\nEND;\n$$ LANGUAGE plpgsql;\nSAVEPOINT s;\n"
    )  # the savepoint stays, for build to refuse where a person sees it
    text = "BEGIN TRANSACTION;\nINSERT INTO notes VALUES ('COMMIT;');\nCOMMIT;\n"
    assert (
        strip_transaction(text, "sqlite") == "INSERT INTO notes VALUES ('COMMIT;');\n"
    )
