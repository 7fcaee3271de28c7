"""The pytest plugin (`pytest --contractspec`), run by pytest's own pytester on
a small project, on SQLite files and on the suite's real PostgreSQL server.

The project: people (a table and a name index), an email index that depends
on it, and an irreversible backfill. Each broken variant must fail in the
built-in item of the migration at fault, with a message naming it.
"""

from __future__ import annotations

import re
import sys
import textwrap
from pathlib import Path

import pytest

from contractspec.cli import command_names
from contractspec.commands.build import build

PEOPLE = "app.db.2025_01_people.v1"
EMAIL = "app.db.2025_02_email_index.v1"
BACKFILL = "app.db.2025_03_backfill.v1"


def spec(name: str, up: str, down: str | None, depends: list[str]) -> str:
    down_plan = f"down=[SchemaStep({down!r})]," if down is not None else ""
    return textwrap.dedent(f"""\
        from contractspec import MigrationMeta, MigrationPlan, MigrationSpec, SchemaStep

        migration = MigrationSpec(
            meta=MigrationMeta(name={name!r}, version=1, title="t", owners=["team"]),
            plan=MigrationPlan(up=[SchemaStep({up!r})], {down_plan}),
            dependencies={depends!r},
        )
        """)


def write_project(
    root: Path, *, email_down: str = "DROP INDEX people_email", email_deps=None
) -> Path:
    (root / "pyproject.toml").write_text(
        '[tool.contractspec]\nspecs = "migrations"\nharnesses = "harnesses"\n'
    )
    specs = root / "migrations"
    specs.mkdir()
    (specs / "people.py").write_text(
        spec(
            "app.db.2025_01_people",
            "CREATE TABLE people (id INTEGER PRIMARY KEY, name TEXT, email TEXT);"
            " CREATE INDEX people_name ON people (name)",
            "DROP TABLE people",
            [],
        )
    )
    (specs / "email.py").write_text(
        spec(
            "app.db.2025_02_email_index",
            "CREATE INDEX people_email ON people (email)",
            email_down,
            ["app.db.2025_01_people"] if email_deps is None else email_deps,
        )
    )
    (specs / "backfill.py").write_text(
        spec(
            "app.db.2025_03_backfill",
            "UPDATE people SET email = lower(email)",
            None,
            ["app.db.2025_02_email_index"],
        )
    )
    build(all_=True, project=root)
    return root


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request) -> list[str]:
    """pytest options choosing the databases the built-in items test on."""
    if request.param == "sqlite":
        return []
    return ["--contractspec-postgres", request.getfixturevalue("pg_url")]


def outcomes(result: pytest.RunResult) -> dict[str, str]:
    """Item name -> PASSED/FAILED/SKIPPED, from a -v run."""
    found = {}
    for line in result.outlines:
        if line.startswith("contractspec::") and " " in line:
            name, outcome = line.split()[:2]
            found[name.split("::", 1)[1]] = outcome
    return found


# `contractspec lint` is an item when this contractspec has the command.
LINT = {"test_lint": "PASSED"} if "lint" in command_names() else {}


def test_good_project_passes(pytester: pytest.Pytester, backend):
    write_project(pytester.path)
    result = pytester.runpytest("--contractspec", "-v", "-rs", *backend)
    result.assert_outcomes(passed=7 + len(LINT), skipped=1)
    assert outcomes(result) == {
        "test_graph_sound": "PASSED",
        "test_harnesses_current": "PASSED",
        **LINT,
        f"test_roundtrip[{PEOPLE}]": "PASSED",
        f"test_roundtrip[{EMAIL}]": "PASSED",
        f"test_roundtrip[{BACKFILL}]": "SKIPPED",
        f"test_applies_alone[{PEOPLE}]": "PASSED",
        f"test_applies_alone[{EMAIL}]": "PASSED",
        f"test_applies_alone[{BACKFILL}]": "PASSED",
    }
    result.stdout.fnmatch_lines(
        [f"SKIPPED*{BACKFILL} is irreversible: migrations/backfill.py has no down plan"]
    )


def test_wrong_down_fails_its_round_trip(pytester: pytest.Pytester, backend):
    write_project(pytester.path, email_down="DROP INDEX people_name")
    result = pytester.runpytest("--contractspec", "-v", *backend)
    result.assert_outcomes(passed=6 + len(LINT), failed=1, skipped=1)
    assert outcomes(result)[f"test_roundtrip[{EMAIL}]"] == "FAILED"
    result.stdout.fnmatch_lines(
        [
            f"{EMAIL}: after down, the schema differs from the one before up:",
            "*+ index *people_email: create index people_email on *people*(email)*(new)",
            "*- index *people_name: create index people_name on *people*(name)*(gone)",
        ]
    )
    # The walk went on on a fresh database: what depends on it was tested.
    assert outcomes(result)[f"test_roundtrip[{BACKFILL}]"] == "SKIPPED"


def test_missing_dependency_fails_applies_alone(pytester: pytest.Pytester, backend):
    write_project(pytester.path, email_deps=[])  # needs people, doesn't say so
    result = pytester.runpytest("--contractspec", "-v", *backend)
    assert outcomes(result)[f"test_applies_alone[{EMAIL}]"] == "FAILED"
    assert outcomes(result)[f"test_roundtrip[{EMAIL}]"] == "PASSED"  # in full order
    result.assert_outcomes(passed=5 + len(LINT), failed=2, skipped=1)
    result.stdout.fnmatch_lines(
        [
            f"{EMAIL}: up failed on a database holding only its dependencies (none):"
            f" {EMAIL} failed: *people*",
            "does it need a migration that it does not list as a dependency?",
            # and what depends on it says which dependency did not apply
            f"{BACKFILL}: could not apply its dependency {EMAIL}: *",
        ]
    )


def test_stale_harness_fails_naming_it(pytester: pytest.Pytester, backend):
    root = write_project(pytester.path)
    email = root / "migrations" / "email.py"
    email.write_text(email.read_text().replace("(email)", "(email, name)"))
    result = pytester.runpytest("--contractspec", "-v", *backend)
    found = outcomes(result)
    assert found["test_harnesses_current"] == "FAILED"
    assert found[f"test_roundtrip[{EMAIL}]"] == "FAILED"
    assert found[f"test_applies_alone[{EMAIL}]"] == "FAILED"
    assert found[f"test_roundtrip[{PEOPLE}]"] == "PASSED"
    result.stdout.fnmatch_lines(
        [
            "harnesses are stale: 1 harness would be written, 2 unchanged",
            "rebuild with: contractspec build --all",
            f"*harnesses/app__db__2025_02_email_index__v1.py: stale*(harness of {EMAIL})",
        ]
    )


def test_broken_graph_is_one_failing_item(pytester: pytest.Pytester):
    email = write_project(pytester.path) / "migrations" / "email.py"
    email.write_text(email.read_text().replace("2025_01_people", "2025_01_peeple"))
    result = pytester.runpytest("--contractspec", "-v")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "the project does not load:",
            f"migrations/email.py:*: {EMAIL} depends on unknown migration"
            " 'app.db.2025_01_peeple'*",
        ]
    )


def test_off_unless_asked_for_and_on_by_ini(pytester: pytest.Pytester):
    write_project(pytester.path)
    pytester.makepyfile(test_nothing="def test_nothing():\n    pass\n")
    pytester.runpytest().assert_outcomes(passed=1)
    pytester.makeini("[pytest]\ncontractspec = true\n")
    pytester.runpytest().assert_outcomes(passed=8 + len(LINT), skipped=1)


def test_fixtures(pytester: pytest.Pytester, backend):
    write_project(pytester.path)
    pytester.makeconftest("")
    pytester.makepyfile(test_user=f"""
        def test_migrated(contractspec_migrated, contractspec_runner):
            url = contractspec_migrated("app.db.2025_02_email_index")
            assert url == contractspec_runner.database
            assert contractspec_runner.applied() == {{{PEOPLE!r}, {EMAIL!r}}}
            objects = contractspec_runner.catalogue().objects
            assert "index people_email" in objects or "index public.people_email" in objects
            contractspec_runner.down({EMAIL!r})
            assert contractspec_runner.applied() == {{{PEOPLE!r}}}

        def test_fresh(contractspec_runner):
            assert contractspec_runner.applied() == set()
            assert contractspec_runner.catalogue().objects == {{}}
        """)
    pytester.runpytest(*backend).assert_outcomes(passed=2)


def test_the_server_fixture_can_be_overridden(pytester: pytest.Pytester, pg_url):
    """As a conftest.py does to take the server from pytest-postgresql."""
    write_project(pytester.path)
    pytester.makeconftest(f"""
        import pytest

        @pytest.fixture(scope="session")
        def contractspec_server():
            return {pg_url!r}
        """)
    pytester.makepyfile(test_server=f"""
        def test_on_postgresql(contractspec_migrated):
            url = contractspec_migrated({PEOPLE!r})
            assert url.startswith("postgresql://") and "/cs_" in url
        """)
    pytester.runpytest().assert_outcomes(passed=1)


# --- the project's dialect decides where the tests run ---------------------------------


def write_dialect_project(root: Path, dialect: str, people: str) -> Path:
    """Two migrations in `dialect`: people (its up is `people`), then an index on it."""
    (root / "pyproject.toml").write_text(
        f'[tool.contractspec]\nharnesses = "harnesses"\ndialect = "{dialect}"\n'
    )
    (root / "migrations").mkdir()
    (root / "migrations" / "people.py").write_text(
        spec("app.db.2025_01_people", people, "DROP TABLE people", [])
    )
    index = spec(
        "app.db.2025_02_email_index",
        "CREATE INDEX people_email ON people (email)",
        "DROP INDEX people_email",
        ["app.db.2025_01_people"],
    )
    # On PostgreSQL, an index built without CONCURRENTLY on a live table is a
    # lint error; accepted here, with the reason, so test_lint passes.
    accepted = 'lint_ignore={"require-concurrent-index-creation": "a test table"})'
    (root / "migrations" / "email.py").write_text(
        index.replace("(email)')", f"(email)', {accepted}", 1)
    )
    build(all_=True, project=root)
    return root


# Each runs on its own database only: SERIAL and a cast are PostgreSQL's, and
# SQLite takes SERIAL without complaint but makes `id` no row id (NULL on insert).
POSTGRESQL_PEOPLE = (
    "CREATE TABLE people (id SERIAL PRIMARY KEY, email TEXT NOT NULL"
    " DEFAULT ''::text CHECK (length(email) < 200))"
)
SQLITE_PEOPLE = "CREATE TABLE people (id INTEGER PRIMARY KEY AUTOINCREMENT, email TEXT)"
NO_SERVER = (
    "ERROR: contractspec: the project's dialect is postgresql, so its migrations are"
    " tested on PostgreSQL: name a server whose user may CREATE DATABASE with"
    " --contractspec-postgres URL*"
)
PASSED = {
    "test_graph_sound": "PASSED",
    "test_harnesses_current": "PASSED",
    **LINT,
    f"test_roundtrip[{PEOPLE}]": "PASSED",
    f"test_roundtrip[{EMAIL}]": "PASSED",
    f"test_applies_alone[{PEOPLE}]": "PASSED",
    f"test_applies_alone[{EMAIL}]": "PASSED",
}


@pytest.mark.slow
def test_a_postgresql_project_is_tested_on_postgresql(
    pytester: pytest.Pytester, pg_url, monkeypatch
):
    monkeypatch.delenv("CONTRACTSPEC_TEST_POSTGRES_URL", raising=False)
    write_dialect_project(pytester.path, "postgresql", POSTGRESQL_PEOPLE)
    # No server named: one message naming the option, and no test runs on SQLite.
    refused = pytester.runpytest("--contractspec", "-v")
    assert refused.ret == pytest.ExitCode.USAGE_ERROR
    refused.stderr.fnmatch_lines([NO_SERVER])
    assert outcomes(refused) == {}
    # The option, the ini key, the variable: each names the server.
    passed = pytester.runpytest(
        "--contractspec", "-v", "--contractspec-postgres", pg_url
    )
    assert outcomes(passed) == PASSED
    ini = pytester.makeini(f"[pytest]\ncontractspec_postgres = {pg_url}\n")
    assert outcomes(pytester.runpytest("--contractspec", "-v")) == PASSED
    ini.unlink()
    monkeypatch.setenv("CONTRACTSPEC_TEST_POSTGRES_URL", pg_url)
    assert outcomes(pytester.runpytest("--contractspec", "-v")) == PASSED


def test_a_sqlite_project_is_tested_on_sqlite_whatever_server_is_named(
    pytester: pytest.Pytester, pg_url
):
    write_dialect_project(pytester.path, "sqlite", SQLITE_PEOPLE)
    result = pytester.runpytest(
        "--contractspec", "-v", "--contractspec-postgres", pg_url
    )
    assert outcomes(result) == PASSED  # on PostgreSQL, AUTOINCREMENT would not parse


def test_the_fixtures_of_a_postgresql_project_need_a_server(
    pytester: pytest.Pytester, pg_url, monkeypatch
):
    monkeypatch.delenv("CONTRACTSPEC_TEST_POSTGRES_URL", raising=False)
    write_dialect_project(pytester.path, "postgresql", POSTGRESQL_PEOPLE)
    pytester.makepyfile(test_user=f"""
        def test_people(contractspec_migrated):
            assert contractspec_migrated({PEOPLE!r}).startswith("postgresql://")
        """)
    failed = pytester.runpytest()
    failed.assert_outcomes(errors=1)
    failed.stdout.fnmatch_lines([NO_SERVER.removeprefix("ERROR: ")])
    pytester.runpytest("--contractspec-postgres", pg_url).assert_outcomes(passed=1)


def test_testing_on_postgresql_without_psycopg_says_what_to_install(
    pytester: pytest.Pytester, pg_url, monkeypatch
):
    write_dialect_project(pytester.path, "postgresql", POSTGRESQL_PEOPLE)
    monkeypatch.setitem(sys.modules, "psycopg", None)  # as when it is not installed
    result = pytester.runpytest("--contractspec", "--contractspec-postgres", pg_url)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        [
            "ERROR: contractspec: testing on PostgreSQL needs psycopg, which is not"
            " installed: pip install 'contractspec[postgres]'"
        ]
    )


def test_docs_example_runs_on_the_shop(pytester: pytest.Pytester, copy_tracked):
    """docs/testing.md's conftest.py and test file, on a copy of the example shop."""
    repo = Path(__file__).resolve().parents[1]
    copy_tracked(repo / "generated_examples" / "shop", pytester.path)
    docs = (repo / "docs" / "testing.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", docs, re.S)
    conftest, test_file = [block for block in blocks if "orders_db" in block]
    pytester.makeconftest(conftest)
    pytester.makepyfile(test_orders=test_file)
    result = pytester.runpytest("--contractspec")
    result.assert_outcomes(passed=1 + 2 + len(LINT) + 2 * 6)
