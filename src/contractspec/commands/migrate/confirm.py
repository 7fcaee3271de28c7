"""`migrate confirm NAME --by WHO`: a person's work (a data step with
instructions) that a run stopped at is done. Its post-checks run against the
database, read-only; only when they pass is the confirmation recorded (in
the events and the audit log), and the next `up` (or `down`) continues after
the step. The runtime does the work (runtime/manual.py); this checks the
committed harness first, as `up` does.

Who may confirm: one of the step's `confirm_by` owners, by name, or one of
the handles or emails [tool.contractspec.owners] maps that owner to
(Config.handles)."""

from __future__ import annotations

from pathlib import Path

from ... import runtime
from ...errors import MigrationFailed, UsageError
from ...project import open_project
from ..results import ConfirmResult
from .harnesses import committed_harnesses
from .session import database_error, open_session


def confirm(
    project_dir: Path | None = None,
    database: str | None = None,
    target: str = "",
    *,
    by: str,
    step: int | None = None,
    note: str | None = None,
    audit_log: str | None = None,
    lock_timeout: float = 30.0,
) -> ConfirmResult:
    """Confirm the person's work that target's last run stopped at: its `up`
    when it is not applied, its `down` when it is. step: the step it must be.
    Raises MigrationFailed (nothing recorded) when it is not waiting there,
    when `by` may not confirm it, or when a post-check fails."""
    if not by.strip():
        raise UsageError("say who did the work: --by NAME")
    project = open_project(project_dir, database)
    key = project.registry.lookup(target).key
    [harness] = committed_harnesses(project, [key])
    migration = harness.checked
    members = {
        owner: handles
        for planned in (*migration["up"], *(migration.get("down") or ()))
        for owner in planned.get("confirm_by") or ()
        if (handles := project.config.handles(owner))
    }
    with open_session(project, lock_timeout, audit_log) as session:
        try:
            result = runtime.confirm_step(
                session, migration, by, step=step, note=note, members=members
            )
        except runtime.MigrationError as exc:
            if exc.exit_code == runtime.EXIT_FAILED:
                raise MigrationFailed(str(exc)) from None
            raise database_error(exc) from None
    command = result["direction"]
    return ConfirmResult(
        key=key,
        command=command,
        step=result["step"],
        by=by,
        note=note,
        run_id=result["run_id"],
        database=result["database"],
        message=result["message"],
        next=f"contractspec migrate {command} {key}",
    )
