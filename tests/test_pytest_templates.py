"""Migrated test databases in milliseconds: the plugin migrates a template
once per harness-folder fingerprint and gives each test a copy of it
(`contractspec_database`, `contractspec_database_at(NAME)`); with
--contractspec-reuse-db the templates outlive the session, and stale ones
are dropped. Run by pytester on SQLite files and the real PostgreSQL server.

A copy is told from a migration by the history's applied_at: every copy of
one template holds the time the template was migrated."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from test_pytest_plugin import BACKFILL, EMAIL, PEOPLE, write_project

from contractspec.commands.build import build

DOCS = Path(__file__).resolve().parents[1] / "docs" / "testing.md"

# A test module for the inner session: what each test's database holds.
HISTORY = """
import json, sqlite3
from pathlib import Path

import pytest


def rows(url, query):
    if url.startswith("sqlite:///"):
        conn = sqlite3.connect(url[len("sqlite:///"):])
    else:
        import psycopg
        conn = psycopg.connect(url)
    try:
        cursor = conn.execute(query)
        found = [tuple(r) for r in cursor.fetchall()] if cursor.description else []
        conn.commit()
        return found
    finally:
        conn.close()


def history(url):
    return dict(rows(url, "SELECT key, CAST(applied_at AS TEXT) FROM contractspec_history"))


def record(name, url):
    with open(Path(__file__).parent / "seen.jsonl", "a") as out:
        out.write(json.dumps([name, url, history(url)]) + "\\n")
"""


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request) -> list[str]:
    """pytest options choosing where the fixtures make their databases."""
    if request.param == "sqlite":
        return []
    return ["--contractspec-postgres", request.getfixturevalue("pg_url")]


def seen(folder: Path) -> list[tuple[str, str, dict[str, str]]]:
    lines = (folder / "seen.jsonl").read_text().splitlines()
    return [tuple(json.loads(line)) for line in lines]  # type: ignore[misc]


def test_each_test_gets_its_own_copy_of_one_template(
    pytester: pytest.Pytester, backend
):
    write_project(pytester.path)
    pytester.makepyfile(test_copies=HISTORY + f"""

@pytest.mark.parametrize("n", range(3))
def test_migrated(contractspec_database, n):
    record("all", contractspec_database)
    assert set(history(contractspec_database)) == {{{PEOPLE!r}, {EMAIL!r}, {BACKFILL!r}}}
    # A change here is this test's alone.
    rows(contractspec_database, "DELETE FROM contractspec_history")


def test_at(contractspec_database_at):
    url = contractspec_database_at("app.db.2025_02_email_index")
    record("at", url)
    assert set(history(url)) == {{{PEOPLE!r}, {EMAIL!r}}}
    again = contractspec_database_at("app.db.2025_02_email_index")
    assert again != url and history(again) == history(url)
    first = contractspec_database_at({PEOPLE!r})
    assert set(history(first)) == {{{PEOPLE!r}}}
""")
    result = pytester.runpytest(*backend)
    result.assert_outcomes(passed=4)
    found = seen(pytester.path)
    alls = [entry for entry in found if entry[0] == "all"]
    assert len({url for _, url, _ in alls}) == 3  # three databases
    assert all(h == alls[0][2] for _, _, h in alls)  # one migration, copied
    [(_, _, at)] = [entry for entry in found if entry[0] == "at"]
    assert at[PEOPLE] != alls[0][2][PEOPLE]  # its own template: migrated apart
    # Every copy and template is gone at the end of the session.
    for _, url, _ in found:
        if url.startswith("sqlite:///"):
            assert not Path(url[len("sqlite:///") :]).exists()


def test_an_edited_harness_is_refused_as_migrate_refuses_it(
    pytester: pytest.Pytester,
):
    root = write_project(pytester.path)
    harness = root / "harnesses" / "app__db__2025_02_email_index__v1.py"
    harness.write_text(harness.read_text().replace("(email)", "(name)"))
    pytester.makepyfile(test_edited="""
def test_migrated(contractspec_database):
    pass
""")
    result = pytester.runpytest()
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        [
            "*contractspec: cannot migrate a template:*",
            "*app__db__2025_02_email_index__v1.py: edited*",
        ]
    )
    assert "Traceback" not in result.stdout.str()
    assert "During handling" not in result.stdout.str()


def _pg_templates(pg_url: str) -> set[str]:
    import psycopg

    with psycopg.connect(pg_url, autocommit=True) as conn:
        query = "SELECT datname FROM pg_database WHERE datname LIKE 'cs_tpl_%'"
        return {name for (name,) in conn.execute(query).fetchall()}


def test_reused_templates_outlive_the_session_until_stale(
    pytester: pytest.Pytester, backend, request
):
    root = write_project(pytester.path)
    pytester.makepyfile(test_reuse=HISTORY + """

def test_migrated(contractspec_database):
    record("all", contractspec_database)
""")
    run = ("--contractspec-reuse-db", "-p", "cacheprovider", *backend)
    pytester.runpytest(*run).assert_outcomes(passed=1)
    pytester.runpytest(*run).assert_outcomes(passed=1)
    first, second = seen(pytester.path)
    assert first[2] == second[2]  # the second session copied the first's template
    if backend:
        kept = _pg_templates(request.getfixturevalue("pg_url"))
    else:
        kept = {p.name for p in (root / ".pytest_cache").rglob("cs_tpl_*")}
    assert len(kept) == 1
    # A new harness: the template is stale, made again, and the old one dropped.
    email = root / "migrations" / "email.py"
    email.write_text(email.read_text().replace("(email)", "(email, name)"))
    build(all_=True, project=root)
    pytester.runpytest(*run).assert_outcomes(passed=1)
    third = seen(pytester.path)[2]
    assert third[2][PEOPLE] != first[2][PEOPLE]
    if backend:
        now = _pg_templates(request.getfixturevalue("pg_url"))
    else:
        now = {p.name for p in (root / ".pytest_cache").rglob("cs_tpl_*")}
    assert len(now) == 1 and now.isdisjoint(kept)
    # Without the option, templates live for the session only.
    pytester.runpytest("-p", "cacheprovider", *backend).assert_outcomes(passed=1)
    assert seen(pytester.path)[3][2][PEOPLE] not in {first[2][PEOPLE], third[2][PEOPLE]}
    if backend:
        assert _pg_templates(request.getfixturevalue("pg_url")) == now


def test_a_kept_template_is_not_reused_past_a_stale_harness(
    pytester: pytest.Pytester,
):
    """Reuse skips migrating, not the checks `migrate up` makes: a spec
    edited since its harness was built is refused, as migrate refuses it."""
    root = write_project(pytester.path)
    pytester.makepyfile(test_reuse="""
def test_migrated(contractspec_database):
    pass
""")
    run = ("--contractspec-reuse-db", "-p", "cacheprovider")
    pytester.runpytest(*run).assert_outcomes(passed=1)
    email = root / "migrations" / "email.py"
    email.write_text(email.read_text().replace("(email)", "(email, name)"))
    result = pytester.runpytest(*run)
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        ["*contractspec: cannot migrate a template:*", "*stale: its spec*"]
    )


def test_reuse_without_pytests_cache_says_so(pytester: pytest.Pytester):
    write_project(pytester.path)
    pytester.makepyfile(test_reuse="""
def test_migrated(contractspec_database):
    pass
""")
    result = pytester.runpytest("--contractspec-reuse-db", "-p", "no:cacheprovider")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*the cacheprovider plugin is off*"])


def test_xdist_workers_share_a_kept_template_without_clashing(
    pytester: pytest.Pytester, backend
):
    pytest.importorskip("xdist")
    write_project(pytester.path)
    pytester.makepyfile(test_parallel=HISTORY + """

@pytest.mark.parametrize("n", range(6))
def test_migrated(contractspec_database, n):
    record("all", contractspec_database)
    assert len(history(contractspec_database)) == 3
""")
    result = pytester.runpytest_subprocess(
        "-n", "2", "--contractspec-reuse-db", "-p", "cacheprovider", *backend
    )
    result.assert_outcomes(passed=6)
    found = seen(pytester.path)
    assert len({url for _, url, _ in found}) == 6
    # One template, whichever worker renamed it into place first.
    assert len({json.dumps(h, sort_keys=True) for _, _, h in found}) == 1


def test_the_documented_data_migration_test_runs(pytester: pytest.Pytester):
    """docs/testing.md's example, as written there, on the project it names."""
    write_project(pytester.path)
    text = DOCS.read_text()
    start = text.index("# tests/test_backfill.py")
    pytester.makepyfile(test_backfill=text[start : text.index("```", start)])
    pytester.runpytest().assert_outcomes(passed=1)
    # It tests something: without the backfill, the email stays as inserted.
    pytester.makepyfile(
        test_backfill=text[start : text.index("```", start)].replace(
            'runner.up("app.db.2025_03_backfill")', "pass"
        )
    )
    pytester.runpytest().assert_outcomes(failed=1)
