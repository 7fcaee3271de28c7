"""A check's expectation (docs/runtime.md, Checks): by default ("truthy") the
first column of its first row must be truthy; with "no_error" its SQL, every
statement as written, must run to its end without an error, inside the
step's transaction. On SQLite and on a real PostgreSQL server."""

from __future__ import annotations

import pytest
from rtkit import check, make_migration, make_step

TABLE = "CREATE TABLE items (id INTEGER PRIMARY KEY, doc TEXT)"
# What fails only as its rows are computed: PostgreSQL divides by the count of
# an empty table; SQLite reads a malformed document in the third row only
# (sqlite3 computes a row as it is read, and reads one ahead).
FAILING = {
    "sqlite": "SELECT json(doc) FROM items ORDER BY id",
    "postgresql": "SELECT 1 / COUNT(*) FROM items WHERE doc IS NULL",
}
ROWS = "INSERT INTO items (id, doc) VALUES (1, '[1]'), (2, '[2]'), (3, 'not json')"


def no_error(description: str, expression: str) -> dict:
    return dict(check(description, expression), expect="no_error")


def test_a_no_error_check_passes_on_no_row_a_falsy_row_and_writes(rt, database_url, db):
    checks = [
        no_error("a count of nothing", "SELECT count(*) FROM items"),
        no_error("no row at all", "SELECT id FROM items WHERE id < 0"),
        no_error(
            "two statements, both run",
            "INSERT INTO items (id, doc) VALUES (7, 'x'); DELETE FROM items WHERE id = 7",
        ),
        dict(
            check("the default, said", "SELECT count(*) = 0 FROM items"),
            expect="truthy",
        ),
    ]
    m = make_migration(up=[make_step("schema", TABLE, post_checks=checks)])
    assert rt.run_migration(m, "up", database_url)["status"] == "applied"
    assert db.scalar("SELECT count(*) FROM items") == 0
    with rt.open_session(database_url) as session:
        passed = [
            e["detail"]
            for e in rt.read_events(session, event="check")
            if e["status"] == "pass"
        ]
    assert passed == [f"post-check: {c['description']}" for c in checks]


def test_the_same_sql_fails_a_truthy_check(rt, database_url, db):
    """The control: what no_error accepts, the default rule refuses."""
    m = make_migration(
        up=[
            make_step(
                "schema",
                TABLE,
                post_checks=[check("count", "SELECT count(*) FROM items")],
            )
        ]
    )
    with pytest.raises(
        rt.MigrationError, match="post-check 'count' failed: returned 0"
    ):
        rt.run_migration(m, "up", database_url)
    assert db.history() == [] and not db.table_exists("items")


def test_a_no_error_check_fails_on_an_error_in_any_row(rt, database_url, db):
    kind = "sqlite" if database_url.startswith("sqlite") else "postgresql"
    step = make_step(
        "schema",
        f"{TABLE}; {ROWS}" if kind == "sqlite" else TABLE,
        post_checks=[no_error("every row computes", FAILING[kind])],
    )
    m = make_migration(up=[step])
    with pytest.raises(rt.MigrationError) as info:
        rt.run_migration(m, "up", database_url)
    message = str(info.value)
    assert "post-check 'every row computes' failed: raised" in message
    reason = "malformed JSON" if kind == "sqlite" else "division by zero"
    assert reason in message and info.value.exit_code == 1
    assert "rolled back, nothing changed" in message
    assert db.history() == [] and not db.table_exists("items")


def test_a_validation_step_may_expect_no_error(rt, database_url, db):
    ok = make_step("validation", "SELECT id FROM items WHERE id < 0", expect="no_error")
    m = make_migration(up=[make_step("schema", TABLE), ok])
    assert rt.run_migration(m, "up", database_url)["status"] == "applied"

    kind = "sqlite" if database_url.startswith("sqlite") else "postgresql"
    if kind == "sqlite":
        db.execute(ROWS)
    bad = make_step("validation", FAILING[kind], expect="no_error")
    other = make_migration(name="app.db.2025_02_validate", up=[bad])
    with pytest.raises(rt.MigrationError, match="assertion .* failed: raised"):
        rt.run_migration(other, "up", database_url)
    assert [key for key, _ in db.history()] == [m["key"]]


def test_a_baseline_verify_runs_no_error_checks_read_only(rt, database_url, db):
    db.execute(TABLE)
    m = make_migration(
        up=[
            make_step(
                "schema",
                TABLE,
                post_checks=[no_error("readable", "SELECT * FROM items")],
            )
        ]
    )
    with rt.open_session(database_url) as session:
        assert rt.apply_baseline(session, m, verify=True)["status"] == "baselined"
    kind = "sqlite" if database_url.startswith("sqlite") else "postgresql"
    if kind == "sqlite":
        db.execute(ROWS)
    broken = make_migration(
        name="app.db.2025_02_more",
        up=[
            make_step(
                "schema", "SELECT 1", post_checks=[no_error("rows", FAILING[kind])]
            )
        ],
    )
    with (
        rt.open_session(database_url) as session,
        pytest.raises(
            rt.MigrationError,
            match="baseline refused: post-check 'rows' failed: raised",
        ),
    ):
        rt.apply_baseline(session, broken, verify=True)
    assert [key for key, _ in db.history()] == [m["key"]]


def test_an_unknown_expectation_is_malformed_data(rt, database_url, db):
    bad = dict(check("c", "SELECT 1"), expect="nonzero")
    m = make_migration(up=[make_step("schema", TABLE, pre_checks=[bad])])
    with pytest.raises(rt.MigrationError, match="malformed MIGRATION data") as info:
        rt.run_migration(m, "up", database_url)
    assert info.value.exit_code == 3
    assert db.history() == [] and not db.table_exists("items")
