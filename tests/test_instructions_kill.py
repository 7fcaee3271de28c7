"""SIGKILL at random moments around a run's stop at a person's work, around
the confirm, and around the run that continues, for an up and for a down
(issue 22): whatever the
moment, `status` explains the state, nothing is half done, and rerunning
what was killed continues. Real harness processes, real SQLite files and
the real PostgreSQL server; the seed is printed so that a failure can be
replayed."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from support import cli, status

pytestmark = pytest.mark.slow  # each test starts and kills harness processes

KEY = "app.db.m1_fill.v1"
ROWS = 60_000
TRIALS = 5

SPEC = f"""\
from contractspec import DataStep, MigrationCheck, MigrationMeta, MigrationPlan, MigrationSpec, SchemaStep

spec = MigrationSpec(
    meta=MigrationMeta(name="app.db.m1_fill", version=1, title="fill", owners=["qa"]),
    plan=MigrationPlan(
        up=[
            SchemaStep("CREATE TABLE filler (id INTEGER PRIMARY KEY)"),
            DataStep(
                "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {ROWS})"
                " INSERT INTO filler (id) SELECT i FROM n",
                post_checks=[MigrationCheck("filled", "SELECT COUNT(*) = {ROWS} FROM filler")],
            ),
            DataStep(
                instructions="Load the partner's file into partner_rows.",
                post_checks=[
                    MigrationCheck("loaded", "SELECT COUNT(*) > 0 FROM partner_rows"),
                    MigrationCheck("the fill is whole", "SELECT COUNT(*) = {ROWS} FROM filler"),
                ],
            ),
            SchemaStep("CREATE TABLE finished (id INTEGER)"),
        ],
        down=[
            DataStep(
                instructions="Tell the partner their rows go, then empty partner_rows.",
                post_checks=[MigrationCheck("emptied", "SELECT COUNT(*) = 0 FROM partner_rows")],
            ),
            SchemaStep("DROP TABLE finished"),
            SchemaStep("DROP TABLE filler"),
        ],
    ),
)
"""


@pytest.fixture
def harness(tmp_path) -> Path:
    root = tmp_path / "app"
    (root / "migrations").mkdir(parents=True)
    (root / "pyproject.toml").write_text('[tool.contractspec]\nharnesses = "h"\n')
    (root / "migrations" / "m1.py").write_text(SPEC)
    built = cli(root, "build", "--all")
    assert built.exit_code == 0, built.stderr
    return root / "h" / "app__db__m1_fill__v1.py"


def start(harness: Path, url: str, *args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, str(harness), *args, "--database", url],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def finish(harness: Path, url: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(harness), *args, "--database", url],
        capture_output=True,
        text=True,
        timeout=120,
    )


def took(harness: Path, url: str, *args: str) -> float:
    """How long the command takes, unkilled (its outcome is the caller's)."""
    t0 = time.monotonic()
    finish(harness, url, *args)
    return time.monotonic() - t0


def killed(harness: Path, url: str, delay: float, *args: str) -> int | None:
    """Start the command, SIGKILL it after delay seconds (if still running);
    its exit code when it finished first. Delays run from 30% of the time the
    command takes (the interpreter starting is most of the rest) to past its
    end."""
    process = start(harness, url, *args)
    time.sleep(delay)
    if process.poll() is None:
        os.kill(process.pid, signal.SIGKILL)
    process.communicate(timeout=60)
    return None if process.returncode == -signal.SIGKILL else process.returncode


def reset(db) -> None:
    for table in ("finished", "partner_rows", "filler"):
        db.execute(f"DROP TABLE IF EXISTS {table}")
    for table in ("contractspec_events", "contractspec_history"):
        db.execute(f"DROP TABLE IF EXISTS {table}")


def state(root: Path, url: str) -> str:
    return status(root, url)[KEY]["state"]


def confirmed(db, plan: str) -> int:
    """How many confirmations of `plan`'s person's work the events hold."""
    events = db.events(KEY)
    return sum(e["event"] == "confirmed" and e["status"] == plan for e in events)


def fill(db) -> int | None:
    """Rows in filler: None when it is not there; never a part of them."""
    return (
        db.scalar("SELECT COUNT(*) FROM filler") if db.table_exists("filler") else None
    )


def test_kills_around_the_stop_the_confirm_and_the_continuing_run(
    harness, database_url, db
):
    root = harness.parents[1]
    seed = random.randrange(1 << 30)
    print(f"seed {seed}")
    rng = random.Random(seed)
    # How long each phase takes unkilled, on this machine, now.
    reset(db)
    stop_s = took(harness, database_url, "up")
    db.execute(
        "CREATE TABLE partner_rows (id INTEGER); INSERT INTO partner_rows VALUES (1)"
    )
    confirm_s = took(harness, database_url, "confirm", "--by", "ops")
    continue_s = took(harness, database_url, "up")
    assert state(root, database_url) == "applied"

    for trial in range(TRIALS):
        # Around the stop: nothing, the first part, or the stop itself.
        reset(db)
        code = killed(harness, database_url, stop_s * rng.uniform(0.3, 1.15), "up")
        assert code in (None, 5), (seed, trial)
        found = state(root, database_url)
        assert found in ("pending", "partly applied", "waiting"), (seed, trial)
        assert fill(db) in (None, ROWS), (seed, trial)  # one transaction
        assert db.history() == []
        again = finish(harness, database_url, "up")
        assert again.returncode == 5, (seed, trial, again.stderr)
        assert state(root, database_url) == "waiting" and fill(db) == ROWS

        # Around the confirm: recorded whole, or not at all.
        db.execute(
            "CREATE TABLE partner_rows (id INTEGER); INSERT INTO partner_rows VALUES (1)"
        )
        delay = confirm_s * rng.uniform(0.3, 1.15)
        code = killed(harness, database_url, delay, "confirm", "--by", "ops")
        assert code in (None, 0), (seed, trial)
        found = state(root, database_url)
        assert (found, confirmed(db, "up")) in (
            ("waiting", 0),
            ("partly applied", 1),
        ), (seed, trial)
        if found == "waiting":
            again = finish(harness, database_url, "confirm", "--by", "ops")
            assert again.returncode == 0, (seed, trial, again.stderr)
        assert state(root, database_url) == "partly applied"

        # Around the run that continues: applied whole, or still to do.
        code = killed(harness, database_url, continue_s * rng.uniform(0.3, 1.15), "up")
        assert code in (None, 0), (seed, trial)
        found = state(root, database_url)
        assert found in ("partly applied", "applied"), (seed, trial)
        assert db.table_exists("finished") == (found == "applied"), (seed, trial)
        again = finish(harness, database_url, "up")
        assert again.returncode == 0, (seed, trial, again.stderr)
        assert state(root, database_url) == "applied" and fill(db) == ROWS
        assert [key for key, _ in db.history()] == [KEY]


def applied(harness: Path, url: str, db) -> None:
    """From nothing to applied: up (it waits), the partner's rows, confirm, up."""
    reset(db)
    assert finish(harness, url, "up").returncode == 5
    db.execute(
        "CREATE TABLE partner_rows (id INTEGER); INSERT INTO partner_rows VALUES (1)"
    )
    assert finish(harness, url, "confirm", "--by", "ops").returncode == 0
    assert finish(harness, url, "up").returncode == 0


def test_kills_around_a_down_that_waits_for_a_person(harness, database_url, db):
    root = harness.parents[1]
    seed = random.randrange(1 << 30)
    print(f"seed {seed}")
    rng = random.Random(seed)
    applied(harness, database_url, db)
    stop_s = took(harness, database_url, "down")
    db.execute("DELETE FROM partner_rows")
    confirm_s = took(harness, database_url, "confirm", "--by", "ops")
    continue_s = took(harness, database_url, "down")
    assert state(root, database_url) == "pending" and fill(db) is None

    for trial in range(TRIALS):
        applied(harness, database_url, db)
        # Around the stop: still applied, or waiting; nothing dropped.
        code = killed(harness, database_url, stop_s * rng.uniform(0.3, 1.15), "down")
        assert code in (None, 5), (seed, trial)
        assert state(root, database_url) in ("applied", "waiting"), (seed, trial)
        assert fill(db) == ROWS and [k for k, _ in db.history()] == [KEY]
        again = finish(harness, database_url, "down")
        assert again.returncode == 5, (seed, trial, again.stderr)
        assert state(root, database_url) == "waiting"

        # Around the confirm: recorded whole, or not at all.
        db.execute("DELETE FROM partner_rows")
        delay = confirm_s * rng.uniform(0.3, 1.15)
        code = killed(harness, database_url, delay, "confirm", "--by", "ops")
        assert code in (None, 0), (seed, trial)
        found = state(root, database_url)
        assert (found, confirmed(db, "down")) in (
            ("waiting", 0),
            ("partly reverted", 1),
        ), (seed, trial)
        if found == "waiting":
            again = finish(harness, database_url, "confirm", "--by", "ops")
            assert again.returncode == 0, (seed, trial, again.stderr)
        assert state(root, database_url) == "partly reverted"

        # Around the down that continues: reverted whole (both tables and the
        # history row), or not at all.
        code = killed(
            harness, database_url, continue_s * rng.uniform(0.3, 1.15), "down"
        )
        assert code in (None, 0), (seed, trial)
        found = state(root, database_url)
        assert found in ("partly reverted", "pending"), (seed, trial)
        kept = found == "partly reverted"
        assert db.table_exists("finished") == kept, (seed, trial)
        assert fill(db) == (ROWS if kept else None), (seed, trial)
        assert bool(db.history()) == kept, (seed, trial)
        again = finish(harness, database_url, "down")
        assert again.returncode == 0, (seed, trial, again.stderr)
        assert state(root, database_url) == "pending" and fill(db) is None
        assert db.history() == []
