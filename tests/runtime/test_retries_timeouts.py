"""Retries for transient errors only; per-attempt timeouts on both databases."""

from __future__ import annotations

import time

import pytest
from rtkit import file_step, make_migration, make_step

RUNAWAY = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c"

# A python_file step that fails with a transient error on its first two calls.
# SQLite: the error SQLite raises for a busy database. PostgreSQL: a genuine
# 55P03 (lock_not_available) from SELECT ... FOR UPDATE NOWAIT on a row that a
# second connection holds.
FLAKY = """
import pathlib, sqlite3

COUNTER = pathlib.Path(__file__).with_name("calls.txt")


def run(conn):
    calls = int(COUNTER.read_text()) + 1 if COUNTER.exists() else 1
    COUNTER.write_text(str(calls))
    if calls <= 2:
        if isinstance(conn, sqlite3.Connection):
            raise sqlite3.OperationalError("database is locked")
        import psycopg

        with psycopg.connect(conn.info.dsn, autocommit=True) as holder:
            holder.execute("BEGIN")
            holder.execute("SELECT * FROM flaky WHERE id = 1 FOR UPDATE")
            conn.execute("SELECT * FROM flaky WHERE id = 1 FOR UPDATE NOWAIT")
    conn.execute("UPDATE flaky SET n = n + 1 WHERE id = 1")
"""


def attempts_of(db, key, step):
    return [
        (e["attempt"], e["status"])
        for e in db.events(key)
        if e["event"] == "attempt" and e["step"] == step
    ]


def test_transient_error_twice_then_success(rt, database_url, db, tmp_path):
    db.execute(
        "CREATE TABLE flaky (id INTEGER PRIMARY KEY, n INTEGER); INSERT INTO flaky VALUES (1, 0);"
    )
    up = [
        make_step("schema", "CREATE TABLE before_flaky (x INTEGER)"),
        file_step(tmp_path, "flaky.py", FLAKY, "python_file", func="run", retries=2),
    ]
    m = make_migration(up=up)
    result = rt.run_migration(m, "up", database_url, base_dir=tmp_path)
    assert result["status"] == "applied" and result["attempts"] == 4  # 1 + 3
    # PostgreSQL's 55P03 (lock not available) is a lock timeout's SQLSTATE.
    kind = "lock_timeout" if db.dialect == "postgresql" else "transient"
    assert attempts_of(db, m["key"], 2) == [(1, kind), (2, kind), (3, "ok")]
    retries = [e for e in db.events(m["key"]) if e["event"] == "retry"]
    assert [e["attempt"] for e in retries] == [1, 2]
    expected = "55P03" if db.dialect == "postgresql" else "database is locked"
    assert all(expected in e["error"] for e in retries)
    assert db.scalar("SELECT n FROM flaky") == 1  # failed attempts left nothing behind
    assert db.table_exists("before_flaky")


def test_transient_error_exhausts_retries(rt, database_url, db, tmp_path):
    db.execute(
        "CREATE TABLE flaky (id INTEGER PRIMARY KEY, n INTEGER); INSERT INTO flaky VALUES (1, 0);"
    )
    up = [file_step(tmp_path, "flaky.py", FLAKY, "python_file", func="run", retries=1)]
    m = make_migration(up=up)
    with pytest.raises(rt.MigrationError, match="attempt 2 of 2, no retries left"):
        # no lock retries: the step's own retries alone
        rt.run_migration(m, "up", database_url, base_dir=tmp_path, lock_retries=0)
    kind = "lock_timeout" if db.dialect == "postgresql" else "transient"
    assert attempts_of(db, m["key"], 1) == [(1, kind), (2, kind)]


def test_permanent_error_is_not_retried(rt, database_url, db):
    m = make_migration(
        up=[make_step("schema", "INSERT INTO no_such_table VALUES (1)", retries=5)]
    )
    started = time.monotonic()
    with pytest.raises(rt.MigrationError) as info:
        rt.run_migration(m, "up", database_url)
    assert time.monotonic() - started < 2
    assert "no_such_table" in str(info.value)
    assert attempts_of(db, m["key"], 1) == [(1, "permanent")]
    assert not any(e["event"] == "retry" for e in db.events(m["key"]))


def test_sqlite_runaway_query_times_out_under_one_second(rt, tmp_path, DB):
    url = f"sqlite:///{tmp_path / 'x.db'}"
    m = make_migration(
        up=[
            make_step("schema", "CREATE TABLE tt (x INTEGER)"),
            make_step("schema", RUNAWAY, timeout_ms=250),
        ]
    )
    started = time.monotonic()
    with pytest.raises(rt.MigrationError, match="timed out after 250 ms") as info:
        rt.run_migration(m, "up", url)
    assert time.monotonic() - started < 1.0
    assert "step 2/2" in str(info.value)
    assert not DB(url).table_exists("tt")
    assert attempts_of(DB(url), m["key"], 2) == [(1, "timeout")]


def test_postgresql_pg_sleep_times_out_under_two_seconds(rt, pg_db, DB):
    m = make_migration(
        up=[
            make_step("schema", "CREATE TABLE tt (x INTEGER)"),
            make_step("schema", "SELECT pg_sleep(10)", timeout_ms=1000),
        ]
    )
    started = time.monotonic()
    with pytest.raises(rt.MigrationError, match="timed out after 1000 ms"):
        rt.run_migration(m, "up", pg_db)
    assert time.monotonic() - started < 2.0
    assert not DB(pg_db).table_exists("tt")


def test_timeout_is_transient_and_retried(rt, database_url, db):
    slow = RUNAWAY if db.dialect == "sqlite" else "SELECT pg_sleep(10)"
    m = make_migration(up=[make_step("schema", slow, timeout_ms=150, retries=2)])
    started = time.monotonic()
    with pytest.raises(rt.MigrationError, match="attempt 3 of 3"):
        rt.run_migration(m, "up", database_url)
    assert time.monotonic() - started < 3 * 0.15 + 3 * 0.5 + 0.5
    assert attempts_of(db, m["key"], 1) == [
        (1, "timeout"),
        (2, "timeout"),
        (3, "timeout"),
    ]


def test_timeout_does_not_leak_into_later_steps(rt, database_url, db):
    """A fast step with a timeout, then slow steps without one: no stray interrupt."""
    slow = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 300000) SELECT count(*) FROM c"
    if db.dialect == "postgresql":
        slow = "SELECT pg_sleep(0.4)"
    up = [
        make_step("schema", "CREATE TABLE ok1 (x INTEGER)", timeout_ms=300),
        make_step("schema", slow),
        make_step("schema", slow),
    ]
    assert (
        rt.run_migration(make_migration(up=up), "up", database_url)["status"]
        == "applied"
    )


PY_SLOW = """
import sqlite3, pathlib


def run(conn):
    pathlib.Path(__file__).with_name("started").write_text("1")
    if isinstance(conn, sqlite3.Connection):
        conn.execute("CREATE TABLE in_py (x INTEGER)")
        conn.execute("{runaway}").fetchall()
    else:
        conn.execute("CREATE TABLE in_py (x INTEGER)")
        conn.execute("SELECT 1").fetchall()
        conn.execute("SELECT pg_sleep(10)")
"""


def test_python_data_step_timeout(rt, database_url, db, tmp_path):
    step = file_step(
        tmp_path,
        "slow.py",
        PY_SLOW.replace("{runaway}", RUNAWAY),
        "python_file",
        func="run",
        timeout_ms=300,
    )
    m = make_migration(up=[step])
    started = time.monotonic()
    with pytest.raises(rt.MigrationError, match="timed out after 300 ms"):
        rt.run_migration(m, "up", database_url, base_dir=tmp_path)
    assert time.monotonic() - started < 0.3 + 0.5 + 0.3
    assert (tmp_path / "started").exists() and not db.table_exists("in_py")


def test_python_step_overrunning_in_pure_python_counts_as_timeout(
    rt, database_url, db, tmp_path
):
    step = file_step(
        tmp_path,
        "busy.py",
        "import time\n\ndef run(conn):\n    time.sleep(0.4)\n",
        "python_file",
        func="run",
        timeout_ms=100,
    )
    with pytest.raises(rt.MigrationError, match="timed out after 100 ms"):
        rt.run_migration(
            make_migration(up=[step]), "up", database_url, base_dir=tmp_path
        )


def test_sqlite_interrupted_write_restarts_the_transaction(rt, tmp_path, DB):
    """SQLite drops the whole transaction when a write is interrupted; the
    runtime then reruns the migration from its first step."""
    url = f"sqlite:///{tmp_path / 'x.db'}"
    bulk = (
        "INSERT INTO big WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) "
        "SELECT x FROM c LIMIT 100000000"
    )
    up = [
        make_step("schema", "CREATE TABLE big (x INTEGER)"),
        make_step("data", bulk, timeout_ms=150, retries=1),
    ]
    m = make_migration(up=up)
    with pytest.raises(rt.MigrationError, match="attempt 2 of 2"):
        rt.run_migration(m, "up", url)
    events = DB(url).events(m["key"])
    assert [
        e["attempt"] for e in events if e["event"] == "attempt" and e["step"] == 2
    ] == [1, 2]
    assert [e["step"] for e in events if e["event"] == "step_start"] == [1, 2, 1, 2]
    assert not DB(url).table_exists("big")
