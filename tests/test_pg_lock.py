"""The PostgreSQL migration lock is held, or the run stops: it lives on the
connection that does the work, idle timeouts cannot end that session, and a
terminated session stops its run with nothing of the current migration
committed, while a second runner takes over. On the real server."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import psycopg
import pytest
from support import cli

from contractspec import runtime


def _chain(write_project, root: Path, sleep_s: float) -> Path:
    """m1 -> m2 -> m3; m2 creates t2, then a Python step sleeps sleep_s."""
    table = 'SchemaStep("CREATE TABLE t{} (id INTEGER PRIMARY KEY)")'.format
    slow = 'DataStep(script="_slow.py:run", description="slow")'
    project = write_project(
        root / "lockchain",
        {
            "lock.db.m1": table(1),
            "lock.db.m2": f"{table(2)}, {slow}",
            "lock.db.m3": table(3),
        },
        {"_slow.py": f"import time\n\ndef run(conn):\n    time.sleep({sleep_s})\n"},
    )
    assert cli(project, "build", "--all").exit_code == 0
    return project


def _runner(project: Path, url: str, audit: Path) -> subprocess.Popen:
    command = [sys.executable, "-m", "contractspec", "migrate", "up", "--json"]
    command += ["-C", str(project), "--database", url, "--audit-log", str(audit)]
    return subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def _wait_for(audit: Path, needle: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if audit.exists() and needle in audit.read_text():
            return
        time.sleep(0.05)
    raise AssertionError(f"{needle} never appeared in {audit}")


@pytest.mark.slow
def test_a_terminated_lock_session_stops_its_run_and_another_runner_takes_over(
    tmp_path, pg_db, DB, write_project
):
    db = DB(pg_db)
    project = _chain(write_project, tmp_path, sleep_s=3)
    first = _runner(project, pg_db, tmp_path / "first.jsonl")
    try:
        _wait_for(tmp_path / "first.jsonl", '"detail": "data \'slow\'"')
        second = _runner(project, pg_db, tmp_path / "second.jsonl")
        started = time.monotonic()
        line = second.stderr.readline()  # says at once whom it waits for
        waited = time.monotonic() - started
        pid = db.scalar(
            "SELECT pid FROM pg_stat_activity WHERE application_name = ?",
            (f"contractspec migrate pid {first.pid}",),
        )
        assert pid is not None
        assert line.startswith("waiting up to 30 s for the migration lock on ")
        assert f"backend pid {pid} " in line and waited < 5  # start-up included
        db.execute(f"SELECT pg_terminate_backend({pid})")
        out, err = first.communicate(timeout=60)
        report = json.loads(out)
        second_out, second_err = second.communicate(timeout=60)
    finally:
        first.kill()

    # The first run stops: m1 stays applied, nothing of m2, m3 not attempted.
    assert first.returncode == 1, err
    assert "Traceback" not in err
    assert [r["key"] for r in report["applied"]] == ["lock.db.m1.v1"]
    assert report["failed"]["key"] == "lock.db.m2.v1"
    assert "the connection was lost, and the migration lock with it" in (
        report["failed"]["error"]
    )
    assert report["not_attempted"] == ["lock.db.m3.v1"]
    # The second applies m2 and m3, each once; its summary counts only those.
    assert second.returncode == 0, second_err
    second_report = json.loads(second_out)
    assert [r["key"] for r in second_report["applied"]] == [
        "lock.db.m2.v1",
        "lock.db.m3.v1",
    ]
    assert second_report["skipped"] == ["lock.db.m1.v1"]
    assert [key for key, _ in db.history()] == [
        "lock.db.m1.v1",
        "lock.db.m2.v1",
        "lock.db.m3.v1",
    ]


def _step(kind: str, payload: str, **extra) -> dict:
    field = {"schema": "sql", "data": "script"}[kind]
    return {"kind": kind, field: payload, "description": None, **extra}


def _migration(*steps: dict) -> dict:
    return {
        "key": "lock.db.direct.v1",
        "name": "lock.db.direct",
        "version": 1,
        "spec_fingerprint": "sha256:" + "a" * 64,
        "dependencies": [],
        "up": [_step("schema", "CREATE TABLE t1 (id INTEGER)"), *steps],
        "down": None,
    }


def _lock_holders(db) -> list[int]:
    return [
        row[0]
        for row in db.rows(
            "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted"
        )
    ]


@pytest.mark.slow
def test_idle_timeouts_from_the_url_do_not_end_the_locked_session(pg_db, DB):
    url = (
        pg_db + "?options=-c%20idle_session_timeout%3D500"
        "%20-c%20idle_in_transaction_session_timeout%3D500"
    )
    db = DB(pg_db)
    migration = _migration(_step("data", "SELECT pg_sleep(0)"))
    with runtime.open_session(url) as session:
        pid = session.conn.info.backend_pid
        time.sleep(1.5)  # idle three times longer than the URL allows
        assert _lock_holders(db) == [pid]
        assert runtime.apply_up(session, migration)["status"] == "applied"
    assert db.history() != []


@pytest.mark.slow
def test_idle_timeouts_set_on_the_role_do_not_end_the_locked_session(
    pg_db, DB, tmp_path
):
    db = DB(pg_db)
    role = "contractspec_idle_" + os.urandom(4).hex()
    db.execute(
        f"CREATE ROLE {role} LOGIN SUPERUSER;"
        f" ALTER ROLE {role} SET idle_session_timeout = 500;"
        f" ALTER ROLE {role} SET idle_in_transaction_session_timeout = 500"
    )
    url = pg_db.replace("postgres@", f"{role}@")
    script = tmp_path / "_sleep.py"
    script.write_text("import time\n\ndef run(conn):\n    time.sleep(1.5)\n")
    sleepy = _step(
        "data",
        f"{script.name}:run",
        script_type="python_file",
        script_path=script.name,
        script_sha256=hashlib.sha256(script.read_bytes()).hexdigest(),
    )
    try:
        with runtime.open_session(url) as session:
            time.sleep(1.5)
            # Idle in the transaction for 1.5 s inside the Python step, too.
            result = runtime.apply_up(session, _migration(sleepy), base_dir=tmp_path)
            assert result["status"] == "applied"
            assert _lock_holders(db) == [session.conn.info.backend_pid]
    finally:
        with psycopg.connect(pg_db, autocommit=True) as conn:
            conn.execute(f"DROP OWNED BY {role}")
            conn.execute(f"DROP ROLE {role}")


def test_a_step_that_releases_the_lock_cannot_commit(pg_db, DB):
    db = DB(pg_db)
    migration = _migration(_step("schema", "SELECT pg_advisory_unlock_all()"))
    with runtime.open_session(pg_db) as session:
        try:
            runtime.apply_up(session, migration)
            raise AssertionError("committed without the lock")
        except runtime.MigrationError as exc:
            assert "no longer holds the migration lock" in str(exc)
    assert db.history() == [] and not db.table_exists("t1")


@pytest.mark.slow
def test_a_killed_runners_statement_stops_within_seconds(
    tmp_path, pg_db, DB, write_project
):
    """SIGKILL leaves the server running the statement (and holding the lock)
    until it notices the client is gone: client_connection_check_interval
    makes that about a second instead of the statement's whole length."""
    import signal

    db = DB(pg_db)
    steps = {"kill.db.m1": 'SchemaStep("SELECT pg_sleep(60)")'}
    project = write_project(tmp_path / "killed", steps)
    assert cli(project, "build", "--all").exit_code == 0
    audit = tmp_path / "audit.jsonl"
    runner = _runner(project, pg_db, audit)
    try:
        _wait_for(audit, '"step_start"')
        time.sleep(0.5)  # the server is in pg_sleep now
        runner.send_signal(signal.SIGKILL)
        runner.wait(timeout=30)
        killed = time.monotonic()
        while _lock_holders(db) and time.monotonic() - killed < 30:
            time.sleep(0.1)
        freed_after = time.monotonic() - killed
    finally:
        runner.kill()
        runner.communicate()
    assert _lock_holders(db) == []
    assert freed_after < 5, freed_after  # not the 60 s the statement asked for
    assert db.history() == []
