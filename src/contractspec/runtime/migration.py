"""One migration's run: its transaction (or its parts), its history row, and
what a failure leaves: the rollback, and the failure events in a
transaction of their own."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import IO, TYPE_CHECKING, cast

from .clock import utcnow
from .dialect import DEFAULT_LOCK_RETRIES, DEFAULT_LOCK_TIMEOUT_MS
from .events import Run, result
from .exits import (
    EXIT_FAILED,
    EXIT_USAGE,
    MigrationError,
    Restart,
    interrupt_code,
    signal_name,
)
from .harness import (
    check_migration,
    harness_fingerprint,
    harness_migration,
    irreversible,
)
from .manual import confirm_step, stopped
from .outside import (
    Journal,
    journal,
    refuse_drift,
    run_in_parts,
    skip_done,
    stop_for_person,
)
from .pointers import Pointers, pointer_steps
from .preview import plan_text
from .session import Session, open_session
from .shapes import in_parts, manual, step_label
from .signals import hold, interruptible, start
from .steps import prepare, run_step
from .tables import HISTORY_COLUMNS, insert_sql
from .urls import first_line, redact_url

if TYPE_CHECKING:
    from .dialect import Params
    from .session import AuditLog
    from .shapes import HistoryRow, Migration, Result, Step, Timing
    from .steps import Action

PathArg = str | os.PathLike[str]


def _history_of(
    session: Session, keys: list[str], rehearse: bool
) -> dict[str, HistoryRow]:
    """{key: history row} of those keys that are applied: from the session's
    own record while it holds the lock (no query), else from the table (a
    rehearsal's outer transaction: what it rehearsed is only there)."""
    if session.applied is not None and not (session.outer and rehearse):
        return {key: session.applied[key] for key in keys if key in session.applied}
    query = f"SELECT {', '.join(HISTORY_COLUMNS)} FROM contractspec_history"
    query += f" WHERE key IN ({', '.join('?' * len(keys))})"
    rows = cast("list[HistoryRow]", session.db.select(query, keys))
    return {row["key"]: row for row in rows}


def _run_steps(
    run: Run, steps: list[Step], actions: list[Action], used: dict[int, int]
) -> tuple[int, list[int]]:
    """Every step in the one transaction; returns (attempts, steps left out).
    A rehearsal leaves out the steps that run outside a transaction, skips
    what earlier runs committed as the run would, and stops at a person's
    work (run.waiting)."""
    attempts, skipped = 0, []
    found = Journal()
    if run.rehearse and any(in_parts(step) for step in steps):
        found = journal(run.session, run.key, run.command)
        refuse_drift(run, found)
    for index, (step, action) in enumerate(zip(steps, actions, strict=True), 1):
        if index in found.done:
            skip_done(run, index, step, found)
            continue
        if manual(step):  # only a rehearsal gets here
            stop_for_person(run, index, step, attempts)
            break
        if step.get("transactional") is False:  # only a rehearsal gets here
            detail = f"{step_label(step)}: runs outside a transaction"
            run.emit("step_skipped", index, status="not_rehearsed", detail=detail)
            skipped.append(index)
            continue
        attempts += run_step(run, index, len(steps), step, action, used)
    return attempts, skipped


def _prepared(
    run: Run, steps: list[Step], base_dir: Path, fetched: dict[str, bytes]
) -> list[Action]:
    actions = []
    for index, step in enumerate(steps, 1):
        try:
            actions.append(prepare(step, base_dir, fetched))
        except Exception as exc:
            why = exc if isinstance(exc, RuntimeError) else first_line(exc)
            message = (
                f"{run.command} step {index}/{len(steps)} ({step_label(step)}): {why}"
            )
            run.emit("failure", index, status="permanent", error=message)
            raise MigrationError(message) from exc
    return actions


def _will_run(run: Run) -> bool:
    """Whether the migration is not yet where its command takes it (asked
    before its transaction begins, of the history table)."""
    session, key = run.session, run.key
    # The session's own record needs no query (as _history_of reads it)
    kept = session.applied is not None and not (session.outer and run.rehearse)
    if not kept and not session.db.table_exists("contractspec_history"):
        return run.command == "up"  # nothing applied yet
    applied = key in _history_of(session, [key], run.rehearse)
    return applied == (run.command == "down")


def _fetch_pointers(run: Run, steps: list[Step]) -> dict[str, bytes]:
    """Pointers' SQL by URL, fetched and verified before the transaction
    begins (a fetch never holds it open), when the migration is to run."""
    pointers = pointer_steps(steps)
    if not pointers or not _will_run(run):
        return {}
    session, fetched = run.session, {}
    for url, pin in pointers:
        try:
            fetched[url] = session.pointers.fetch(url, pin, session.secrets)
        except MigrationError as exc:
            index = next(i for i, s in enumerate(steps, 1) if s.get("script") == url)
            label = step_label(steps[index - 1])
            message = f"{run.command} step {index}/{len(steps)} ({label}): {exc}"
            run.emit("failure", index, status="permanent", error=message)
            raise MigrationError(message, exc.exit_code) from None
    return fetched


def _transaction(
    run: Run,
    steps: list[Step],
    base_dir: Path,
    used: dict[int, int],
    fetched: dict[str, bytes],
) -> Result:
    """The body of one migration transaction (begun); commits on success."""
    session, migration, key = run.session, run.migration, run.key
    spec_fp, spec = migration.get("spec_fingerprint"), migration.get("spec_path")
    dependencies = list(migration.get("dependencies") or ())
    session.ensure_tables()
    history = _history_of(session, [key, *dependencies], run.rehearse)
    row = history.get(key)
    if row is not None and row["spec_fingerprint"] != spec_fp:
        raise MigrationError(
            f"drift: applied with spec fingerprint {row['spec_fingerprint']} but "
            f"{spec} now has {spec_fp}; do not edit an applied migration: restore "
            "it and put the change in a new version (contractspec spec new-version "
            f"{migration.get('name') or key})"
        )
    if (row is None) == (run.command == "down"):  # already applied / not applied
        session.rollback()
        status = "skipped" if row else "not_applied"
        run.emit("run_end", status=status, started_at=run.started_at)
        if row:
            line = f"skipped {key} (already applied at {row['applied_at']})"
            return result(run, status, 0, message=line, applied_at=row["applied_at"])
        return result(run, status, 0, message=f"not applied {key}: nothing to revert")
    missing = [d for d in dependencies if d not in history]
    if run.command == "up" and missing:
        names = ", ".join(missing)
        raise MigrationError(f"dependencies not applied yet: {names}; apply them first")
    actions = _prepared(run, steps, base_dir, fetched)
    if run.rehearse or not any(in_parts(step) for step in steps):
        attempts, skipped = _run_steps(run, steps, actions, used)
    else:
        attempts, skipped = run_in_parts(run, steps, actions, used), []
    if run.waiting is not None:
        return stopped(run, len(steps), attempts)
    duration, count = run.elapsed_ms(), len(steps)
    noun = "step" if count == 1 else "steps"
    timing: Timing = {"started_at": run.started_at, "duration_ms": duration}
    left_out = [
        f"step {index} ({step_label(steps[index - 1])}): runs outside a transaction"
        for index in skipped
    ]
    not_rehearsed = "; not rehearsed: " + "; ".join(left_out) if left_out else ""
    if run.rehearse and not session.outer:
        session.rollback()
        run.emit("run_end", status="rehearsed", **timing)
        verb = "apply" if run.command == "up" else "revert"
        line = f"rehearsed {key}: would {verb} {count} {noun} ({duration:.0f} ms); rolled back"
        return result(
            run,
            "rehearsed",
            count,
            attempts,
            message=line + not_rehearsed,
            not_rehearsed=left_out,
        )
    write: tuple[str, Params]
    if run.command == "up":
        values = (
            key,
            migration.get("name") or key,
            int(migration.get("version") or 0),
            spec_fp,
            harness_fingerprint(migration),
            utcnow(),
            int(round(duration)),
            session.applied_by,
        )
        write = (insert_sql("contractspec_history", HISTORY_COLUMNS), values)
        status = "applied"
    else:
        write = ("DELETE FROM contractspec_history WHERE key = ?", (key,))
        status = "reverted"
    if run.rehearse:  # in a rehearsal's outer transaction: kept for what follows
        status = "rehearsed"
    end = run.emit("run_end", status=status, audit=False, **timing)
    hold()  # the commit is the outcome: a signal now waits for the next migration
    session.write_and_commit([write], run.to_store())
    session.tables_ready = True
    if session.outer and not run.rehearse:  # --single-transaction
        session.applied_inside.append(run)
    if session.applied is not None and not run.rehearse:
        if status == "applied":
            applied = dict(zip(HISTORY_COLUMNS, values, strict=True))
            session.applied[key] = cast("HistoryRow", applied)
        else:
            session.applied.pop(key, None)
    run.audit(end)  # only once it is true
    line = f"{status} {key} in {duration:.0f} ms ({count} {noun})"
    if run.in_parts:
        line += "; not atomic"
        if run.resumed:
            done = ", ".join(map(str, run.resumed))
            line += f", step(s) {done} done by an earlier run"
    return result(
        run,
        status,
        count,
        attempts,
        message=line + not_rehearsed,
        not_rehearsed=left_out,
    )


def record_failure(run: Run) -> str | None:
    """Write the run's events in their own transaction, after the rollback, so
    that they survive it. Returns an error text if that failed too."""
    session = run.session
    if run.rehearse:
        return None
    if session.outer:  # --single-transaction: recorded once all of it is rolled back
        session.failed_inside = run
        return None
    run.forget_uncommitted()
    return session.record_events(run.events)


def _failed(run: Run, steps: list[Step], exc: BaseException) -> MigrationError:
    """Roll a failed run back and record it; the error to raise (a
    KeyboardInterrupt or SystemExit goes on as it is, once recorded, with
    `outcome` saying what the run left)."""
    session = run.session
    interrupted = isinstance(exc, KeyboardInterrupt)
    if interrupted:  # a cancel still on its way must not hit the rollback
        session.db.settle_interrupt()
    problem = session.rollback()
    run.emit("rollback", status="error" if problem else "ok", error=problem)
    if interrupted:
        reason = f"interrupted by {signal_name(interrupt_code(exc) - 128)}"
    else:
        reason = str(exc) if isinstance(exc, MigrationError) else first_line(exc)
    if session.lock is not None and session.db.connection_lost():
        reason += " (the connection was lost, and the migration lock with it)"
    what = "rehearsal rolled back" if run.rehearse else "rolled back, nothing changed"
    if run.in_parts:
        done = ", ".join(map(str, run.committed)) or "none"
        what = (
            f"partly applied (not atomic; steps committed: {done}); run it"
            " again to continue"
        )
    spec = run.migration.get("spec_path")
    failed = ":" if interrupted else " failed:"
    message = f"{run.key}{failed} {reason}; {what} (spec {spec})"
    message = redact_url(message, session.secrets)
    timing: Timing = {"started_at": run.started_at, "duration_ms": run.elapsed_ms()}
    status = "interrupted" if interrupted else "failed"
    run.emit("run_end", status=status, error=message, **timing)
    lost = record_failure(run)
    if lost:
        message += f" (could not record the failure events: {lost})"
    if not isinstance(exc, Exception):
        exc.outcome = message  # type: ignore[attr-defined]
        raise exc  # KeyboardInterrupt, SystemExit: rolled back and recorded
    outcome = result(run, "failed", len(steps), error=message, message=message)
    code = getattr(exc, "exit_code", EXIT_FAILED)
    return MigrationError(
        message, code if isinstance(code, int) else EXIT_FAILED, outcome
    )


def _apply(
    session: Session,
    migration: Migration,
    command: str,
    rehearse: bool,
    base_dir: PathArg | None,
    note: str | None = None,
) -> Result:
    check_migration(migration)
    steps = migration["up"] if command == "up" else migration.get("down")
    if steps is None:
        raise irreversible(migration)
    base = Path.cwd() if base_dir is None else Path(base_dir)
    run = Run(session, migration, command, rehearse)
    run.emit("run_start", status=command, detail="rehearse" if rehearse else note)
    used: dict[int, int] = {}  # step index -> attempts spent before a restart
    fetched: dict[str, bytes] | None = None
    while True:
        try:
            start()  # a signal held since the last commit stops the run here
            if fetched is None:
                fetched = _fetch_pointers(run, steps)
            session.db.defer(session.begin())  # sent with the history read
            outcome = _transaction(run, steps, base, used, fetched)
            if session.out is not None:
                print(outcome["message"], file=session.out, flush=True)
            return outcome
        except Restart as restart:
            session.rollback()
            run.forget_uncommitted()
            run.emit("rollback", status="ok", detail="restarting the transaction")
            time.sleep(restart.delay)
        except BaseException as exc:
            raise _failed(run, steps, exc) from exc


def apply_up(
    session: Session,
    migration: Migration,
    rehearse: bool = False,
    base_dir: PathArg | None = None,
    note: str | None = None,
) -> Result:
    """Apply one migration through an open Session; return its result.

    note: why this run may go ahead (say, who accepted its risk): the
    run_start event's detail, kept with the run's events."""
    return _apply(session, migration, "up", rehearse, base_dir, note)


def apply_down(
    session: Session,
    migration: Migration,
    rehearse: bool = False,
    base_dir: PathArg | None = None,
) -> Result:
    """Revert one applied migration through an open Session."""
    return _apply(session, migration, "down", rehearse, base_dir)


def run_migration(
    migration: Migration,
    command: str,
    database: str,
    *,
    rehearse: bool = False,
    audit_log: AuditLog | None = None,
    lock_timeout: float = 30.0,
    out: IO[str] | None = None,
    base_dir: PathArg | None = None,
    harness: str | None = None,
    lock_timeout_ms: int = DEFAULT_LOCK_TIMEOUT_MS,
    lock_retries: int = DEFAULT_LOCK_RETRIES,
    pointers: Pointers | None = None,
    by: str | None = None,
    step: int | None = None,
    note: str | None = None,
) -> Result:
    """Run "up", "down", "plan" or "confirm" for one migration: a session of
    its own (open_session says what the lock options mean).

    harness: the harness file whose MIGRATION this is: its header gives the
    spec fingerprint and its folder the default base_dir (pinned files).
    pointers: where pointers' SQL comes from (default: fetched, not kept).
    by, step, note: a confirm's (manual.confirm_step)."""
    if command not in ("up", "down", "plan", "confirm"):
        message = f"unknown command {command!r}: use up, down, plan or confirm"
        raise MigrationError(message, EXIT_USAGE)
    if harness is not None:
        migration = harness_migration(harness, migration)
        if base_dir is None:
            base_dir = os.path.dirname(os.path.abspath(harness))
    check_migration(migration)
    if command == "plan":
        return {
            "key": migration["key"],
            "status": "planned",
            "plan": plan_text(migration),
        }
    if command == "down" and migration.get("down") is None:
        raise irreversible(migration)
    with (
        interruptible(),
        open_session(
            database,
            lock_timeout=lock_timeout,
            audit_log=audit_log,
            out=out,
            lock_timeout_ms=lock_timeout_ms,
            lock_retries=lock_retries,
        ) as session,
    ):
        if pointers is not None:
            session.pointers = pointers
        if command == "confirm":
            return confirm_step(session, migration, by or "", step=step, note=note)
        return _apply(session, migration, command, rehearse, base_dir)
