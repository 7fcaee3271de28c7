"""`migrate status`: one row per known migration and per unknown history row."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path

from ... import runtime
from ...project import Project, open_project
from ..results import MigrationStatus, WaitingStep
from .harnesses import CommittedHarness, check_runtime_module, read_harnesses
from .session import Applied, history, open_session


@dataclass(frozen=True)
class LastRun:
    """The run_end event of a migration's latest run."""

    status: str
    error: str | None
    at: str


def status(
    project_dir: Path | None = None,
    database: str | None = None,
    lock_timeout: float = 30.0,
) -> list[MigrationStatus]:
    """One row per known migration and per unknown history row.

    state: applied, pending, partly applied (a migration that is not atomic
    stopped part way; `steps_done` lists its committed steps), partly
    reverted (the same, of its down plan), waiting (its up, or its down,
    stopped at a person's work nobody has confirmed yet: `waiting` says which
    and how to go on), drifted (applied from another spec fingerprint),
    unknown (in the database, not in the registry); plus `harness` (ok,
    missing, stale...), `risk` (computed from the spec) and `last_failure`
    when the latest run of it failed.
    """
    project = open_project(project_dir, database)
    order = [spec.key for spec in project.registry.order()]
    with open_session(project, lock_timeout, None, lock=False) as session:
        applied = history(session)
        latest = last_runs(session)
        progress = runtime.in_progress(session)
    harnesses = read_harnesses(project, order)
    runtime_problem = check_runtime_module(project) if order else None
    risks = project.risks(order)
    rows = [
        _in_progress(
            replace(
                _known(project, harness, runtime_problem, applied, latest),
                risk=risks[harness.key],
            ),
            harness,
            progress.get(harness.key),
        )
        for harness in harnesses
    ]
    return rows + [_unknown(applied[key]) for key in sorted(set(applied) - set(order))]


def _known(
    project: Project,
    harness: CommittedHarness,
    runtime_problem: str | None,
    applied: Mapping[str, Applied],
    latest: Mapping[str, LastRun],
) -> MigrationStatus:
    key, migration = harness.key, harness.migration
    history, last = applied.get(key), latest.get(key)
    # Its latest run failed (or was interrupted), after the run that applied it if one did.
    failed = last is not None and last.status in ("failed", "interrupted")
    if last and history and last.at <= history.applied_at:
        failed = False
    row = MigrationStatus(
        key=key,
        state="pending",
        harness="stale" if runtime_problem else harness.state,
        path=project.specs[key].path,
        harness_problem=harness.problem or runtime_problem,
        not_atomic=runtime.atomicity(migration["up"]) if migration else None,
        last_failure=last.error if last and failed else None,
    )
    if history is None:
        return row
    expected = project.fingerprint(key)
    drifted = history.spec_fingerprint != expected
    return replace(
        _with_history(row, history),
        state="drifted" if drifted else "applied",
        expected_fingerprint=expected if drifted else None,
        baseline=last is not None and last.status == "baselined",
    )


def _in_progress(
    row: MigrationStatus,
    harness: CommittedHarness,
    progress: tuple[str, runtime.Journal] | None,
) -> MigrationStatus:
    """The row of a migration that a run of its up (or down) left part way:
    its steps done, and the person's work it waits at, from its harness
    (when the harness can run)."""
    if progress is None or row.state == "drifted":
        return row
    plan, journal = progress
    row = replace(
        row,
        state="partly applied" if plan == "up" else "partly reverted",
        steps_done=tuple(sorted(journal.done)),
    )
    if journal.waiting is None:
        return row
    step, migration = journal.waiting, harness.migration
    found = runtime.waiting_at(migration, plan, step) if migration else None
    if found is None:  # a harness that can't run: only where it waits
        found = {
            "command": plan,
            "step": step,
            "label": f"{plan} step {step}",
            "instructions": "",
            "confirm_by": [],
        }
    return replace(row, state="waiting", waiting=WaitingStep.of(row.key, found))


def _unknown(history: Applied) -> MigrationStatus:
    """A history row of a migration the registry does not know."""
    return _with_history(MigrationStatus(history.key, "unknown", "-", None), history)


def _with_history(row: MigrationStatus, history: Applied) -> MigrationStatus:
    return replace(
        row,
        applied_at=history.applied_at,
        applied_by=history.applied_by,
        duration_ms=history.duration_ms,
        spec_fingerprint=history.spec_fingerprint,
    )


def last_runs(session: runtime.Session) -> dict[str, LastRun]:
    """Per migration, the run_end event of its latest run."""
    latest = {}
    for event in runtime.read_events(session, event="run_end"):  # the last wins
        error = event["error"]
        latest[str(event["migration"])] = LastRun(
            str(event["status"]),
            None if error is None else str(error),
            str(event["at"]),
        )
    return latest
