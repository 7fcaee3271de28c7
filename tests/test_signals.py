"""SIGINT and SIGTERM during a migration stop the statement that runs: rolled
back, the interruption recorded (events and audit log), one line on stderr,
exit 130 / 143, in `contractspec migrate up` and in a standalone harness, on
SQLite and PostgreSQL. A step outside the transaction or a batch interrupted
half way leaves the journal that a rerun continues from.

The slow statements run inside the driver for minutes (a recursive CTE
counting to 10^9 in SQLite's C code; pg_sleep and a generate_series
aggregate on the server): Python runs a signal handler only between
bytecodes, so without an interrupt from outside the main thread they would
run to their end.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from support import cli, start_signallable

pytestmark = pytest.mark.slow  # each test starts, signals and waits for processes

# From the signal to the process's exit: what the runtime promises (issue 21).
# Typically 0.03-0.2 s here (the measured time is in the assertion message);
# the rest is the margin for a loaded machine, 5x and more.
SIGNAL_TO_EXIT_S = 1.0

COUNT_TO_1E9 = (
    "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c"
    " WHERE x < 1000000000) SELECT count(*) FROM c"
)
SLOW_STEPS = {  # name: (dialect, the slow step)
    "sqlite-cte": ("sqlite", f'SchemaStep("{COUNT_TO_1E9}")'),
    "postgresql-sleep": ("postgresql", 'SchemaStep("SELECT pg_sleep(30)")'),
    "postgresql-series": (
        "postgresql",
        'SchemaStep("SELECT sum(g) FROM (SELECT generate_series(1, 10000000000) AS g) s")',
    ),
    # A Python step: the signal lands while Python sleeps.
    "sqlite-python": ("sqlite", 'DataStep(script="_slow.py:run")'),
    "postgresql-python": ("postgresql", 'DataStep(script="_slow.py:run")'),
}
SLOW_PY = "import time\n\ndef run(conn):\n    time.sleep(60)\n"


def _url(request, tmp_path: Path, dialect: str) -> str:
    if dialect == "sqlite":
        return f"sqlite:///{tmp_path / 'test.db'}"
    return request.getfixturevalue("pg_db")


def _command(project: Path, how: str, harness: str) -> list[str]:
    if how == "migrate":
        return [
            sys.executable,
            "-m",
            "contractspec",
            "migrate",
            "up",
            "-C",
            str(project),
        ]
    return [sys.executable, str(project / "harnesses" / harness), "up"]


def _started(audit: Path, step: int, status: str | None = None) -> bool:
    for line in audit.read_text().splitlines() if audit.exists() else ():
        event = json.loads(line)
        if event["event"] == "step_start" and event["step"] == step:
            if status is None or event["status"] == status:
                return True
    return False


def interrupt(command: list[str], signum: int, ready, settle: float = 0.5):
    """Start command, wait until ready() (the slow part has begun), let it get
    into its statement, send signum; return (exit code, stdout, stderr,
    seconds from the signal to the exit)."""
    process = start_signallable(command)
    try:
        deadline = time.monotonic() + 60
        while not ready() and process.poll() is None:
            assert time.monotonic() < deadline, "the slow step never started"
            time.sleep(0.02)
        time.sleep(settle)  # well inside the statement (or the sleep)
        assert process.poll() is None, process.communicate()
        sent = time.monotonic()
        process.send_signal(signum)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            pytest.fail("the signal did not stop the run within 30 s")
        elapsed = time.monotonic() - sent
        out, err = process.communicate(timeout=30)
    finally:
        process.kill()
    return process.returncode, out, err, elapsed


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["INT", "TERM"])
@pytest.mark.parametrize("slow", list(SLOW_STEPS))
@pytest.mark.parametrize("how", ["migrate", "harness"])
def test_a_signal_stops_the_running_statement(
    request, tmp_path, DB, write_project, how, slow, signum
):
    dialect, step = SLOW_STEPS[slow]
    url = _url(request, tmp_path, dialect)
    db = DB(url)
    project = write_project(
        tmp_path / "sig",
        {"sig.db.m1": f'SchemaStep("CREATE TABLE t1 (id INTEGER)"), {step}'},
        {"_slow.py": SLOW_PY},
    )
    assert cli(project, "build", "--all").exit_code == 0
    audit = tmp_path / "audit.jsonl"
    command = _command(project, how, "sig__db__m1__v1.py")
    command += ["--database", url, "--audit-log", str(audit), "--json"]

    code, out, err, elapsed = interrupt(command, signum, lambda: _started(audit, 2))

    name = signal.Signals(signum).name
    print(f"signal to exit: {how} {slow} {name} {elapsed:.3f} s")  # pytest -s
    assert code == 128 + signum, err
    assert elapsed <= SIGNAL_TO_EXIT_S, f"{elapsed:.3f} s from {name} to the exit"
    assert err.count("\n") == 1 and "Traceback" not in err, err
    assert f"sig.db.m1.v1: interrupted by {name}; rolled back, nothing changed" in err
    result = json.loads(out)  # --json: the failure as an object
    if how == "migrate":
        assert result["ok"] is False and result["exit_code"] == 128 + signum
    else:
        assert result["status"] == "interrupted"
    assert not db.table_exists("t1")  # step 1 was rolled back with the rest
    assert db.history() == []
    events = db.events("sig.db.m1.v1")
    ends = [e for e in events if e["event"] == "run_end"]
    assert [e["status"] for e in ends] == ["interrupted"]
    assert f"interrupted by {name}" in ends[0]["error"]
    assert [e["status"] for e in events if e["event"] == "rollback"] == ["ok"]
    audited = json.loads(audit.read_text().splitlines()[-1])
    assert (audited["event"], audited["status"]) == ("run_end", "interrupted")
    if slow == "sqlite-cte":  # status shows it as the migration's last failure
        status = cli(project, "migrate", "status", "--json", database=url)
        row = json.loads(status.stdout)[0]
        assert row["state"] == "pending", row
        assert f"interrupted by {name}" in row["last_failure"], row


# A knob the test turns: slow (10^9) while the signal is to land, fast (10)
# for the rerun that continues.
COUNTED = {
    "sqlite": (
        "CREATE TABLE IF NOT EXISTS counted AS WITH RECURSIVE c(x) AS (SELECT 1"
        " UNION ALL SELECT x + 1 FROM c WHERE x < (SELECT n FROM knob))"
        " SELECT count(*) AS n FROM c"
    ),
    "postgresql": (
        "CREATE TABLE IF NOT EXISTS counted AS SELECT count(*) AS n FROM"
        " (SELECT generate_series(1, (SELECT n FROM knob))) s"
    ),
}
# Ten rows a batch; the third batch (20 rows done) counts to the knob.
BATCH = {
    "sqlite": (
        "UPDATE items SET done = 1 WHERE id IN (SELECT id FROM items WHERE done = 0"
        " ORDER BY id LIMIT 10) AND (WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL"
        " SELECT x + 1 FROM c WHERE x < (SELECT CASE WHEN (SELECT count(*) FROM items"
        " WHERE done = 1) >= 20 THEN n ELSE 1 END FROM knob)) SELECT count(*) FROM c) > 0"
    ),
    "postgresql": (
        "UPDATE items SET done = 1 WHERE id IN (SELECT id FROM items WHERE done = 0"
        " ORDER BY id LIMIT 10) AND (SELECT count(*) FROM (SELECT generate_series(1,"
        " CASE WHEN (SELECT count(*) FROM items WHERE done = 1) >= 20 THEN (SELECT n"
        " FROM knob) ELSE 1 END)) s) > 0"
    ),
}


def _journal_project(write_project, root: Path, dialect: str, kind: str) -> Path:
    if kind == "outside":
        slow = f'SchemaStep("{COUNTED[dialect]}", transactional=False)'
    else:
        slow = f'DataStep(script="{BATCH[dialect]}", batch_size=10)'
    steps = f'SchemaStep("CREATE TABLE a (x INTEGER)"), {slow}, SchemaStep("CREATE TABLE b (x INTEGER)")'
    project = write_project(root / "journal", {"sig.db.parts": steps})
    (project / "pyproject.toml").write_text(
        f'[tool.contractspec]\nharnesses = "harnesses"\ndialect = "{dialect}"\n'
    )
    assert cli(project, "build", "--all").exit_code == 0, "build"
    return project


@pytest.mark.parametrize("kind", ["outside", "batches"])
@pytest.mark.parametrize("dialect", ["sqlite", "postgresql"])
def test_an_interrupted_migration_in_parts_is_continued_by_a_rerun(
    request, tmp_path, DB, write_project, dialect, kind
):
    url = _url(request, tmp_path, dialect)
    db = DB(url)
    db.execute("CREATE TABLE knob (n BIGINT); INSERT INTO knob VALUES (1000000000)")
    db.execute("CREATE TABLE items (id INTEGER PRIMARY KEY, done INTEGER NOT NULL)")
    for first in range(1, 31, 10):
        values = ", ".join(f"({i}, 0)" for i in range(first, first + 10))
        db.execute(f"INSERT INTO items VALUES {values}")
    project = _journal_project(write_project, tmp_path, dialect, kind)
    audit = tmp_path / "audit.jsonl"
    command = _command(project, "migrate", "")
    command += ["--database", url, "--audit-log", str(audit)]
    key = "sig.db.parts.v1"

    def batches() -> int:
        lines = audit.read_text().splitlines() if audit.exists() else []
        return sum('"event": "batch"' in line for line in lines)

    ready = (lambda: _started(audit, 2, "outside")) if kind == "outside" else None
    ready = ready or (lambda: batches() == 2)
    code, _, err, elapsed = interrupt(command, signal.SIGTERM, ready)

    print(f"signal to exit: {dialect} {kind} SIGTERM {elapsed:.3f} s")  # pytest -s
    assert code == 143, err
    assert elapsed <= SIGNAL_TO_EXIT_S, f"{elapsed:.3f} s from SIGTERM to the exit"
    assert "Traceback" not in err
    assert (
        f"{key}: interrupted by SIGTERM; partly applied (not atomic; steps"
        " committed: 1); run it again to continue" in err
    )
    assert db.table_exists("a") and not db.table_exists("b")
    assert db.history() == []
    events = db.events(key)
    assert [(e["event"], e["step"]) for e in events if e["event"] == "step_done"] == [
        ("step_done", 1)
    ]
    assert [e["status"] for e in events if e["event"] == "run_end"] == ["interrupted"]
    if kind == "batches":  # two batches committed with their events; the third undone
        assert db.scalar("SELECT count(*) FROM items WHERE done = 1") == 20
        assert sum(e["event"] == "batch" for e in events) == 2
    else:  # the statement was stopped: its table never came to be
        assert not db.table_exists("counted")

    db.execute("UPDATE knob SET n = 10")  # the rerun's statement is quick
    done = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert [row[0] for row in db.history()] == [key]
    assert db.table_exists("b")
    rerun = [e for e in db.events(key) if e["run_id"] != events[0]["run_id"]]
    skipped = [(e["step"], e["status"]) for e in rerun if e["event"] == "step_skipped"]
    assert skipped == [(1, "done")]  # step 1 is not run again
    if kind == "batches":  # the rerun's batches take the 10 rows left
        assert db.scalar("SELECT count(*) FROM items WHERE done = 1") == 30
        details = [e["detail"] for e in rerun if e["event"] == "batch"]
        assert details[0].startswith("batch 1: 10 rows, 10 in all"), details
        assert details[-1].startswith("batch 2: 0 rows, 10 in all"), details
    else:
        assert db.scalar("SELECT n FROM counted") == 10


# A Python step whose finalizer gets the signal: Python drops an exception
# raised in a __del__ (it prints "Exception ignored in ..." and goes on).
FINALIZER_PY = """
import gc, signal, time


class Finalized:
    def __del__(self):
        signal.raise_signal(signal.SIGTERM)
        time.sleep(0.01)  # the handler runs here, inside the finalizer


def run(conn):
    cycle = Finalized()
    cycle.me = cycle
    del cycle
    gc.collect()  # __del__ runs here
    time.sleep(60)
"""


@pytest.mark.parametrize("how", ["migrate", "harness"])
def test_a_signal_that_lands_in_a_finalizer_still_stops_the_run(
    tmp_path, DB, write_project, how
):
    url = f"sqlite:///{tmp_path / 'test.db'}"
    project = write_project(
        tmp_path / "fin",
        {
            "fin.db.m1": 'SchemaStep("CREATE TABLE t1 (id INTEGER)"), DataStep(script="_fin.py:run")'
        },
        {"_fin.py": FINALIZER_PY},
    )
    assert cli(project, "build", "--all").exit_code == 0
    command = _command(project, how, "fin__db__m1__v1.py") + ["--database", url]
    started = time.monotonic()
    done = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert time.monotonic() - started < 10  # not the step's 60 s
    assert done.returncode == 143, done.stderr
    assert "Exception ignored" not in done.stderr and "Traceback" not in done.stderr
    assert "fin.db.m1.v1: interrupted by SIGTERM; rolled back" in done.stderr
    db = DB(url)
    assert not db.table_exists("t1") and db.history() == []
    ends = [e for e in db.events("fin.db.m1.v1") if e["event"] == "run_end"]
    assert [e["status"] for e in ends] == ["interrupted"]
