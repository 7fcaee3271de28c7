"""One target's work for each fleet command, through migrate's own
one-database functions (up_session, down_session, baseline_session): the
project was loaded and its harnesses checked once, before the first target.

A target with nothing to do costs one connection and one history read: the
lock is taken only when something is pending, and the history read again
under it (migrate's *_session do), so what another runner did meanwhile is
skipped."""

from __future__ import annotations

from dataclasses import dataclass

from ... import runtime
from ...errors import ContractspecError
from ...project import Project
from ..migrate.harnesses import CommittedHarness
from ..migrate.runs import baseline_session, down_session, new_run, up_session
from ..results import RunResult
from .engine import LOCKED, STOPPED, WAITING, Control, Outcome
from .targets import Target


@dataclass
class Context:
    """What every target of a run shares (read-only once the run starts)."""

    project: Project
    command: str  # up, down, baseline, status
    order: list[str]  # the keys the command considers, in dependency order
    expected: dict[str, str]  # spec fingerprint by key, every key of the registry
    harnesses: dict[str, CommittedHarness]  # checked once
    rehearse: bool = False
    dry_run: bool = False
    verify: bool = False
    named: str | None = None  # the migration NAME given (down, baseline)
    steps: int | None = None  # down --steps
    to: str | None = None  # down --to
    all_: bool = False  # down --all

    def checked(self, project: Project, keys: list[str]) -> list[CommittedHarness]:
        return [self.harnesses[key] for key in keys]


def run_target(context: Context, target: Target, control: Control) -> Outcome:
    """The command on one target, its failures as the target's state."""
    try:
        with control.session(target) as session:
            try:
                history = runtime.read_history(session)
            except runtime.MigrationError as exc:
                return Outcome(target.name, "unreachable", error=str(exc))
            if context.command == "status":
                return status_of(context, target, session, history)
            return _change(context, target, session, history, control)
    except runtime.LockBusy as exc:
        return Outcome(target.name, LOCKED, error=str(exc))
    except (runtime.MigrationError, ContractspecError) as exc:
        state = "failed" if isinstance(exc, ContractspecError) else "unreachable"
        return Outcome(target.name, state, error=str(exc))


def _change(
    context: Context,
    target: Target,
    session: runtime.Session,
    history: list[runtime.HistoryRow],
    control: Control,
) -> Outcome:
    applied = {row["key"]: row["spec_fingerprint"] for row in history}
    remaining = [key for key in context.order if key not in applied]
    if context.command == "up":
        drift = any(
            applied[k] != context.expected[k] for k in context.order if k in applied
        )
        if not remaining and not drift:
            return Outcome(target.name, "ok")  # synced: no lock, no second read
    if context.command == "baseline" and (not remaining or context.named in applied):
        return Outcome(target.name, "ok")  # recorded already (by an earlier run)
    if not context.dry_run:
        session.take_lock(control.lock_wait)
    run = new_run(context.command, target.name, context.rehearse)
    stop = control.stop
    if context.command == "up":
        run = up_session(
            context.project,
            session,
            context.order,
            run,
            context.dry_run,
            checked=context.checked,
            stop=stop,
        )
    elif context.command == "down":
        run = down_session(
            context.project,
            session,
            run,
            target=context.named,
            steps=context.steps,
            to=context.to,
            all_=context.all_,
            dry_run=context.dry_run,
            checked=context.checked,
            stop=stop,
        )
    else:
        # What this target's history lacks: a rerun finishes what a killed
        # run began, instead of refusing what that run recorded.
        run = baseline_session(
            context.project,
            session,
            [key for key in context.order if key not in applied],
            None,
            run,
            verify=context.verify,
            checked=context.checked,
            stop=stop,
        )
    return _outcome(target, run, context.dry_run)


def _outcome(target: Target, run: RunResult, dry_run: bool) -> Outcome:
    done = [result.key for result in run.applied]
    pending = list(run.not_attempted)
    if run.failed:
        error = runtime.redact_url(str(run.error), target.secrets)
        return Outcome(target.name, "failed", done=done, error=error)
    if run.waiting:  # a person's work, confirmed on this target alone
        waits = run.waiting
        why = f"{waits.key} {waits.label}: {waits.first_line}"
        pending = [waits.key, *pending]  # not applied until confirmed
        return Outcome(target.name, WAITING, done=done, pending=pending, error=why)
    if dry_run:
        return Outcome(target.name, "pending" if pending else "ok", pending=pending)
    if pending:  # stopped at a clean boundary
        return Outcome(target.name, STOPPED, done=done, pending=pending)
    return Outcome(target.name, "ok", done=done)


def status_of(
    context: Context,
    target: Target,
    session: runtime.Session,
    history: list[runtime.HistoryRow],
) -> Outcome:
    """Where one target stands. A synced target costs its one history read;
    one with something pending is also asked whether its last run of it
    failed, and whether a runner holds its lock now."""
    expected = context.expected
    applied = {row["key"]: row["spec_fingerprint"] for row in history}
    pending = [key for key in context.order if key not in applied]
    drifted = [k for k, fp in applied.items() if k in expected and fp != expected[k]]
    unknown = [key for key in applied if key not in expected]
    head = next((k for k in reversed(context.order) if k in applied), None)
    outcome = Outcome(
        target.name,
        "synced",
        pending=pending,
        head=head,
        drifted=drifted,
        unknown=unknown,
    )
    if drifted:
        outcome.state = "drifted"
    elif pending:
        outcome.state = "pending"
        failed = _last_failure(session, pending)
        holder = session.db.lock_holder()
        if failed:
            outcome.state, outcome.error = "failed", failed
        elif holder:
            outcome.state, outcome.error = LOCKED, f"held by {holder}"
        elif waits := _waiting(session, pending):
            outcome.state, outcome.error = WAITING, waits
    elif unknown:
        outcome.state = "unknown"  # ahead: applied what this project does not know
    if outcome.error:
        outcome.error = runtime.redact_url(outcome.error, target.secrets)
    return outcome


def _waiting(session: runtime.Session, pending: list[str]) -> str | None:
    """The pending migration whose run stopped at a person's work, if one did."""
    for key, (_plan, journal) in runtime.in_progress(session).items():
        if journal.waiting is not None and key in pending:
            return f"{key}: a person's work at step {journal.waiting}"
    return None


def _last_failure(session: runtime.Session, pending: list[str]) -> str | None:
    """The error of the latest run of a pending migration, if that run failed."""
    latest: dict[str, runtime.Row] = {}
    for event in runtime.read_events(session, event="run_end"):
        latest[str(event["migration"])] = event  # in order: the last wins
    for key in pending:
        last = latest.get(key)
        if last is not None and last["status"] == "failed":
            return f"{key}: {last['error']}"
    return None
