"""interruptible() in a program that uses the runtime as a library: SIGINT and
SIGTERM raise Interrupted once and stop the statement the main thread runs;
the program's own handlers and wakeup fd come back afterwards, and the bytes
of signals that are not ours still reach that fd."""

from __future__ import annotations

import os
import signal
import socket
import threading
import time

import pytest
from rtkit import make_migration, make_step

COUNT_TO_1E9 = (
    "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c"
    " WHERE x < 1000000000) SELECT count(*) FROM c"
)


def test_a_signal_from_another_thread_stops_sqlite_in_process(rt, tmp_path, DB):
    url = f"sqlite:///{tmp_path / 'x.db'}"
    m = make_migration(
        up=[
            make_step("schema", "CREATE TABLE t1 (id INTEGER)"),
            make_step("schema", COUNT_TO_1E9),
        ]
    )
    timer = threading.Timer(0.5, os.kill, (os.getpid(), signal.SIGTERM))
    timer.start()
    started = time.monotonic()
    with pytest.raises(rt.Interrupted) as caught:
        rt.run_migration(m, "up", url)
    assert time.monotonic() - started < 1.5  # 0.5 s, then the interrupt
    assert caught.value.exit_code == 143
    assert caught.value.outcome.startswith(f"{m['key']}: interrupted by SIGTERM;")
    db = DB(url)
    assert not db.table_exists("t1") and db.history() == []
    ends = [e for e in db.events(m["key"]) if e["event"] == "run_end"]
    assert [e["status"] for e in ends] == ["interrupted"]


def test_handlers_and_wakeup_fd_come_back_and_other_signals_pass_through(rt):
    mine, theirs = socket.socketpair()
    mine.setblocking(False)
    previous_fd = signal.set_wakeup_fd(mine.fileno())
    usr1 = []
    previous_usr1 = signal.signal(signal.SIGUSR1, lambda *_: usr1.append(1))
    previous_term = signal.signal(signal.SIGTERM, lambda *_: None)
    own_term = signal.getsignal(signal.SIGTERM)
    try:
        with rt.interruptible():
            with rt.interruptible():  # nested: the same scope
                assert signal.getsignal(signal.SIGTERM) is not own_term
            signal.raise_signal(signal.SIGUSR1)  # not ours: the program's handler runs
            time.sleep(0.2)  # and the watcher passes its byte on
            with pytest.raises(rt.Interrupted) as caught:
                signal.raise_signal(signal.SIGTERM)
                time.sleep(1)
            assert caught.value.signum == signal.SIGTERM
            signal.raise_signal(signal.SIGINT)  # while the first is handled: dropped
            time.sleep(0.05)
        assert signal.getsignal(signal.SIGTERM) is own_term
        assert signal.set_wakeup_fd(mine.fileno()) == mine.fileno()  # ours was put back
        assert usr1 == [1]
        assert theirs.recv(16) == bytes([signal.SIGUSR1])
        with (
            rt.interruptible(),
            pytest.raises(rt.Interrupted),
        ):  # a new scope raises again
            signal.raise_signal(signal.SIGINT)
            time.sleep(1)
    finally:
        signal.signal(signal.SIGTERM, previous_term)
        signal.signal(signal.SIGUSR1, previous_usr1)
        signal.set_wakeup_fd(previous_fd)
        mine.close()
        theirs.close()


def test_a_signal_ignored_by_the_parent_stays_ignored(rt):
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        with rt.interruptible():
            assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN
            signal.raise_signal(signal.SIGINT)
            time.sleep(0.05)
    finally:
        signal.signal(signal.SIGINT, previous)


def test_a_signal_after_a_commit_stops_the_next_migration_before_it_runs(
    rt, tmp_path, DB
):
    """The last commit of a migration holds a signal (it is not cut in half,
    nor reported as rolled back): the next migration is then recorded as
    interrupted before it ran anything; the first stays applied."""
    url = f"sqlite:///{tmp_path / 'x.db'}"
    first = make_migration(name="app.db.first")
    second = make_migration(
        name="app.db.second", up=[make_step("schema", "CREATE TABLE t2 (x INTEGER)")]
    )
    with rt.interruptible(), rt.open_session(url) as session:
        assert rt.apply_up(session, first)["status"] == "applied"
        signal.raise_signal(signal.SIGTERM)  # as if it came during that commit
        time.sleep(0.05)  # held: nothing raised here
        with pytest.raises(rt.Interrupted):
            rt.apply_up(session, second)
    db = DB(url)
    assert [row[0] for row in db.history()] == [first["key"]]
    assert not db.table_exists("t2")
    ends = [e for e in db.events(second["key"]) if e["event"] == "run_end"]
    assert [e["status"] for e in ends] == ["interrupted"]
