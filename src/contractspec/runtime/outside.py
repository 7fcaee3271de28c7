"""Steps outside the transaction, batches, a person's work, and resuming.

A migration with such a step runs in parts: the transactional steps before
it commit (with a step_done event each), it runs in autocommit (or in
batches, each its own transaction; or the run stops there until a person
confirms it: manual.py), and a new transaction takes the rest and the
history row. The events table is the journal a rerun continues from."""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING

from .clock import ms, utcnow
from .exits import CheckFailed, MigrationError
from .session import read_history
from .shapes import in_parts, manual, step_label
from .signals import hold, release
from .steps import batch_rows, failed_attempt, run_check, run_step, timed
from .watchdog import Guard

if TYPE_CHECKING:
    from collections.abc import Iterable

    from .events import Run
    from .session import Session
    from .shapes import Migration, Statement, Step, Timing, Waiting
    from .steps import Action

_JOURNAL_SQL = (
    "SELECT run_id, step, event, status, detail FROM contractspec_events WHERE"
    " migration = ? AND event IN ('run_start', 'run_end', 'step_start',"
    " 'step_done', 'waiting', 'confirmed') ORDER BY id"
)
_PARTLY_SQL = (
    "SELECT DISTINCT migration FROM contractspec_events WHERE event IN"
    " ('step_done', 'waiting', 'confirmed') OR (event = 'step_start' AND status"
    " IN ('outside', 'batches'))"
)


def _note(session: Session, line: str) -> None:
    """A progress line for people (the orchestrator's, or the harness's
    stderr) while a long step runs."""
    if session.notes is not None:
        session.notes(line)
    elif session.out is not None:
        print(line, file=session.out, flush=True)


def _flush(run: Run, begin: bool = True, committing: Iterable[int] = ()) -> None:
    """Write the run's unwritten events and commit: the journal of a migration
    in parts (begin=False: commits the part's transaction that is open, and
    with it the steps `committing`)."""
    session = run.session
    if begin:
        session.db.defer(session.db.begin)
    hold()  # a signal waits until the part and what records it are done
    session.write_and_commit([], run.events)
    session.tables_ready = True
    run.events.clear()
    run.committed += [i for i in committing if i not in run.committed]
    release()


class Journal:
    """What the runs of one plan (up or down) of a migration did since it was
    last applied or reverted, as the events say: the steps that committed
    (done: {step: spec fingerprint}; a person's work once confirmed), the
    steps outside a transaction that started and did not finish, the step a
    run stopped at for a person, and each confirmation (its event's detail)."""

    done: dict[int, object]
    started: set[int]
    waiting: int | None
    confirmed: dict[int, dict[str, object]]

    def __init__(self) -> None:
        self.clear()

    def clear(self) -> None:
        self.done, self.started, self.waiting, self.confirmed = {}, set(), None, {}

    def read(self, rows: list[dict[str, object]], command: str) -> Journal:
        commands: dict[object, object] = {}
        for row in rows:
            event, step = row["event"], row["step"]
            if event == "run_start":
                commands[row["run_id"]] = row["status"]
            elif event == "run_end":
                if row["status"] in ("applied", "reverted"):
                    self.clear()
            elif not isinstance(step, int):
                continue
            elif event == "confirmed":  # a confirm of its own, for this plan
                if row["status"] == command:
                    confirmation = json.loads(str(row["detail"]))
                    self.confirmed[step] = confirmation
                    self.done[step] = confirmation.get("spec_fingerprint")
            elif commands.get(row["run_id"]) != command:
                continue
            elif event == "step_done":
                self.done[step] = row["detail"]
            elif event == "waiting":
                self.waiting = step
            elif row["status"] == "outside":
                self.started.add(step)
        self.started -= set(self.done)
        if self.waiting in self.done:
            self.waiting = None
        return self


def journal(session: Session, key: str, command: str) -> Journal:
    """The journal of `key`'s `command` plan (its events table must exist)."""
    return Journal().read(session.db.select(_JOURNAL_SQL, (key,)), command)


def in_progress(session: Session) -> dict[str, tuple[str, Journal]]:
    """{key: (plan, journal)} of each migration that a run left part way: an
    `up` of one that is not applied, a `down` of one that is (steps
    committed, a step outside a transaction started, or a person's work it
    stopped at); what `migrate status` shows."""
    if not session.db.table_exists("contractspec_events"):
        return {}
    applied = {row["key"] for row in read_history(session)}
    found = {}
    for row in session.db.select(_PARTLY_SQL):
        key = str(row["migration"])
        command = "down" if key in applied else "up"
        found_journal = journal(session, key, command)
        if found_journal.done or found_journal.started or found_journal.waiting:
            found[key] = (command, found_journal)
    return found


def partly_applied(session: Session) -> dict[str, list[int]]:
    """{key: steps committed} for each migration that an `up` left part way
    (not atomic, no history row yet)."""
    return {
        key: sorted(found.done)
        for key, (command, found) in in_progress(session).items()
        if command == "up"
    }


def run_in_parts(
    run: Run, steps: list[Step], actions: list[Action], used: dict[int, int]
) -> int:
    """Run a migration that is not atomic (its transaction is open): continue
    after the steps an earlier run committed; return the attempts spent."""
    session, count, attempts = run.session, len(steps), 0
    found = journal(session, run.key, run.command)
    run.resumed, run.in_parts = sorted(found.done), True
    refuse_drift(run, found)
    for index, (step, action) in enumerate(zip(steps, actions, strict=True), 1):
        if index in found.done:
            skip_done(run, index, step, found)
            continue
        if not in_parts(step):
            attempts += run_step(run, index, count, step, action, used)
            run.journal_done(index)
            continue
        _flush(run, begin=False, committing=range(1, index))  # the steps before it
        if manual(step):  # its pre-checks, and the waiting event the caller commits
            session.db.defer(session.db.begin)
            stop_for_person(run, index, step, attempts)
            return attempts
        if step.get("batch_size"):
            attempts += _run_batches(run, index, count, step, action)
        else:
            attempts += _run_outside(
                run, index, count, step, action, index in found.started
            )
        session.db.defer(session.db.begin)  # the next part
    return attempts


def refuse_drift(run: Run, found: Journal) -> None:
    """Refuse to continue a migration that earlier runs left part way with
    another spec than the one running now."""
    spec_fp = run.migration.get("spec_fingerprint")
    other = sorted({str(fp) for fp in found.done.values() if fp != spec_fp})
    if other:
        committed = ", ".join(map(str, sorted(found.done)))
        raise MigrationError(
            f"drift: {run.key} was partly applied (steps {committed}) with spec"
            f" fingerprint {other[0]}, and {run.migration.get('spec_path')} now has"
            f" {spec_fp}; finish it with the spec it started with (restore it and"
            " rerun), or finish it by hand"
        )


def skip_done(run: Run, index: int, step: Step, found: Journal) -> None:
    """A step an earlier run committed (or a person's work, confirmed)."""
    confirmation = found.confirmed.get(index)
    if confirmation is not None:
        detail = f"{step_label(step)}: confirmed by {confirmation.get('by')}"
        run.emit("step_skipped", index, status="confirmed", detail=detail)
    else:
        detail = f"{step_label(step)}: committed by an earlier run"
        run.emit("step_skipped", index, status="done", detail=detail)
    run.committed.append(index)


def stop_for_person(run: Run, index: int, step: Step, attempts: int) -> None:
    """A person's work: its pre-checks, then the run stops (run.waiting). In
    a rehearsal nothing is written; otherwise the caller commits the
    waiting event."""
    waiting = waiting_at(run.migration, run.command, index)
    assert waiting is not None
    try:
        for check in step.get("pre_checks") or ():
            run_check(run, index, attempts + 1, "pre-check", check)
    except CheckFailed as exc:
        message = f"{waiting['label']}: {exc}"
        run.emit("failure", index, status="check_failed", error=message)
        raise MigrationError(message) from exc
    first = (waiting["instructions"].strip().splitlines() or [""])[0]
    run.emit("waiting", index, status="waiting", detail=first)
    run.waiting = waiting


def waiting_at(migration: Migration, command: str, index: int) -> Waiting | None:
    """The person's work that step `index` of a plan is (None: it is not one)."""
    steps = migration["up"] if command == "up" else migration.get("down") or []
    if not 1 <= index <= len(steps) or not manual(steps[index - 1]):
        return None
    step = steps[index - 1]
    return {
        "command": command,
        "step": index,
        "label": f"{command} step {index}/{len(steps)} ({step_label(step)})",
        "instructions": str(step.get("instructions") or ""),
        "confirm_by": list(step.get("confirm_by") or ()),
    }


def _run_outside(
    run: Run, index: int, count: int, step: Step, action: Action, resumed: bool
) -> int:
    """Run one step in autocommit, journaled as it starts and finishes;
    a step an earlier run left unfinished is reconciled first."""
    db, label = run.session.db, step_label(step)
    statements = action.statements if action.call is None else None
    run.emit("step_start", index, status="outside", detail=label)
    _flush(run)
    if resumed:
        statements = _reconcile(run, index, count, step, statements)
    step_started, step_t0, attempt = utcnow(), time.monotonic(), 0

    def work() -> None:
        if action.call is not None:
            action.call(db.conn)
        for statement in statements or ():
            db.conn.execute(statement["sql"])

    while True:
        attempt += 1
        started, t0 = utcnow(), time.monotonic()
        error, fired = timed(run, index, attempt, step, work)
        timing: Timing = {
            "started_at": started,
            "duration_ms": ms(time.monotonic() - t0),
        }
        if error is None and not fired:
            run.emit("attempt", index, attempt, "ok", **timing)
            run.step_end(index, attempt, label, step_started, step_t0)
            run.journal_done(index)
            _flush(run, committing=[index])
            return attempt
        kind, reason, delay = failed_attempt(
            run, index, attempt, step, error, fired, timing
        )
        if delay is not None:
            time.sleep(delay)
            statements = _reconcile(run, index, count, step, statements)
            continue
        message = f"{run.command} step {index}/{count} ({label}): {reason}"
        message += "; it ran outside a transaction: a rerun reconciles it"
        run.emit("failure", index, attempt, kind, error=message)
        raise MigrationError(message) from error


def _reconcile(
    run: Run, index: int, count: int, step: Step, statements: list[Statement] | None
) -> list[Statement]:
    """Make a step that may have run part way safe to run again; return the
    statements still to run. The spec's reconcile statements win; otherwise
    an interrupted CREATE/REINDEX INDEX CONCURRENTLY leaves an invalid index,
    dropped here; anything else must be safe to rerun as written. What each
    statement is was read from its parse tree at build time (the harness's
    data): nothing here reads SQL."""
    db, label = run.session.db, step_label(step)
    reconcile = step.get("reconcile")
    if reconcile:
        for sql in reconcile:
            db.conn.execute(sql)
        run.emit("reconcile", index, status="ok", detail="ran the reconcile statement")
        return list(statements or ())
    unsafe = "a Python step" if statements is None else None
    todo = []
    for statement in statements or ():
        rerun, details = True, []
        if "builds_index" in statement:
            name = statement["builds_index"]
            dropped = db.drop_invalid_index(name)
            rerun = dropped is not False
            if dropped is False:
                details = [f"index {name} was built by the interrupted run: kept"]
            elif dropped:
                details = [
                    f"dropped the invalid index {name} an interrupted build left"
                ]
        elif "reindexes_index" in statement or "reindexes_table" in statement:
            kind = "index" if "reindexes_index" in statement else "table"
            target = statement.get("reindexes_index") or statement["reindexes_table"]
            details = [
                f"dropped the invalid index {name} a REINDEX left"
                for name in db.drop_reindex_leftovers(kind, target)
            ]
        elif not statement.get("safe_to_rerun"):
            unsafe = f"`{statement['sql'].splitlines()[0][:80]}`"
        for detail in details:
            run.emit("reconcile", index, status="ok", detail=detail)
        if rerun:
            todo.append(statement)
    if unsafe:
        message = (
            f"{run.command} step {index}/{count} ({label}) started in an earlier run"
            f" and did not finish, and {unsafe} is not safe to run again: check by"
            " hand what it did, then give the step a reconcile= statement (or an"
            " idempotent form such as IF NOT EXISTS), rebuild and rerun"
        )
        run.emit("failure", index, status="permanent", error=message)
        raise MigrationError(message)
    _flush(run)
    return todo


def _run_batches(run: Run, index: int, count: int, step: Step, action: Action) -> int:
    """Repeat a batch, each call in its own short transaction, until a call
    touches no row; progress to the events and the terminal. A kill loses the
    batch in flight; a rerun starts the step again, and its WHERE skips the
    rows done. Pre-checks run before the first batch, post-checks after the
    last. Returns the attempts spent."""
    session, db, label = run.session, run.session.db, step_label(step)
    size, limit = int(step.get("batch_size") or 0), step.get("max_batches")
    pause, timeout_ms = (step.get("pause_ms") or 0) / 1000.0, step.get("timeout_ms")
    detail = f"{label}, {size} rows a batch"
    run.emit("step_start", index, status="batches", detail=detail)
    _flush(run)
    step_started, t0, shown = utcnow(), time.monotonic(), time.monotonic()
    rows = calls = attempts = 0
    # Pre-checks: before the first batch only.
    batch: Step = {"kind": step["kind"], "timeout_ms": timeout_ms}
    batch["pre_checks"] = step.get("pre_checks") or []
    touched: list[int] = []

    def one_batch() -> None:
        touched.append(batch_rows(db, action))

    guard = Guard(db, timeout_ms / 1000.0) if timeout_ms else None
    try:
        while True:
            calls += 1
            attempt = 0
            while True:  # one batch, attempt after attempt
                attempt += 1
                attempts += 1
                db.defer(db.begin)
                started, b0 = utcnow(), time.monotonic()
                touched.clear()
                error, fired = timed(
                    run, index, attempt, batch, one_batch, local=True, guard=guard
                )
                timing: Timing = {
                    "started_at": started,
                    "duration_ms": ms(time.monotonic() - b0),
                }
                if error is None and not fired:
                    break
                session.rollback()
                where = f"batch {calls}: "
                kind, reason, delay = failed_attempt(
                    run, index, attempt, step, error, fired, timing, where=where
                )
                if delay is not None:
                    time.sleep(delay)
                    continue
                message = (
                    f"{run.command} step {index}/{count} ({label}): batch {calls}: {reason};"
                    f" {rows} rows in earlier batches stay committed"
                )
                run.emit("failure", index, attempt, kind, error=message)
                raise MigrationError(message) from error
            batch["pre_checks"] = []
            rows += touched[0]
            elapsed = max(time.monotonic() - t0, 1e-9)
            detail = f"batch {calls}: {touched[0]} rows, {rows} in all, {rows / elapsed:.0f} rows/s"
            run.emit("batch", index, attempt, "ok", detail=detail, **timing)
            _flush(run, begin=False)  # the batch and its event commit together
            if touched[0] == 0:
                break
            if time.monotonic() - shown >= 1.0:
                _note(session, f"  {run.key} step {index}/{count}: {detail}")
                shown = time.monotonic()
            if limit and calls >= limit:
                message = (
                    f"{run.command} step {index}/{count} ({label}): max_batches {limit}"
                    f" reached and the last batch still touched rows; {rows} rows stay"
                    " committed: raise max_batches, or run it again to continue"
                )
                run.emit("failure", index, status="permanent", error=message)
                raise MigrationError(message)
            if pause:
                time.sleep(pause)
    finally:
        if guard is not None:
            guard.close()
    _note(session, f"  {run.key} step {index}/{count}: {rows} rows in {calls} batches")
    db.defer(db.begin)  # post-checks, then the journal entry
    for check in step.get("post_checks") or ():
        run_check(run, index, attempts, "post-check", check)
    run.step_end(index, attempts, f"{label}: {rows} rows", step_started, t0)
    run.journal_done(index)
    _flush(run, begin=False, committing=[index])
    return attempts
