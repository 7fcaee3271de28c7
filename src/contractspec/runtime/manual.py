"""A person's work (a data step with instructions): confirming it.

A run that reaches such a step commits what came before it, records a
`waiting` event and stops (outside.stop_for_person). `confirm_step` is how
the person says it is done: the step's post-checks run read-only, and only
if they pass is the confirmation recorded (a `confirmed` event: who, when,
their note, the fingerprints of what was confirmed), in one transaction,
under the migration lock. The next run of that plan skips the step.
`stopped` is the outcome of the run that reached the step."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from .events import Run, result
from .exits import EXIT_USAGE, CheckFailed, MigrationError
from .harness import check_migration, harness_fingerprint
from .outside import journal, refuse_drift, waiting_at
from .shapes import step_label
from .signals import hold
from .steps import run_check
from .urls import first_line

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from .session import Session
    from .shapes import Migration, Result, Step, Timing


def may_confirm(
    by: str, confirm_by: Sequence[str], members: Mapping[str, Sequence[str]]
) -> bool:
    """Whether `by` may confirm a step: anyone when confirm_by is empty; else
    one of its owners, or a member of one (members: owner → names, handles
    or emails), compared without regard to case."""
    if not confirm_by:
        return True
    wanted = by.strip().casefold()
    names = [*confirm_by, *(m for owner in confirm_by for m in members.get(owner, ()))]
    return any(wanted == name.strip().casefold() for name in names)


def confirm_step(
    session: Session,
    migration: Migration,
    by: str,
    *,
    step: int | None = None,
    note: str | None = None,
    members: Mapping[str, Sequence[str]] | None = None,
) -> Result:
    """Confirm the person's work a run of the migration stopped at: the
    `up` of one not applied, the `down` of one that is. step: the step it
    must be (1-based). Raises MigrationError, recording nothing, when it is
    not waiting there, when `by` may not confirm it, or when a post-check
    fails."""
    check_migration(migration)
    if not by.strip():
        raise MigrationError("say who did the work: --by NAME", EXIT_USAGE)
    run = Run(session, migration, "confirm", False)
    key, db = run.key, session.db
    try:
        db.defer(db.begin)
        session.ensure_tables()
        query = "SELECT 1 FROM contractspec_history WHERE key = ?"
        command = "down" if db.select(query, (key,)) else "up"
        found = journal(session, key, command)
        session.rollback()
        index, target = _waiting_step(migration, command, found.waiting, step)
        confirm_by = list(target.get("confirm_by") or ())
        if not may_confirm(by, confirm_by, members or {}):
            raise MigrationError(
                f"{by} may not confirm {command} step {index}: it is for"
                f" {', '.join(confirm_by)} (confirm_by)"
                + (", or a member of one" if members else "")
            )
        refuse_drift(run, found)
        run.emit("run_start", status="confirm", detail=f"{command} step {index}")
        _verify(run, index, target)
        detail = {
            "by": by,
            "note": note,
            "spec_fingerprint": migration.get("spec_fingerprint"),
            "harness_fingerprint": harness_fingerprint(migration),
            "recorded_by": session.applied_by,
        }
        text = json.dumps(detail, ensure_ascii=False, sort_keys=True)
        run.emit("confirmed", index, status=command, detail=text)
        end = run.emit("run_end", status="confirmed", audit=False)
        db.defer(db.begin)
        session.ensure_tables()
        hold()  # the commit is the outcome: a signal during it waits for the next
        session.write_and_commit([], run.events)
        session.tables_ready = True
        run.audit(end)
    except Exception as exc:
        session.rollback()
        known = isinstance(exc, (MigrationError, CheckFailed))
        reason = str(exc) if known else first_line(exc)
        message = f"{key}: not confirmed: {reason}; nothing recorded"
        code = exc.exit_code if isinstance(exc, MigrationError) else 1
        raise MigrationError(message, code) from exc
    label = f"{command} step {index} ({step_label(target)})"
    line = f"confirmed {key} {label} by {by}; the next `{command}` continues after it"
    outcome = result(run, "confirmed", 1, message=line)
    outcome["step"] = index
    outcome["direction"] = command
    outcome["by"] = by
    return outcome


def _waiting_step(
    migration: Migration, command: str, waiting: int | None, step: int | None
) -> tuple[int, Step]:
    """The step a run of `command` stopped at (and `step`, when given, must be it)."""
    if waiting is None:
        raise MigrationError(
            f"it is not waiting for a person: no run of its {command} plan has"
            " stopped at a step with instructions since it was last applied or"
            " reverted (see migrate status)"
        )
    if step is not None and step != waiting:
        raise MigrationError(
            f"it waits at {command} step {waiting}, not step {step}: confirm the"
            " step the run stopped at"
        )
    if waiting_at(migration, command, waiting) is None:
        raise MigrationError(
            f"its {command} step {waiting} is not a person's work in this harness:"
            " its spec changed since the run stopped there"
        )
    steps = migration["up"] if command == "up" else migration.get("down") or []
    return waiting, steps[waiting - 1]


def _verify(run: Run, index: int, step: Step) -> None:
    """The step's post-checks, read-only, rolled back: CheckFailed at the
    first that fails (shown; nothing recorded)."""
    session = run.session
    session.db.begin_read_only()
    try:
        for check in step.get("post_checks") or ():
            run_check(run, index, 1, "post-check", check)
    finally:
        session.rollback()
        session.db.end_read_only()


def stopped(run: Run, count: int, attempts: int) -> Result:
    """A run that reached a person's work: what came before it is committed
    with the waiting event (a rehearsal: all rolled back)."""
    session, key, waiting = run.session, run.key, run.waiting
    assert waiting is not None
    timing: Timing = {"started_at": run.started_at, "duration_ms": run.elapsed_ms()}
    if run.rehearse:
        session.rollback()
        run.emit("run_end", status="rehearsed", **timing)
        line = (
            f"rehearsed {key}: stops at {waiting['label']}, a person's work; the"
            " steps after it were not rehearsed; rolled back"
        )
        outcome = result(run, "rehearsed", count, attempts, message=line)
    else:
        end = run.emit("run_end", status="waiting", audit=False, **timing)
        hold()  # the commit is the outcome: a signal now waits for the next migration
        session.write_and_commit([], run.to_store())
        session.tables_ready = True
        run.audit(end)
        done = ", ".join(map(str, run.committed)) or "none"
        line = f"waiting {key} at {waiting['label']}: a person's work (steps committed: {done})"
        outcome = result(run, "waiting", count, attempts, message=line)
    outcome["waiting"] = waiting
    return outcome
