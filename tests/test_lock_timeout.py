"""No statement waits on a lock without bound (PostgreSQL): the runtime sets
`lock_timeout` on its session (`[tool.contractspec] lock_timeout_ms`, a
harness's `--lock-timeout-ms`, 3000 unless set) and retries a step attempt
that timed out waiting for a lock (SQLSTATE 55P03) from its savepoint, with
backoff, `lock_retries` times more than the step's own retries: GitLab's
`with_lock_retries`. On the real server, with another session holding a
conflicting lock, as a long transaction in production would."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from pathlib import Path

import psycopg
import pytest
from support import cli

ALTER = 'SchemaStep("ALTER TABLE busy ADD COLUMN IF NOT EXISTS note TEXT"{})'


def _project(write_project, root: Path, settings: str = "", options: str = "") -> Path:
    project = write_project(root / "locks", {"lock.db.m1": ALTER.format(options)})
    (project / "pyproject.toml").write_text(
        '[tool.contractspec]\nharnesses = "harnesses"\ndialect = "postgresql"\n'
        + settings
    )
    assert cli(project, "build", "--all").exit_code == 0
    return project


def _holder(url: str) -> psycopg.Connection:
    """Another session, in a transaction that read `busy`: its ACCESS SHARE
    lock conflicts with ALTER TABLE's ACCESS EXCLUSIVE until it ends."""
    holder = psycopg.connect(url)  # not autocommit: the SELECT opens a transaction
    holder.execute("SELECT count(*) FROM busy").fetchone()
    return holder


def _harness(project: Path, url: str, audit: Path, *options: str) -> list[str]:
    harness = project / "harnesses" / "lock__db__m1__v1.py"
    return [
        sys.executable,
        str(harness),
        "up",
        "--database",
        url,
        "--audit-log",
        str(audit),
        *options,
    ]


def _attempts(db, kind: str = "attempt") -> list[tuple]:
    return [
        (e["attempt"], e["status"])
        for e in db.events("lock.db.m1.v1")
        if e["event"] == kind
    ]


@pytest.mark.parametrize("how", ["migrate", "harness"])
def test_a_statement_that_waits_for_a_lock_fails_after_its_retries(
    tmp_path, pg_db, DB, write_project, how
):
    db = DB(pg_db)
    db.execute("CREATE TABLE busy (id INTEGER)")
    audit = tmp_path / "audit.jsonl"
    settings = "lock_timeout_ms = 200\nlock_retries = 3\n"
    project = _project(write_project, tmp_path, settings if how == "migrate" else "")
    holder = _holder(pg_db)
    try:
        started = time.monotonic()
        if how == "migrate":
            result = cli(
                project, "migrate", "up", "--audit-log", str(audit), database=pg_db
            )
            code, err = result.exit_code, result.stderr
        else:
            options = ("--lock-timeout-ms", "200", "--lock-retries", "3")
            done = subprocess.run(
                _harness(project, pg_db, audit, *options),
                capture_output=True,
                text=True,
                timeout=60,
            )
            code, err = done.returncode, done.stderr
        took = time.monotonic() - started
    finally:
        holder.close()

    assert code == 1, err
    assert "canceling statement due to lock timeout" in err
    assert (
        "(attempt 4 of 4, no retries left: lock_timeout_ms 200, lock_retries 3 on top"
        " of the step's retries 0)" in err
    ), err
    # Four waits of 200 ms and three backoffs (25-50, 50-100, 100-200 ms): bounded.
    assert 0.8 <= took < 10, took
    assert _attempts(db) == [(n, "lock_timeout") for n in (1, 2, 3, 4)]
    assert _attempts(db, "retry") == [(n, "lock_timeout") for n in (1, 2, 3)]
    details = [e["detail"] for e in db.events("lock.db.m1.v1") if e["event"] == "retry"]
    assert details[0].startswith("attempt 2 of 4 in "), details
    ends = [e for e in db.events("lock.db.m1.v1") if e["event"] == "run_end"]
    assert [e["status"] for e in ends] == ["failed"]
    assert db.history() == []
    assert (
        db.scalar(
            "SELECT count(*) FROM information_schema.columns WHERE table_name = 'busy'"
            " AND column_name = 'note'"
        )
        == 0
    )
    audited = [json.loads(line) for line in audit.read_text().splitlines()]
    assert sum(e["event"] == "retry" for e in audited) == 3  # each retry, as it came


@pytest.mark.parametrize(
    "options", ["", ", transactional=False"], ids=["in the transaction", "outside it"]
)
def test_a_lock_released_during_the_retries_lets_the_step_through(
    tmp_path, pg_db, DB, write_project, options
):
    db = DB(pg_db)
    db.execute("CREATE TABLE busy (id INTEGER)")
    audit = tmp_path / "audit.jsonl"
    project = _project(write_project, tmp_path, options=options)
    holder = _holder(pg_db)

    def release_after_the_first_retry() -> None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if audit.exists() and '"event": "retry"' in audit.read_text():
                break
            time.sleep(0.02)
        holder.rollback()  # the other session's transaction ends: its lock goes

    releaser = threading.Thread(target=release_after_the_first_retry)
    releaser.start()
    try:
        command = _harness(project, pg_db, audit, "--lock-timeout-ms", "300")
        done = subprocess.run(command, capture_output=True, text=True, timeout=60)
    finally:
        releaser.join()
        holder.close()

    assert done.returncode == 0, done.stderr
    assert "applied lock.db.m1.v1" in done.stderr
    attempts = _attempts(db)
    assert attempts[0] == (1, "lock_timeout") and attempts[-1][1] == "ok", attempts
    assert all(status == "lock_timeout" for _, status in attempts[:-1])
    assert len(_attempts(db, "retry")) == len(attempts) - 1 <= 5
    assert [row[0] for row in db.history()] == ["lock.db.m1.v1"]
    assert (
        db.scalar(
            "SELECT count(*) FROM information_schema.columns WHERE table_name = 'busy'"
            " AND column_name = 'note'"
        )
        == 1
    )


@pytest.mark.parametrize(
    "settings, expected",
    [("", "3s"), ("lock_timeout_ms = 1500\n", "1500ms")],
    ids=["default", "configured"],
)
def test_every_statement_runs_under_the_project_lock_timeout(
    tmp_path, pg_db, DB, write_project, settings, expected
):
    """The setting flows from pyproject.toml to the session of `migrate` and
    reaches the statements of every step, one with a timeout_ms (which sets
    statement_timeout alone) too."""
    project = write_project(
        tmp_path / "flow",
        {
            "flow.db.m1": (
                f"ValidationStep(\"SELECT current_setting('lock_timeout') = '{expected}'\"),"
                f" ValidationStep(\"SELECT current_setting('lock_timeout') = '{expected}'"
                " AND current_setting('statement_timeout') = '2500ms'\", timeout_ms=2500),"
                f" ValidationStep(\"SELECT current_setting('lock_timeout') = '{expected}'\")"
            )
        },
    )
    spec = project / "migrations" / "m1.py"
    spec.write_text(spec.read_text().replace("SchemaStep\n", "ValidationStep\n"))
    (project / "pyproject.toml").write_text(
        '[tool.contractspec]\nharnesses = "harnesses"\ndialect = "postgresql"\n'
        + settings
    )
    assert cli(project, "build", "--all").exit_code == 0
    result = cli(project, "migrate", "up", database=pg_db)
    assert result.exit_code == 0, result.stderr
    assert DB(pg_db).history()[0][0] == "flow.db.m1.v1"


def test_a_step_timeout_longer_than_the_lock_timeout_does_not_lengthen_lock_waits(
    tmp_path, pg_db, DB, write_project
):
    """timeout_ms 20000 bounds the attempt; a lock wait still ends after
    lock_timeout_ms, as a lock timeout (retried as one)."""
    db = DB(pg_db)
    db.execute("CREATE TABLE busy (id INTEGER)")
    project = _project(write_project, tmp_path, options=", timeout_ms=20000")
    holder = _holder(pg_db)
    try:
        command = _harness(
            project,
            pg_db,
            tmp_path / "a.jsonl",
            "--lock-retries",
            "1",
            "--lock-timeout-ms",
            "300",
        )
        started = time.monotonic()
        done = subprocess.run(command, capture_output=True, text=True, timeout=60)
        took = time.monotonic() - started
    finally:
        holder.close()
    assert done.returncode == 1, done.stderr
    assert _attempts(db) == [(1, "lock_timeout"), (2, "lock_timeout")]
    assert took < 5, took  # two waits of 300 ms, not of 20 s


@pytest.mark.parametrize(
    "option, value",
    [("--lock-timeout-ms", "0"), ("--lock-timeout-ms", "3s"), ("--lock-retries", "-1")],
)
def test_harness_lock_options_out_of_range_are_usage_errors(
    tmp_path, write_project, option, value
):
    project = _project(write_project, tmp_path)
    command = _harness(project, "sqlite:///x.db", tmp_path / "a.jsonl", option, value)
    done = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2, done.stderr
    assert option in done.stderr and "Traceback" not in done.stderr
