"""Steps outside the transaction and batched steps (issue 12), on real
PostgreSQL 15 and SQLite; harnesses run in real subprocesses where a kill
or a second runner is part of the story."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time

import pytest
from rtkit import file_step, make_migration, make_step
from test_concurrency import wait_for

ROWS = 100_000


def start(harness, database_url: str, *args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, str(harness), "up", "--database", database_url, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def fill_items(db, rows: int = ROWS) -> None:
    if db.dialect == "sqlite":
        db.execute(
            "CREATE TABLE items (id INTEGER PRIMARY KEY, v INTEGER, touched INTEGER"
            " NOT NULL DEFAULT 0); WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT"
            f" i + 1 FROM n WHERE i < {rows}) INSERT INTO items (id) SELECT i FROM n"
        )
    else:
        db.execute(
            "CREATE TABLE items (id INTEGER PRIMARY KEY, v INTEGER, touched INTEGER"
            " NOT NULL DEFAULT 0); INSERT INTO items (id) SELECT generate_series(1,"
            f" {rows}); ANALYZE items"
        )


def concurrent_index(**extra) -> dict:
    return make_step(
        "schema",
        "CREATE INDEX CONCURRENTLY items_id_v ON items (id, v)",
        description="index items",
        transactional=False,
        **extra,
    )


def index_states(db) -> list[tuple]:
    """(name, valid) of every index on items but its primary key."""
    return db.rows(
        "SELECT c.relname, i.indisvalid FROM pg_index i JOIN pg_class c ON"
        " c.oid = i.indexrelid WHERE i.indrelid = 'items'::regclass AND NOT"
        " i.indisprimary ORDER BY 1"
    )


def hold_writer(pg_url: str, table: str = "items"):
    """A transaction that has written to table and stays open: CREATE INDEX
    CONCURRENTLY on it waits for it (after its invalid index is in the catalog)."""
    import psycopg

    conn = psycopg.connect(pg_url)
    conn.execute(f"UPDATE {table} SET id = id WHERE id = 1")
    return conn


def backend_of(db, pid: int, purpose: str = "migrate"):
    return db.scalar(
        "SELECT pid FROM pg_stat_activity WHERE application_name = ?",
        (f"contractspec {purpose} pid {pid}",),
    )


def kill_while_building(
    db, harness, pg_url: str, building, terminate=True, table: str = "items"
) -> None:
    """Run the harness, SIGKILL it once building() sees the index build on
    table waiting for a writer, and (terminate) end its server session, as the
    server does when it notices the dead client; else the build goes on."""
    writer = hold_writer(pg_url, table)
    victim = start(harness, pg_url)
    try:
        assert wait_for(building, 30)
        backend = backend_of(db, victim.pid)
        os.kill(victim.pid, signal.SIGKILL)
        victim.wait(timeout=30)
        if terminate:
            db.execute(f"SELECT pg_terminate_backend({backend})")
    finally:
        writer.rollback()
        writer.close()
    assert wait_for(lambda: backend_of(db, victim.pid) is None, 30)


@pytest.mark.slow
def test_concurrent_index_on_100k_rows(pg_db, DB, tmp_path, write_harness, run_harness):
    db = DB(pg_db)
    fill_items(db)
    up = [
        make_step("schema", "CREATE TABLE before_index (id INTEGER)"),
        concurrent_index(timeout_ms=60_000, retries=2),
        make_step(
            "validation",
            "SELECT indisvalid FROM pg_index WHERE indexrelid = 'items_id_v'::regclass",
        ),
    ]
    m = make_migration(up=up)
    harness = write_harness(tmp_path / "harness.py", m)
    done = run_harness(harness, "up", "--database", pg_db)
    assert done.returncode == 0, done.stderr
    assert "not atomic" in done.stderr
    assert index_states(db) == [("items_id_v", True)]
    assert db.history() == [(m["key"], m["spec_fingerprint"])]
    events = [(e["step"], e["event"], e["status"]) for e in db.events(m["key"])]
    assert (2, "step_start", "outside") in events and (2, "step_done", "ok") in events
    # the session's timeouts were restored after the step
    assert db.scalar("SHOW statement_timeout") == "0"
    # the same statement inside the transaction is what PostgreSQL refuses
    atomic = make_migration(
        name="app.db.2025_02_atomic",
        up=[make_step("schema", "CREATE INDEX CONCURRENTLY items_v ON items (v)")],
    )
    refused = run_harness(
        write_harness(tmp_path / "atomic.py", atomic), "up", "--database", pg_db
    )
    assert refused.returncode == 1 and "25001" in refused.stderr


@pytest.mark.slow
def test_sigkill_during_concurrent_index_then_rerun(
    pg_db, DB, tmp_path, write_harness, run_harness
):
    db = DB(pg_db)
    fill_items(db)
    m = make_migration(
        up=[make_step("schema", "CREATE TABLE first (id INTEGER)"), concurrent_index()]
    )
    harness = write_harness(tmp_path / "harness.py", m)
    # the build has put its (invalid) index in the catalog and waits
    building = lambda: index_states(db) == [("items_id_v", False)]  # noqa: E731
    kill_while_building(db, harness, pg_db, building)
    assert index_states(db) == [("items_id_v", False)]
    assert db.table_exists("first") and db.history() == []  # step 1 committed

    rerun = run_harness(harness, "up", "--database", pg_db, "--json")
    assert rerun.returncode == 0, rerun.stderr
    assert index_states(db) == [("items_id_v", True)]  # exactly one, valid
    assert db.history() == [(m["key"], m["spec_fingerprint"])]
    details = [e["detail"] or "" for e in db.events(m["key"])]
    assert any("dropped the invalid index items_id_v" in d for d in details)
    assert any("committed by an earlier run" in d for d in details)  # step 1


@pytest.mark.slow
def test_no_lock_deadlock_while_a_concurrent_index_waits(
    pg_db, DB, tmp_path, write_harness
):
    """Runner B waits for the lock while runner A's CREATE INDEX CONCURRENTLY
    waits for older transactions: B's waiting must not be one of them."""
    db = DB(pg_db)
    fill_items(db)
    m = make_migration(up=[concurrent_index()])
    harness = write_harness(tmp_path / "harness.py", m)
    writer = hold_writer(pg_db)
    a = start(harness, pg_db)
    b = None
    try:
        assert wait_for(lambda: index_states(db) == [("items_id_v", False)], 30)
        b = start(harness, pg_db, "--lock-timeout", "60")
        # B polls for the lock on the connection it would work on.
        assert wait_for(lambda: backend_of(db, b.pid) is not None, 30)
        time.sleep(0.5)  # B is polling for the lock now
        assert a.poll() is None and b.poll() is None
    finally:
        writer.rollback()  # the only thing A waited for
        writer.close()
    a_out, a_err = a.communicate(timeout=60)
    assert b is not None
    b_out, b_err = b.communicate(timeout=60)
    assert a.returncode == 0, a_err
    assert b.returncode == 0, b_err
    assert f"applied {m['key']}" in a_err and f"skipped {m['key']}" in b_err
    assert index_states(db) == [("items_id_v", True)]
    assert db.history() == [(m["key"], m["spec_fingerprint"])]


def test_alter_type_add_value_is_usable_by_the_next_step(pg_db, DB, rt):
    db = DB(pg_db)
    db.execute("CREATE TYPE mood AS ENUM ('sad')")
    use = make_step(
        "schema",
        "CREATE TABLE feelings (m mood NOT NULL);"
        " INSERT INTO feelings VALUES ('happy')",
    )
    add = "ALTER TYPE mood ADD VALUE 'happy'"
    atomic = make_migration(
        name="app.db.2025_01_atomic", up=[make_step("schema", add), use]
    )
    with pytest.raises(rt.MigrationError, match="unsafe use of new value"):
        rt.run_migration(atomic, "up", pg_db)
    m = make_migration(up=[make_step("schema", add, transactional=False), use])
    assert rt.run_migration(m, "up", pg_db)["status"] == "applied"
    assert db.rows("SELECT m::text FROM feelings") == [("happy",)]
    assert db.history() == [(m["key"], m["spec_fingerprint"])]


def test_vacuum_outside_the_transaction(database_url, db, rt):
    fill_items(db, 1000)
    vacuum = "VACUUM" if db.dialect == "sqlite" else "VACUUM ANALYZE items"
    atomic = make_migration(
        name="app.db.2025_01_atomic", up=[make_step("schema", vacuum)]
    )
    with pytest.raises(rt.MigrationError, match="(?i)vacuum"):
        rt.run_migration(atomic, "up", database_url)
    up = [
        make_step("data", "DELETE FROM items WHERE id > 500"),
        make_step("schema", vacuum, transactional=False, timeout_ms=30_000),
        make_step("validation", "SELECT count(*) = 500 FROM items"),
    ]
    m = make_migration(up=up)
    result = rt.run_migration(m, "up", database_url)
    assert result["status"] == "applied" and "not atomic" in result["message"]
    assert db.history() == [(m["key"], m["spec_fingerprint"])]
    if db.dialect == "postgresql":
        assert db.scalar(
            "SELECT vacuum_count > 0 FROM pg_stat_user_tables WHERE relname = 'items'"
        )


BACKFILL = {
    "sqlite": "UPDATE items SET v = id * 2, touched = touched + 1 WHERE id IN"
    " (SELECT id FROM items WHERE v IS NULL LIMIT 10000)",
    "postgresql": "UPDATE items SET v = id * 2, touched = touched + 1 WHERE id IN"
    " (SELECT id FROM items WHERE v IS NULL ORDER BY id LIMIT 10000)",
}


@pytest.mark.slow
def test_batched_backfill_killed_midway_resumes(
    database_url, db, tmp_path, write_harness, run_harness
):
    fill_items(db, 200_000)
    backfill = make_step(
        "data",
        BACKFILL[db.dialect],
        description="backfill v",
        batch_size=10_000,
        pause_ms=100,
        timeout_ms=30_000,
        post_checks=[
            ("every row done", "SELECT count(*) = 0 FROM items WHERE v IS NULL")
        ],
    )
    m = make_migration(
        up=[make_step("schema", "CREATE TABLE marker (x INTEGER)"), backfill]
    )
    harness = write_harness(tmp_path / "harness.py", m)
    victim = start(harness, database_url)

    def batches() -> int:
        return sum(e["event"] == "batch" for e in db.events(m["key"]))

    try:
        assert wait_for(lambda: batches() >= 3, 60)
        os.kill(victim.pid, signal.SIGKILL)
    finally:
        victim.wait(timeout=30)
    assert victim.returncode == -signal.SIGKILL
    done_before = db.scalar("SELECT count(*) FROM items WHERE v IS NOT NULL")
    assert 30_000 <= done_before < 200_000  # committed batches stay
    assert db.history() == []

    rerun = run_harness(harness, "up", "--database", database_url)
    assert rerun.returncode == 0, rerun.stderr
    assert db.rows("SELECT min(touched), max(touched) FROM items") == [(1, 1)]
    assert db.scalar("SELECT count(*) FROM items WHERE v = id * 2") == 200_000
    assert db.history() == [(m["key"], m["spec_fingerprint"])]
    events = db.events(m["key"])
    assert any(e["event"] == "check" and e["status"] == "pass" for e in events)
    last = [e["detail"] for e in events if e["event"] == "batch"][-1]
    assert last.startswith("batch ") and f"{200_000 - done_before} in all" in last
    assert "rows/s" in last


def test_batched_python_step_and_max_batches(database_url, db, tmp_path, rt):
    fill_items(db, 250)
    body = (
        "def run(conn):\n"
        "    cur = conn.execute(\n"
        "        'UPDATE items SET v = 1 WHERE id IN (SELECT id FROM items'\n"
        "        ' WHERE v IS NULL ORDER BY id LIMIT 100)'\n"
        "    )\n"
        "    return cur.rowcount\n"
    )
    step = file_step(
        tmp_path,
        "fill.py",
        body,
        "python_file",
        func="run",
        batch_size=100,
        max_batches=2,
    )
    m = make_migration(up=[step])
    with pytest.raises(rt.MigrationError, match="max_batches 2 reached") as info:
        rt.run_migration(m, "up", database_url, base_dir=tmp_path)
    assert "partly applied" in str(info.value)
    assert db.scalar("SELECT count(*) FROM items WHERE v = 1") == 200
    assert (
        rt.run_migration(m, "up", database_url, base_dir=tmp_path)["status"]
        == "applied"
    )
    assert db.scalar("SELECT count(*) FROM items WHERE v IS NULL") == 0


KILL_MYSELF = """
import os, pathlib, signal


def run(conn):
    conn.execute("CREATE TABLE half_done (x INTEGER)")
    if not pathlib.Path(__file__).with_name("survive").exists():
        os.kill(os.getpid(), signal.SIGKILL)
"""


@pytest.mark.slow
def test_an_unfinished_step_without_reconcile_stops_the_rerun(
    database_url, db, tmp_path, write_harness, run_harness
):
    step = file_step(
        tmp_path, "half.py", KILL_MYSELF, "python_file", func="run", transactional=False
    )
    m = make_migration(
        up=[step, make_step("schema", "CREATE TABLE after_it (x INTEGER)")]
    )
    harness = write_harness(tmp_path / "harness.py", m)
    killed = run_harness(harness, "up", "--database", database_url)
    assert killed.returncode == -signal.SIGKILL and db.table_exists("half_done")
    (tmp_path / "survive").write_text("1")
    stopped = run_harness(harness, "up", "--database", database_url)
    assert stopped.returncode == 1
    assert "up step 1/2" in stopped.stderr and "reconcile=" in stopped.stderr
    assert "did not finish" in stopped.stderr and not db.table_exists("after_it")
    # with a reconcile statement the rerun undoes the half-done work, then runs it
    step["reconcile"] = ["DROP TABLE IF EXISTS half_done"]
    harness = write_harness(tmp_path / "harness.py", m)
    rerun = run_harness(harness, "up", "--database", database_url)
    assert rerun.returncode == 0, rerun.stderr
    assert db.table_exists("after_it") and db.history() == [
        (m["key"], m["spec_fingerprint"])
    ]


def test_rehearsal_of_a_chain_keeps_nothing(database_url, db, rt):
    chain = []
    for number in range(1, 14):
        up = [make_step("schema", f"CREATE TABLE t{number} (id INTEGER)")]
        if number > 1:
            up.append(
                make_step(
                    "data", f"INSERT INTO t{number} SELECT count(*) FROM t{number - 1}"
                )
            )
        deps = [chain[-1]["key"]] if chain else []
        chain.append(
            make_migration(name=f"app.db.m{number:02d}", up=up, dependencies=deps)
        )
    chain[4]["up"].append(make_step("schema", "VACUUM", transactional=False))
    with rt.open_session(database_url) as session, rt.rehearsal(session):
        results = [rt.apply_up(session, m, rehearse=True) for m in chain]
    assert [r["status"] for r in results] == ["rehearsed"] * 13
    assert results[4]["not_rehearsed"] == [
        "step 3 (schema): runs outside a transaction"
    ]
    assert all("not_rehearsed" not in r for i, r in enumerate(results) if i != 4)
    assert not db.table_exists("t1") and not db.table_exists("contractspec_history")


SLOW_BATCH = """
import time


def run(conn):
    time.sleep(0.4)
    return conn.execute("UPDATE items SET v = 1 WHERE v IS NULL").rowcount
"""


def test_a_batch_that_times_out_is_rolled_back_and_retried(
    database_url, db, tmp_path, rt
):
    fill_items(db, 10)
    step = file_step(
        tmp_path,
        "slow.py",
        SLOW_BATCH,
        "python_file",
        func="run",
        batch_size=10,
        timeout_ms=100,
        retries=1,
    )
    m = make_migration(up=[step])
    with pytest.raises(rt.MigrationError) as info:
        rt.run_migration(m, "up", database_url, base_dir=tmp_path)
    # The retry policy's wording, shared with steps in and outside a transaction.
    assert (
        "batch 1: timed out after 100 ms (attempt 2 of 2, no retries left);"
        " 0 rows in earlier batches stay committed"
    ) in str(info.value)
    assert db.scalar("SELECT count(*) FROM items WHERE v IS NULL") == 10
    events = db.events(m["key"])
    kinds = [(e["event"], e["status"]) for e in events]
    assert kinds.count(("attempt", "timeout")) == 2 and ("retry", "timeout") in kinds
    (retry,) = [e for e in events if e["event"] == "retry"]
    assert re.fullmatch(r"batch 1: attempt 2 of 2 in \d+ ms", retry["detail"])


@pytest.mark.slow
def test_sigkill_during_reindex_concurrently_then_rerun(
    pg_db, DB, tmp_path, write_harness, run_harness
):
    db = DB(pg_db)
    fill_items(db, 20_000)
    db.execute("CREATE INDEX items_v ON items (v)")
    step = make_step(
        "schema", "REINDEX INDEX CONCURRENTLY items_v", transactional=False
    )
    m = make_migration(up=[step])
    harness = write_harness(tmp_path / "harness.py", m)
    building = lambda: ("items_v_ccnew", False) in index_states(db)  # noqa: E731
    kill_while_building(db, harness, pg_db, building)
    assert index_states(db) == [("items_v", True), ("items_v_ccnew", False)]
    rerun = run_harness(harness, "up", "--database", pg_db)
    assert rerun.returncode == 0, rerun.stderr
    assert index_states(db) == [("items_v", True)]
    assert db.history() == [(m["key"], m["spec_fingerprint"])]


def test_harness_rehearsal_leaves_out_steps_outside_a_transaction(
    database_url, db, tmp_path, write_harness, run_harness
):
    up = [
        make_step("schema", "CREATE TABLE kept_out (id INTEGER)"),
        make_step("schema", "VACUUM", description="vacuum", transactional=False),
    ]
    m = make_migration(up=up)
    harness = write_harness(tmp_path / "harness.py", m)
    preview = run_harness(harness, "plan")
    assert (
        "up: 2 step(s) NOT atomic: step 2 runs outside a transaction" in preview.stdout
    )
    rehearsed = run_harness(harness, "up", "--rehearse", "--database", database_url)
    assert rehearsed.returncode == 4, rehearsed.stderr
    assert (
        "not rehearsed: step 2 (schema 'vacuum'): runs outside a transaction"
        in rehearsed.stderr
    )
    assert not db.table_exists("kept_out") and db.history() == []


def test_a_partly_applied_migration_is_finished_with_the_spec_it_started_with(
    database_url, db, rt
):
    db.execute("CREATE TABLE in_the_way (id INTEGER)")
    up = [
        make_step("schema", "CREATE TABLE part_one (id INTEGER)"),
        make_step("schema", "VACUUM", transactional=False),
        make_step("schema", "CREATE TABLE in_the_way (id INTEGER)"),
    ]
    m = make_migration(up=up)
    with pytest.raises(rt.MigrationError, match="steps committed: 1, 2"):
        rt.run_migration(m, "up", database_url)
    db.execute("DROP TABLE in_the_way")
    edited = dict(m, spec_fingerprint="sha256:" + "e" * 64)
    with pytest.raises(rt.MigrationError) as info:
        rt.run_migration(edited, "up", database_url)
    assert (
        f"partly applied (steps 1, 2) with spec fingerprint {m['spec_fingerprint']}"
        in str(info.value)
    )
    assert not db.table_exists("in_the_way")
    with rt.open_session(database_url, lock=False) as session:
        assert rt.partly_applied(session) == {m["key"]: [1, 2]}
    result = rt.run_migration(m, "up", database_url)
    assert (
        result["status"] == "applied"
        and "step(s) 1, 2 done by an earlier run" in result["message"]
    )
    with rt.open_session(database_url, lock=False) as session:
        assert rt.partly_applied(session) == {}


@pytest.mark.slow
def test_a_build_that_finished_after_its_runner_died_is_kept(
    pg_db, DB, tmp_path, write_harness, run_harness
):
    db = DB(pg_db)
    fill_items(db)
    m = make_migration(up=[concurrent_index(), make_step("schema", "SELECT 1")])
    harness = write_harness(tmp_path / "harness.py", m)
    building = lambda: index_states(db) == [("items_id_v", False)]  # noqa: E731
    kill_while_building(db, harness, pg_db, building, terminate=False)
    assert index_states(db) == [("items_id_v", True)]  # the server finished it
    rerun = run_harness(harness, "up", "--database", pg_db)
    assert rerun.returncode == 0, rerun.stderr
    assert index_states(db) == [("items_id_v", True)]
    details = [e["detail"] or "" for e in db.events(m["key"])]
    assert any("built by the interrupted run: kept" in d for d in details)


def test_sigkill_during_concurrent_index_on_a_quoted_qualified_name_then_rerun(
    pg_db, DB, tmp_path, write_harness, run_harness
):
    """The index to reconcile is named by the build, from the parse tree:
    in its table's schema, quoted as SQL must (a space, capitals)."""
    db = DB(pg_db)
    db.execute(
        'CREATE SCHEMA "Shop Data"; CREATE TABLE "Shop Data"."Items" (id INTEGER'
        ' PRIMARY KEY, v INTEGER); INSERT INTO "Shop Data"."Items" (id) SELECT'
        " generate_series(1, 20000)"
    )
    sql = 'CREATE INDEX CONCURRENTLY "Items By V" ON "Shop Data"."Items" (id, v)'
    step = make_step("schema", sql, transactional=False)
    assert step["statements"] == [
        {"sql": sql, "builds_index": '"Shop Data"."Items By V"'}
    ]
    m = make_migration(up=[step])
    harness = write_harness(tmp_path / "harness.py", m)
    states = (
        "SELECT c.relname, i.indisvalid FROM pg_index i JOIN pg_class c ON"
        ' c.oid = i.indexrelid WHERE i.indrelid = \'"Shop Data"."Items"\'::regclass'
        " AND NOT i.indisprimary ORDER BY 1"
    )
    building = lambda: db.rows(states) == [("Items By V", False)]  # noqa: E731
    kill_while_building(db, harness, pg_db, building, table='"Shop Data"."Items"')
    assert db.rows(states) == [("Items By V", False)]

    rerun = run_harness(harness, "up", "--database", pg_db)
    assert rerun.returncode == 0, rerun.stderr
    assert db.rows(states) == [("Items By V", True)]  # exactly one, valid
    details = [e["detail"] or "" for e in db.events(m["key"])]
    assert (
        'dropped the invalid index "Shop Data"."Items By V" an interrupted build left'
        in details
    )
