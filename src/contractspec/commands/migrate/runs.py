"""`migrate up`, `down` and `baseline`: the migrations a run takes, checked,
then run one by one through the runtime in one session; the run's
RunResult. A dry run stops before running and says what would run."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeAlias

from ... import runtime
from ...config import load_config
from ...errors import MigrationFailed, UsageError
from ...project import Project, open_project
from ..results import MigrationResult, RunResult, WaitingStep
from .gates import gate, has_gates, refuse_accepting_without_gates
from .harnesses import CommittedHarness, committed_harnesses, harness_of_applied
from .reverting import to_revert
from .session import Notice, history, open_session, refuse_drift

if TYPE_CHECKING:
    from ...lint.risk import Risk
    from ...registry import MigrationRegistry

# (key, index, total, a line for people): each migration's outcome, and
# while a batched step runs, its rows and rows/s
Progress = Callable[[str, int, int, str], None]
Apply = Callable[..., runtime.Result]  # runtime.apply_up, apply_down, ...
Stop = Callable[[], bool]  # asked before each migration: True stops the run there
# The committed harnesses of keys, checked (committed_harnesses; a fleet checks
# every one once, before its first target).
Checked = Callable[[Project, list[str]], list[CommittedHarness]]
# up's gates: the pending keys' risks, and the notes of those let through
Screened: TypeAlias = "tuple[Mapping[str, Risk], dict[str, str]]"
Screen = Callable[[list[str], runtime.Session], Screened]


def new_run(command: str, database: str, rehearse: bool = False) -> RunResult:
    """A run that has done nothing yet, its database URL's password redacted."""
    shown = runtime.redact_url(database, runtime.database_secrets(database))
    return RunResult(command, shown, rehearse)


def run_harnesses(
    session: runtime.Session,
    run: RunResult,
    harnesses: list[CommittedHarness],
    apply: Apply,
    progress: Progress | None,
    stop: Stop | None = None,
) -> RunResult:
    """Run each harness in order; stop at the first that fails (rolled back)
    or stops (would stop, in a rehearsal) at a person's work, or before the
    next one when stop() says so (the rest not attempted)."""
    applied: list[MigrationResult] = []
    skipped, total = list(run.skipped), len(harnesses)
    for index, harness in enumerate(harnesses):
        if stop is not None and stop():  # a clean boundary
            return replace(
                run,
                applied=tuple(applied),
                skipped=tuple(skipped),
                not_attempted=tuple(h.key for h in harnesses[index:]),
            )
        if progress:
            session.notes = lambda line, key=harness.key, at=index: progress(
                key, at, total, line.strip()
            )
        try:
            result = apply(
                session,
                harness.checked,
                rehearse=run.rehearse,
                base_dir=harness.path.parent,
            )
        except runtime.MigrationError as exc:
            if progress:
                progress(harness.key, index, total, str(exc))
            return replace(
                run,
                applied=tuple(applied),
                skipped=tuple(skipped),
                failed=harness.key,
                error=str(exc),
                not_attempted=tuple(h.key for h in harnesses[index + 1 :]),
            )
        done = MigrationResult.of(result)
        if progress:
            progress(harness.key, index, total, done.message)
        waiting = result.get("waiting")
        if waiting is not None:
            return replace(
                run,
                applied=tuple(applied),
                skipped=tuple(skipped),
                waiting=WaitingStep.of(harness.key, waiting),
                not_attempted=tuple(h.key for h in harnesses[index + 1 :]),
            )
        if done.status in ("skipped", "not_applied"):  # another runner did it
            skipped.append(harness.key)
        else:
            applied.append(done)
    return replace(run, applied=tuple(applied), skipped=tuple(skipped))


def not_atomic(harnesses: list[CommittedHarness], command: str) -> dict[str, str]:
    """What commits on its own in each harness's up (or down) plan, if anything."""
    found = {}
    for harness in harnesses:
        migration = harness.checked
        steps = migration["up"] if command == "up" else migration.get("down")
        apart = runtime.atomicity(steps)
        if apart:
            found[harness.key] = apart
    return found


def up_order(
    registry: MigrationRegistry, target: str | None = None, to: str | None = None
) -> list[str]:
    """The keys `up` takes, in the order it applies them: every migration, or
    target and what it depends on, or with to those up to and including it."""
    targets = [registry.lookup(target).key] if target else None
    order = [spec.key for spec in registry.order(targets)]
    if to:
        order = order[: order.index(registry.lookup(to).key) + 1]
    return order


def up(
    project_dir: Path | None = None,
    database: str | None = None,
    target: str | None = None,
    *,
    environment: str | None = None,
    accept_risk: Sequence[str] = (),
    to: str | None = None,
    rehearse: bool = False,
    dry_run: bool = False,
    single_transaction: bool = False,
    audit_log: str | None = None,
    lock_timeout: float = 30.0,
    progress: Progress | None = None,
    notice: Notice | None = None,
    scripts_dirs: Sequence[Path] = (),
) -> RunResult:
    """Apply every pending migration (or target and what it depends on), in
    dependency order; with to, only those up to and including it in that order.

    environment: a named environment, its URL and its gates (gates.py), which
    refuse before anything runs; accept_risk: migrations (NAME or NAME.vN)
    let through them, each recorded in its run_start event with who ran it.
    single_transaction: all of them in one transaction (a savepoint each),
    committed at the end or not at all; refused when any of them has a step
    that commits on its own."""
    if target and to:
        raise UsageError("give a migration NAME or --to NAME, not both")
    if single_transaction and rehearse:
        raise UsageError(
            "--single-transaction and --rehearse: a rehearsal is one transaction"
            " already (and rolled back); give one of them"
        )
    config = load_config(project_dir, database, environment)
    refuse_accepting_without_gates(config, accept_risk)
    project = open_project(config=config)
    registry = project.registry
    accepted = {registry.lookup(name).key for name in accept_risk}
    order = up_order(registry, target, to)
    run = new_run("up", project.config.database, rehearse)

    def screen(keys: list[str], session: runtime.Session) -> Screened:
        risks: Mapping[str, Risk] = {}
        if dry_run or has_gates(config):
            risks = project.risks(keys)
        return risks, gate(project, keys, risks, accepted, session.applied_by)

    locked = not dry_run
    with open_session(
        project, lock_timeout, audit_log, locked, notice, scripts_dirs
    ) as session:
        return up_session(
            project,
            session,
            order,
            run,
            dry_run,
            progress,
            single_transaction=single_transaction,
            screen=screen,
        )


def up_session(
    project: Project,
    session: runtime.Session,
    order: list[str],
    run: RunResult,
    dry_run: bool = False,
    progress: Progress | None = None,
    checked: Checked = committed_harnesses,
    stop: Stop | None = None,
    single_transaction: bool = False,
    screen: Screen | None = None,
) -> RunResult:
    """`up` of order's pending migrations on one database (or schema), through
    a session that holds the lock (none for a dry run); screen: the pending
    keys' risks, and the notes of those let through the gates."""
    # Read under the lock: what others applied is skipped.
    applied = history(session)
    refuse_drift(project, order, applied)
    pending = checked(project, [k for k in order if k not in applied])
    keys = [h.key for h in pending]
    risks, notes = screen(keys, session) if screen else ({}, {})
    run = replace(
        run,
        skipped=tuple(key for key in order if key in applied),
        not_atomic=not_atomic(pending, "up"),
    )
    if single_transaction:
        _refuse_apart(run.not_atomic)
    if dry_run:
        return replace(run, not_attempted=tuple(keys), risk=risks)

    def apply_noted(
        session: runtime.Session, migration: runtime.Migration, **options: Any
    ) -> runtime.Result:
        note = notes.get(migration["key"])  # passed a gate by --accept-risk
        return runtime.apply_up(session, migration, note=note, **options)

    if not (run.rehearse or single_transaction):
        return run_harnesses(session, run, pending, apply_noted, progress, stop)
    # The whole chain in one outer transaction, a savepoint per migration:
    # each sees what the ones before it did; then all of it is rolled back
    # (a rehearsal), or committed (--single-transaction: unless one failed).
    try:
        with runtime.outer_transaction(session, commit=single_transaction):
            run = run_harnesses(session, run, pending, apply_noted, progress, stop)
    except runtime.MigrationError as exc:
        raise MigrationFailed(str(exc)) from None
    if single_transaction and run.failed:
        return _all_rolled_back(run)
    return run


def _refuse_apart(not_atomic: Mapping[str, str]) -> None:
    """--single-transaction: refuse, before anything runs, every migration
    with a step that commits on its own (outside a transaction, in batches)."""
    if not_atomic:
        named = "\n  ".join(f"{key}: {apart}" for key, apart in not_atomic.items())
        raise UsageError(
            "--single-transaction runs every pending migration in one transaction,"
            f" but these have steps that commit on their own:\n  {named}\n"
            "run them without --single-transaction (each then commits as it goes)"
        )


def _all_rolled_back(run: RunResult) -> RunResult:
    """A failure in one transaction: the migrations before it are undone too."""
    undone = tuple(result.key for result in run.applied)
    error = f"{run.error}; --single-transaction: nothing was applied"
    if undone:
        count = f"{len(undone)} migration{'s' if len(undone) != 1 else ''}"
        error += f" ({count} before it rolled back with it)"
    return replace(run, applied=(), rolled_back=undone, error=error)


def down(
    project_dir: Path | None = None,
    database: str | None = None,
    target: str | None = None,
    *,
    steps: int | None = None,
    to: str | None = None,
    all_: bool = False,
    rehearse: bool = False,
    dry_run: bool = False,
    audit_log: str | None = None,
    lock_timeout: float = 30.0,
    progress: Progress | None = None,
    notice: Notice | None = None,
    scripts_dirs: Sequence[Path] = (),
) -> RunResult:
    """Revert target, the last `steps` applied migrations, every one after `to`
    in dependency order, or all of them (all_); in reverse dependency order."""
    check_down_options(target, steps, to, all_)
    project = open_project(project_dir, database)
    run = new_run("down", project.config.database, rehearse)
    locked = not dry_run
    with open_session(
        project, lock_timeout, audit_log, locked, notice, scripts_dirs
    ) as session:
        return down_session(
            project, session, run, target, steps, to, all_, dry_run, progress
        )


def check_down_options(
    target: str | None, steps: int | None, to: str | None, all_: bool
) -> None:
    if sum(bool(x) for x in (target, steps is not None, to, all_)) > 1:
        raise UsageError("give one of a migration NAME, --steps N, --to NAME or --all")
    if steps is not None and steps < 1:
        raise UsageError("--steps must be at least 1")


def down_session(
    project: Project,
    session: runtime.Session,
    run: RunResult,
    target: str | None = None,
    steps: int | None = None,
    to: str | None = None,
    all_: bool = False,
    dry_run: bool = False,
    progress: Progress | None = None,
    checked: Checked = committed_harnesses,
    stop: Stop | None = None,
) -> RunResult:
    """`down` on one database (or schema), through a session that holds the
    lock (none for a dry run)."""
    applied = history(session)
    if target in applied and target not in project.specs:
        # Its spec is gone: its committed harness is the way back.
        fingerprint = applied[target].spec_fingerprint
        harnesses = [harness_of_applied(project, target, fingerprint)]
    else:
        chosen = to_revert(project, applied, target, steps, to, all_)
        if target and not chosen:  # not applied: nothing to revert
            return replace(run, skipped=(project.registry.lookup(target).key,))
        refuse_drift(project, chosen, applied)  # all, before reverting one
        harnesses = checked(project, chosen)
        _refuse_irreversible(harnesses)
        run = replace(run, not_atomic=not_atomic(harnesses, "down"))
    if dry_run:
        return replace(run, not_attempted=tuple(h.key for h in harnesses))
    return run_harnesses(session, run, harnesses, runtime.apply_down, progress, stop)


def _refuse_irreversible(harnesses: list[CommittedHarness]) -> None:
    """Refuse before reverting anything, not halfway through."""
    irreversible = [h.key for h in harnesses if h.checked.get("down") is None]
    if irreversible:
        raise MigrationFailed(
            f"cannot revert {', '.join(irreversible)}: irreversible (no down plan);"
            " nothing was reverted. Write a new migration that undoes it instead."
        )


def baseline(
    project_dir: Path | None = None,
    database: str | None = None,
    target: str | None = None,
    *,
    all_: bool = False,
    verify: bool = False,
    audit_log: str | None = None,
    lock_timeout: float = 30.0,
    progress: Progress | None = None,
) -> RunResult:
    """Record target (and what it depends on), or every migration (all_), as
    applied without running them: the database already has their effects.

    Dependencies the history has are left alone; the target itself, or with
    all_ any migration at all, already in the history is refused."""
    project = open_project(project_dir, database)
    order, named = baseline_order(project, target, all_)
    run = new_run("baseline", project.config.database)
    with open_session(project, lock_timeout, audit_log) as session:
        return baseline_session(
            project, session, order, named, run, verify=verify, progress=progress
        )


def baseline_order(
    project: Project, target: str | None, all_: bool
) -> tuple[list[str], list[str] | None]:
    """What `baseline` records, in dependency order, and the key named (if any)."""
    if bool(target) == all_:
        raise UsageError("give a migration NAME or --all")
    registry = project.registry
    named = [registry.lookup(target).key] if target else None
    return [spec.key for spec in registry.order(named)], named


def baseline_session(
    project: Project,
    session: runtime.Session,
    order: list[str],
    named: list[str] | None,
    run: RunResult,
    verify: bool = False,
    progress: Progress | None = None,
    checked: Checked = committed_harnesses,
    stop: Stop | None = None,
) -> RunResult:
    """`baseline` on one database (or schema), through a session that holds
    the lock: order's migrations (named: the one asked for by name)."""
    applied = history(session)
    refused = [key for key in (named or order) if key in applied]
    if refused:
        raise MigrationFailed(
            f"already in the history: {', '.join(refused)}; baseline records only"
            " migrations the database has not recorded (see migrate status)"
        )
    run = replace(run, skipped=tuple(key for key in order if key in applied))
    harnesses = checked(project, [key for key in order if key not in applied])

    def record(
        session: runtime.Session, migration: runtime.Migration, **_: object
    ) -> runtime.Result:
        return runtime.apply_baseline(session, migration, verify=verify)

    return run_harnesses(session, run, harnesses, record, progress, stop)
