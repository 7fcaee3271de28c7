"""SIGINT and SIGTERM during a migration: rolled back, a failure event
recorded, "interrupted; rolled back", exit 130 / 143, in `contractspec
migrate up` and in a standalone harness, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from support import cli

pytestmark = pytest.mark.slow  # each test starts, signals and waits for processes

SLOW_STEPS = {
    # A Python step: the signal arrives while Python sleeps.
    "python": 'DataStep(script="_slow.py:run")',
    # SQL the server is running: the driver must cancel it.
    "sql": 'SchemaStep("SELECT pg_sleep(60)")',
}


def _project(write_project, root: Path, slow: str) -> Path:
    project = write_project(
        root / "sig",
        {
            "sig.db.m1": f'SchemaStep("CREATE TABLE t1 (id INTEGER)"), {SLOW_STEPS[slow]}'
        },
        {"_slow.py": "import time\n\ndef run(conn):\n    time.sleep(60)\n"},
    )
    assert cli(project, "build", "--all").exit_code == 0
    return project


def _interrupt(command: list[str], audit: Path, signum: int):
    """Start command, wait until its slow step (step 2) started, send signum."""
    process = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        # A suite started in the background by a shell inherits SIGINT ignored,
        # and Python then never turns it into KeyboardInterrupt: undo that.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    deadline = time.monotonic() + 60
    try:
        while time.monotonic() < deadline and process.poll() is None:
            lines = audit.read_text().splitlines() if audit.exists() else []
            if any('"step_start"' in line and '"step": 2' in line for line in lines):
                time.sleep(0.3)  # into the sleep (Python) or the query (server)
                process.send_signal(signum)
                break
            time.sleep(0.05)
        out, err = process.communicate(timeout=60)
    finally:
        process.kill()
    return process.returncode, out, err


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["INT", "TERM"])
@pytest.mark.parametrize(
    "dialect, slow",
    [("sqlite", "python"), ("postgresql", "python"), ("postgresql", "sql")],
    ids=["sqlite-python", "postgresql-python", "postgresql-sql"],
)
@pytest.mark.parametrize("how", ["migrate", "harness"])
def test_a_signal_rolls_back_and_is_recorded(
    request, tmp_path, DB, write_project, dialect, slow, how, signum
):
    if dialect == "sqlite":
        url = f"sqlite:///{tmp_path / 'test.db'}"
    else:
        url = request.getfixturevalue("pg_db")
    db = DB(url)
    project = _project(write_project, tmp_path, slow)
    audit = tmp_path / "audit.jsonl"
    options = ["--database", url, "--audit-log", str(audit), "--json"]
    if how == "migrate":
        command = [sys.executable, "-m", "contractspec", "migrate", "up"]
        command += ["-C", str(project)]
    else:
        command = [sys.executable, str(project / "harnesses" / "sig__db__m1__v1.py")]
        command += ["up"]
    code, out, err = _interrupt(command + options, audit, signum)

    assert code == 128 + signum, err
    assert "interrupted; rolled back" in err and "Traceback" not in err
    assert err.count("\n") == 1, err
    result = json.loads(out)  # --json: the failure as an object
    if how == "migrate":
        assert result["ok"] is False and result["exit_code"] == 128 + signum
    else:
        assert result["status"] == "interrupted"
    assert not db.table_exists("t1")  # step 1 was rolled back with the rest
    assert db.history() == []
    ends = [e for e in db.events("sig.db.m1.v1") if e["event"] == "run_end"]
    assert [e["status"] for e in ends] == ["failed"]
    assert "interrupted" in ends[0]["error"]
