"""A signal at any moment of a run, from the process's start to its end (issue
26 item 4: 4 of 56 runs gave -15/-2, once with a KeyboardInterrupt
traceback): many short runs on SQLite, each sent SIGINT or SIGTERM after a
random delay from 0 to the length of a run.

Accepted outcomes, once our handlers are installed (the first lines the
process runs of ours): 130 / 143, or the exit code the run had already
decided (0: applied; the signal came during the final commit or after it,
when nothing it could stop was left) — and never a traceback, never a death
by the signal. Whatever the outcome, the migration is applied with its
history row, or absent with neither.

Before those first lines the interpreter is starting (15-45 ms on the
development machine, a third of a harness run) and no code of ours can act:
a SIGTERM there ends the process by the signal's default action (-15), a
SIGINT by Python's own (-2, or exit 1 with a KeyboardInterrupt traceback
while it imports `site`), as for any Python program. The test reads /proc/PID/status just before it
sends the signal to tell the two apart (our handlers: SIGTERM caught, or
ignored once the outcome is decided), and counts both.
"""

from __future__ import annotations

import random
import signal
import sqlite3
import sys
import time
from pathlib import Path

import pytest
from support import cli, start_signallable

AFTER_HANDLERS = 50  # runs whose signal landed once the handlers were in place
MAX_RUNS = 120


def _handlers_installed(pid: int) -> bool | None:
    """Whether our handlers are in place: the process catches SIGTERM (from
    its first lines of ours) or ignores it (once its exit code is decided);
    None once it is gone."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    masks = dict(line.split(":\t") for line in status.splitlines() if ":\t" in line)
    if masks["State"].startswith("Z"):  # exited, not yet reaped: masks are gone
        return None
    bit = 1 << (signal.SIGTERM - 1)
    return bool((int(masks["SigCgt"], 16) | int(masks["SigIgn"], 16)) & bit)


def _state(path: Path) -> tuple[bool, bool]:
    """(history row, table t): what the run left."""
    conn = sqlite3.connect(path)
    try:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
        row = "contractspec_history" in tables and bool(
            conn.execute("SELECT count(*) FROM contractspec_history").fetchone()[0]
        )
        return row, "t" in tables
    finally:
        conn.close()


def _command(project: Path, how: str, database: Path) -> list[str]:
    url = f"sqlite:///{database}"
    if how == "harness":
        harness = project / "harnesses" / "edge__db__m1__v1.py"
        return [sys.executable, str(harness), "up", "--database", url]
    script = Path(sys.executable).with_name("contractspec")  # the console script
    start = [str(script)] if script.exists() else [sys.executable, "-m", "contractspec"]
    return [*start, "migrate", "up", "-C", str(project), "--database", url]


def _run(command: list[str], delay: float | None, signum: int):
    process = start_signallable(command)
    installed = None
    started = time.monotonic()
    if delay is not None:
        time.sleep(delay)
        installed = _handlers_installed(process.pid)
        if process.poll() is None:
            process.send_signal(signum)
    out, err = process.communicate(timeout=120)
    return process.returncode, err, installed, time.monotonic() - started


@pytest.mark.parametrize("how", ["harness", "migrate"])
def test_a_signal_at_any_moment_exits_130_143_or_the_decided_code(
    tmp_path, write_project, how
):
    project = write_project(
        tmp_path / "edge", {"edge.db.m1": 'SchemaStep("CREATE TABLE t (id INTEGER)")'}
    )
    assert cli(project, "build", "--all").exit_code == 0
    lengths = []
    for n in range(3):  # the length of an undisturbed run
        code, err, _, took = _run(
            _command(project, how, tmp_path / f"l{n}.db"), None, 0
        )
        assert code == 0, err
        lengths.append(took)
    length = sorted(lengths)[1]

    rng = random.Random(26)
    outcomes: dict[str, int] = {}
    after = runs = 0
    while after < AFTER_HANDLERS and runs < MAX_RUNS:
        runs += 1
        database = tmp_path / f"run{runs}.db"
        signum = rng.choice([signal.SIGINT, signal.SIGTERM])
        code, err, installed, _ = _run(
            _command(project, how, database), rng.uniform(0, length), signum
        )
        applied, table = _state(database) if database.exists() else (False, False)
        assert applied == table, (code, err)  # all of the migration, or none of it
        if installed is False:  # the interpreter was still starting
            key = f"before the handlers: {code}"
            outcomes[key] = outcomes.get(key, 0) + 1
            continue
        after += installed is True
        assert "Traceback" not in err and "Exception ignored" not in err, err
        assert code in (128 + signum, 0), (code, err)
        assert code != 0 or applied, err  # 0: the run had decided success
        what = "exited before the signal" if installed is None else "after the handlers"
        key = f"{what}: {code} ({'applied' if applied else 'not applied'})"
        outcomes[key] = outcomes.get(key, 0) + 1
    print(f"{how}: run length {length * 1000:.0f} ms, {runs} runs:", outcomes)
    assert after >= AFTER_HANDLERS, outcomes
