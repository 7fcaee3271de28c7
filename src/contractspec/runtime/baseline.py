"""Baselining: recording a migration as applied without running it (the
database already has its effects), after verifying it read-only if asked."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from .clock import utcnow
from .events import Run, result
from .exits import EXIT_FAILED, CheckFailed, MigrationError
from .harness import check_migration, harness_fingerprint
from .migration import record_failure
from .signals import hold, start
from .steps import assertion_check, run_check
from .tables import HISTORY_COLUMNS, insert_sql
from .urls import first_line

if TYPE_CHECKING:
    from .session import Session
    from .shapes import HistoryRow, Migration, Result, Step, Timing


def _verify(run: Run, steps: list[Step]) -> None:
    """Run the validation steps and every post-check of steps, read-only, in a
    transaction that is rolled back; raise CheckFailed at the first failure."""
    session = run.session
    session.db.begin_read_only()
    try:
        for index, step in enumerate(steps, 1):
            if step["kind"] == "validation":
                run_check(run, index, 1, "validation", assertion_check(step))
            for check in step.get("post_checks") or ():
                run_check(run, index, 1, "post-check", check)
    finally:
        session.rollback()
        session.db.end_read_only()


def apply_baseline(
    session: Session, migration: Migration, verify: bool = False
) -> Result:
    """Record one migration as applied without running it: the database already
    has its effects (it was migrated by another tool, or by hand). With verify,
    its validation steps and post-checks run first, read-only. Refuses a
    migration the history already has. Returns its result."""
    check_migration(migration)
    run = Run(session, migration, "baseline", False)
    run.emit("run_start", status="baseline", detail="verify" if verify else None)
    key, db = run.key, session.db
    try:
        start()  # a signal held since the last commit stops the run here
        db.defer(db.begin)
        session.ensure_tables()
        query = "SELECT applied_at FROM contractspec_history WHERE key = ?"
        rows = db.select(query, (key,))
        if rows:
            raise MigrationError(
                f"{key} is already applied (at {rows[0]['applied_at']}); "
                "baseline records only migrations the history does not have"
            )
        if verify:
            session.rollback()  # the history read's transaction
            _verify(run, migration["up"])
            db.defer(db.begin)
            session.ensure_tables()  # their creation was rolled back with the read
        values = (
            key,
            migration.get("name") or key,
            int(migration.get("version") or 0),
            migration.get("spec_fingerprint"),
            harness_fingerprint(migration),
            utcnow(),
            0,
            session.applied_by,
        )
        write = (insert_sql("contractspec_history", HISTORY_COLUMNS), values)
        timing: Timing = {"started_at": run.started_at, "duration_ms": run.elapsed_ms()}
        end = run.emit("run_end", status="baselined", audit=False, **timing)
        hold()  # the commit is the outcome: a signal now waits for the next one
        session.write_and_commit([write], run.events)
        if session.applied is not None:
            applied = dict(zip(HISTORY_COLUMNS, values, strict=True))
            session.applied[key] = cast("HistoryRow", applied)
    except Exception as exc:
        session.rollback()
        known = isinstance(exc, (MigrationError, CheckFailed))
        reason = str(exc) if known else first_line(exc)
        message = f"{key}: baseline refused: {reason}; nothing recorded"
        timing = {"started_at": run.started_at, "duration_ms": run.elapsed_ms()}
        run.emit("run_end", status="failed", error=message, **timing)
        record_failure(run)
        outcome = result(run, "failed", 0, error=message, message=message)
        raise MigrationError(message, EXIT_FAILED, outcome) from exc
    session.tables_ready = True
    run.audit(end)
    line = f"baselined {key}: recorded as applied, nothing run"
    return result(run, "baselined", 0, message=line + (" (verified)" if verify else ""))
