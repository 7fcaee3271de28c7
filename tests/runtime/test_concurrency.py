"""The migration lock: concurrent runners, SIGKILL mid-step, lock timeouts.
Harness files run in real subprocesses."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest
from rtkit import file_step, make_migration, make_step

SLEEPY = """
import pathlib, time


def run(conn):
    conn.execute("INSERT INTO crash_probe VALUES (1)")
    pathlib.Path(__file__).with_name("marker").write_text("in step")
    if pathlib.Path(__file__).with_name("sleep").exists():
        time.sleep(60)
"""


def wait_for(predicate, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


@pytest.mark.slow
def test_eight_processes_apply_exactly_once(database_url, db, tmp_path, write_harness):
    up = [
        make_step("schema", "CREATE TABLE once (id INTEGER)"),
        make_step("data", "INSERT INTO once VALUES (1)"),
        make_step("validation", "SELECT count(*) = 1 FROM once"),
    ]
    m = make_migration(up=up)
    harness = write_harness(tmp_path / "harness.py", m)
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                str(harness),
                "up",
                "--database",
                database_url,
                "--lock-timeout",
                "60",
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(8)
    ]
    outputs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0] * 8, outputs
    summaries = [err.strip().splitlines()[-1] for _, err in outputs]
    assert sum(s.startswith(f"applied {m['key']}") for s in summaries) == 1, summaries
    assert sum(s.startswith(f"skipped {m['key']}") for s in summaries) == 7, summaries
    assert db.scalar("SELECT count(*) FROM once") == 1
    assert db.history() == [(m["key"], m["spec_fingerprint"])]


@pytest.mark.slow
def test_sigkill_mid_step_then_rerun_applies_exactly_once(
    database_url, db, tmp_path, write_harness, run_harness
):
    db.execute("CREATE TABLE crash_probe (x INTEGER)")
    up = [
        make_step("schema", "CREATE TABLE crashed (id INTEGER)"),
        file_step(tmp_path, "sleepy.py", SLEEPY, "python_file", func="run"),
        make_step("data", "INSERT INTO crashed VALUES (1)"),
    ]
    m = make_migration(up=up)
    harness = write_harness(tmp_path / "harness.py", m)
    (tmp_path / "sleep").write_text("1")
    victim = subprocess.Popen(
        [sys.executable, str(harness), "up", "--database", database_url],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        assert wait_for(lambda: (tmp_path / "marker").exists(), timeout=30)
        os.kill(victim.pid, signal.SIGKILL)
    finally:
        victim.wait(timeout=30)
    assert victim.returncode == -signal.SIGKILL
    assert not db.table_exists("crashed") and db.history() == []
    assert db.scalar("SELECT count(*) FROM crash_probe") == 0
    (tmp_path / "sleep").unlink()
    started = time.monotonic()
    rerun = run_harness(
        harness, "up", "--database", database_url, "--lock-timeout", "10"
    )
    assert rerun.returncode == 0, rerun.stderr
    assert time.monotonic() - started < 8  # no waiting on a stale lock
    assert db.scalar("SELECT count(*) FROM crashed") == 1
    assert db.scalar("SELECT count(*) FROM crash_probe") == 1
    assert db.history() == [(m["key"], m["spec_fingerprint"])]
    again = run_harness(harness, "up", "--database", database_url)
    assert again.returncode == 0 and "skipped" in again.stderr
    assert db.scalar("SELECT count(*) FROM crashed") == 1


def test_lock_timeout_names_the_holder(rt, database_url, db):
    m = make_migration()
    with rt.open_session(database_url) as holder:
        started = time.monotonic()
        with pytest.raises(rt.MigrationError) as info:
            rt.run_migration(m, "up", database_url, lock_timeout=0.3)
        assert 0.3 <= time.monotonic() - started < 2
        text = str(info.value)
        assert (
            info.value.exit_code == 1 and "could not acquire the migration lock" in text
        )
        if db.dialect == "sqlite":
            assert f"pid {os.getpid()}" in text and ".lock" in text
        else:
            assert f"backend pid {holder.conn.info.backend_pid}" in text
            assert (
                f"pid {os.getpid()}" in text
            )  # our application_name names the OS process
            assert "client 127.0.0.1" in text
    assert (
        rt.run_migration(m, "up", database_url, lock_timeout=0.3)["status"] == "applied"
    )


def test_waiting_runner_rereads_history(rt, database_url, db):
    """A runner that waited for the lock skips what the holder applied."""
    import threading

    m = make_migration(up=[make_step("schema", "CREATE TABLE waited (x INTEGER)")])
    results = []
    with rt.open_session(database_url) as holder:
        waiter = threading.Thread(
            target=lambda: results.append(
                rt.run_migration(m, "up", database_url, lock_timeout=20)
            )
        )
        waiter.start()
        time.sleep(0.3)
        assert rt.apply_up(holder, m)["status"] == "applied"
    waiter.join(timeout=20)
    assert [r["status"] for r in results] == ["skipped"]


def test_memory_database_needs_no_lock(rt):
    with rt.open_session("sqlite:///:memory:") as session:
        assert session.lock is None
        rt.apply_up(session, make_migration())
        assert [r["key"] for r in rt.read_history(session)] == [make_migration()["key"]]


def test_reader_session_without_lock_does_not_wait(rt, database_url):
    m = make_migration()
    rt.run_migration(m, "up", database_url)
    with rt.open_session(database_url, lock_timeout=0.2) as holder:
        started = time.monotonic()
        with rt.open_session(database_url, lock=False, lock_timeout=0.2) as reader:
            assert reader.lock is None
            assert [r["key"] for r in rt.read_history(reader)] == [m["key"]]
            assert rt.read_events(reader, migration=m["key"])[-1]["status"] == "applied"
        assert time.monotonic() - started < 0.2
        assert holder.lock is not None
