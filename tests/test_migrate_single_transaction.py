"""`migrate up --single-transaction` (Flyway's `group`, psql's `-1`): every
pending migration in one transaction, a savepoint each, committed at the end
or not at all; the same history rows and events as a run with a transaction
per migration; steps that commit on their own refused, by name, before
anything runs. On SQLite files and the real PostgreSQL server."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest
from support import cli

STEPS = {
    "app.db.m1": 'SchemaStep("CREATE TABLE a (id INTEGER PRIMARY KEY, v TEXT)"),'
    " DataStep(\"INSERT INTO a (id, v) VALUES (1, 'x')\")",
    "app.db.m2": 'SchemaStep("CREATE TABLE b (id INTEGER)"),'
    ' ValidationStep(assertion="SELECT count(*) = 1 FROM a")',
    "app.db.m3": 'SchemaStep("CREATE INDEX a_v ON a (v)")',
}
KEYS = [f"{name}.v1" for name in STEPS]


def _project(write_project, root: Path, steps: dict[str, str]) -> Path:
    project = write_project(root, steps)
    for spec in (project / "migrations").glob("m*.py"):  # ValidationStep too
        text = spec.read_text().replace("SchemaStep\n", "SchemaStep, ValidationStep\n")
        spec.write_text(text)
    built = cli(project, "build", "--all")
    assert built.exit_code == 0, built.stderr
    return project


@pytest.fixture
def second_url(request, database_url, tmp_path):
    """Another fresh database of database_url's kind."""
    if database_url.startswith("sqlite:"):
        yield f"sqlite:///{tmp_path / 'other.db'}"
        return
    import psycopg

    server = request.getfixturevalue("pg_url")
    name = "t_" + uuid.uuid4().hex[:16]
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield server.rsplit("/", 1)[0] + "/" + name
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# What differs between any two runs: times, ids, the database's URL.
_RUN_FIELDS = ("migration", "step", "attempt", "event", "status", "error", "detail")


def _events(db) -> list[tuple]:
    """The events a run recorded in the database, without what differs."""
    return [tuple(e[name] for name in _RUN_FIELDS) for e in db.events()]


def _history(db) -> list[tuple]:
    """Every history column but applied_at and duration_ms."""
    return db.rows(
        "SELECT key, name, version, spec_fingerprint, harness_fingerprint,"
        " applied_by FROM contractspec_history ORDER BY key"
    )


def _audit(path: Path) -> list[tuple]:
    """The audit log's events, without what differs."""
    lines = path.read_text().splitlines()
    return [tuple(json.loads(line)[name] for name in _RUN_FIELDS) for line in lines]


def test_the_same_history_and_events_as_a_transaction_each(
    write_project, tmp_path, database_url, second_url, DB
):
    project = _project(write_project, tmp_path / "app", STEPS)
    logs = {"one": tmp_path / "one.jsonl", "each": tmp_path / "each.jsonl"}
    one = cli(
        project,
        "migrate",
        "up",
        "--single-transaction",
        "--audit-log",
        str(logs["one"]),
        database=database_url,
    )
    assert one.exit_code == 0, one.stderr
    assert "3 applied" in one.stderr
    each = cli(
        project, "migrate", "up", "--audit-log", str(logs["each"]), database=second_url
    )
    assert each.exit_code == 0, each.stderr
    single, separate = DB(database_url), DB(second_url)
    assert [key for key, _ in single.history()] == KEYS
    assert _history(single) == _history(separate)
    assert _events(single) == _events(separate) != []
    assert _audit(logs["one"]) == _audit(logs["each"]) != []
    assert {"run_start", "step_start", "attempt"} <= {e[3] for e in _audit(logs["one"])}
    assert single.scalar("SELECT v FROM a WHERE id = 1") == "x"
    # Nothing pending: nothing to do, and the flag changes nothing about that.
    again = cli(project, "migrate", "up", "--single-transaction", database=database_url)
    assert again.exit_code == 0, again.stderr
    assert "3 already applied" in again.stderr


def test_a_failure_rolls_back_every_migration_of_the_run(
    write_project, tmp_path, database_url, second_url, DB
):
    steps = dict(STEPS)
    steps["app.db.m3"] = 'SchemaStep("CREATE INDEX a_v ON no_such_table (v)")'
    project = _project(write_project, tmp_path / "app", steps)
    log = tmp_path / "audit.jsonl"
    result = cli(
        project,
        "migrate",
        "up",
        "--single-transaction",
        "--json",
        "--audit-log",
        str(log),
        database=database_url,
    )
    assert result.exit_code == 1, result.stderr
    run = json.loads(result.stdout)
    assert run["ok"] is False and run["applied"] == []
    assert run["failed"]["key"] == KEYS[2]
    assert run["rolled_back"] == KEYS[:2]
    assert "nothing was applied (2 migrations before it rolled back with it)" in (
        run["failed"]["error"]
    )
    db = DB(database_url)
    assert db.history() == []
    assert not db.table_exists("a") and not db.table_exists("b")
    # The failure is recorded as a run with a transaction each records it:
    # the failed migration's events, in a transaction of their own; then, as
    # the audit log said the two before it applied, that they were undone.
    separate = DB(second_url)
    cli(project, "migrate", "up", database=second_url)
    failed = [e for e in _events(separate) if e[0] == KEYS[2]]
    assert failed[-1][3:5] == ("run_end", "failed")
    undone = "the single transaction was rolled back: app.db.m3.v1 failed"
    rollbacks = [(key, None, None, "rollback", "ok", None, undone) for key in KEYS[:2]]
    assert _events(db) == failed + rollbacks
    audit = _audit(log)
    assert [e for e in audit if e[0] == KEYS[2]][-1][3:5] == ("run_end", "failed")
    assert audit[-2:] == rollbacks
    assert [e[0] for e in audit if e[3:5] == ("run_end", "applied")] == KEYS[:2]
    # Without the flag, the first two stay applied (what the flag changes).
    assert [key for key, _ in separate.history()] == KEYS[:2]


def test_the_summary_says_what_was_rolled_back(write_project, tmp_path, DB):
    steps = dict(STEPS)
    steps["app.db.m2"] = 'SchemaStep("CREATE TABLE a (id INTEGER)")'  # exists
    project = _project(write_project, tmp_path / "app", steps)
    url = f"sqlite:///{tmp_path / 'x.db'}"
    result = cli(project, "migrate", "up", "--single-transaction", database=url)
    assert result.exit_code == 1
    assert "0 applied, 1 failed (app.db.m2.v1), 1 rolled back with it" in result.stderr
    assert "nothing was applied (1 migration before it rolled back with it)" in (
        result.stderr
    )
    assert DB(url).history() == []


@pytest.mark.parametrize(
    "step, why",
    [
        ('SchemaStep("VACUUM", transactional=False)', "runs outside a transaction"),
        (
            "DataStep(\"UPDATE a SET v = 'y' WHERE id IN (SELECT id FROM a"
            " WHERE v = 'x' LIMIT 10)\", batch_size=10)",
            "in batches",
        ),
    ],
    ids=["outside", "batched"],
)
def test_steps_that_commit_on_their_own_are_refused_by_name(
    write_project, tmp_path, step, why, DB
):
    steps = dict(STEPS)
    steps["app.db.m2"] = f'SchemaStep("CREATE TABLE b (id INTEGER)"), {step}'
    project = _project(write_project, tmp_path / "app", steps)
    url = f"sqlite:///{tmp_path / 'x.db'}"
    result = cli(project, "migrate", "up", "--single-transaction", database=url)
    assert result.exit_code == 2, result.stderr
    assert f"app.db.m2.v1: step 2 {why}" in result.stderr
    assert "app.db.m1" not in result.stderr.split("own:")[1]  # only the offender
    assert "without --single-transaction" in result.stderr
    db = DB(url)
    assert db.history() == [] and not db.table_exists("a")  # nothing ran
    # Applied already, it is not pending: the rest may run in one transaction.
    assert (
        cli(project, "migrate", "up", "--to", "app.db.m2", database=url).exit_code == 0
    )
    rest = cli(project, "migrate", "up", "--single-transaction", database=url)
    assert rest.exit_code == 0, rest.stderr
    assert [key for key, _ in db.history()] == sorted(KEYS)


def test_single_transaction_and_rehearse_are_one_or_the_other(write_project, tmp_path):
    project = _project(write_project, tmp_path / "app", STEPS)
    url = f"sqlite:///{tmp_path / 'x.db'}"
    result = cli(
        project, "migrate", "up", "--single-transaction", "--rehearse", database=url
    )
    assert result.exit_code == 2
    assert "give one of them" in result.stderr


def test_a_commit_that_fails_at_the_end_undoes_all_and_says_so(
    write_project, tmp_path, pg_db, DB
):
    """A deferred constraint is checked at COMMIT, after every migration
    applied in its savepoint: the commit fails, and the record says so."""
    steps = {
        "app.db.m1": 'SchemaStep("CREATE TABLE a (id INTEGER PRIMARY KEY)"),'
        ' SchemaStep("CREATE TABLE b (a_id INTEGER REFERENCES a (id)'
        ' DEFERRABLE INITIALLY DEFERRED)")',
        "app.db.m2": 'SchemaStep("INSERT INTO b VALUES (42)")',
    }
    project = _project(write_project, tmp_path / "app", steps)
    log = tmp_path / "audit.jsonl"
    result = cli(
        project,
        "migrate",
        "up",
        "--single-transaction",
        "--audit-log",
        str(log),
        database=pg_db,
    )
    assert result.exit_code == 1, result.stderr
    assert "could not commit the single transaction" in result.stderr
    assert "nothing was applied" in result.stderr
    db = DB(pg_db)
    assert db.history() == [] and not db.table_exists("a")
    undone = "the single transaction was rolled back: the commit failed"
    keys = ["app.db.m1.v1", "app.db.m2.v1"]
    rollbacks = [(key, None, None, "rollback", "ok", None, undone) for key in keys]
    assert _events(db) == rollbacks
    assert _audit(log)[-2:] == rollbacks
    status = cli(project, "migrate", "status", "--json", database=pg_db)
    assert [m["state"] for m in json.loads(status.stdout)] == ["pending", "pending"]
