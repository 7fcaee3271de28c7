"""`migrate up/down/status/create` and `create --type migration`."""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from ..commands.results import MigrationStatus, RunResult, WaitingStep, json_value
from ..errors import EXIT_PARTIAL, EXIT_WAITING, Shown
from ..spec import STABILITIES
from . import root
from .fleet import fleet_options
from .options import (
    Decorator,
    F,
    ask_or_refuse,
    database_option,
    echo_json,
    env_option,
    json_option,
    project_option,
    table,
)

lock_timeout_option = click.option(
    "--lock-timeout",
    type=click.FloatRange(min=0),
    default=30.0,
    show_default=True,
    metavar="SECONDS",
    help="How long to wait for the migration lock while another runner holds it"
    " (naming the holder). Not how long a statement waits for a table or row"
    " lock on PostgreSQL: that is lock_timeout_ms in [tool.contractspec].",
)
audit_log_option = click.option(
    "--audit-log",
    metavar="FILE",
    help="Also append every event (run, step, attempt, check) to FILE as JSON lines.",
)
rehearse_option = click.option(
    "--rehearse",
    is_flag=True,
    help="Run the whole pending chain in one transaction, then roll it all back;"
    " steps outside a transaction are listed, not run (exit 4); a person's work"
    " stops it there (exit 5).",
)
scripts_dir_option = click.option(
    "--scripts-dir",
    "scripts_dirs",
    multiple=True,
    type=click.Path(file_okay=False, path_type=Path),
    metavar="DIR",
    help="Where pointers' SQL is, on a machine without network: files named by their"
    " sha256 (a copy of .contractspec_cache/scripts/ is one). Repeatable.",
)
dry_run_option = click.option(
    "--dry-run",
    "--plan",
    "dry_run",
    is_flag=True,
    help="Only say what would run; change nothing.",
)


@root.group("migrate")
def migrate() -> None:
    """Run the committed harnesses against a database, in dependency order.

    \b
      contractspec migrate status            # applied, pending, drifted, stale, failed, unknown
      contractspec migrate up                # apply everything pending
      contractspec migrate up billing.db.2025_02_add_orders   # that and what it needs
      contractspec migrate down --steps 2    # revert the two most recent
      contractspec migrate confirm billing.db.2025_03_reexport --by team-finance
                                             # a person's work is done: go on
      contractspec migrate create core.db.2025_06_add_invoices --title "Add invoices"
      contractspec migrate up --fleet tenants --parallel 4   # every database of a fleet

    The database comes from --database, --env NAME (a named environment),
    $CONTRACTSPEC_DATABASE_URL, $DATABASE_URL, or `database` in
    [tool.contractspec] (default sqlite:///contractspec.db, relative to the
    project folder). With --fleet NAME, up, down, baseline and status run over
    every database (or tenant schema) of [tool.contractspec.fleets.NAME]:
    waves, shards and a report (docs/fleets.md).
    """


class _Progress:
    """A bar on a terminal, plain lines otherwise, silence for --json.

    Plain lines are written at most 0.1 s after they happen, in batches: a
    write per fast migration cost more than its own Python (a pipe wakes its
    reader every time). A timer, not the next migration, writes them, so a
    line is not held back while a slow migration runs. A context manager, so
    that nothing stays unwritten."""

    DELAY_S = 0.1

    def __init__(self, enabled: bool):
        self.enabled = enabled
        self.stream = sys.stderr
        self.tty = enabled and self.stream.isatty()
        self.lines: list[str] = []
        self.lock = threading.Lock()
        self.timer: threading.Timer | None = None

    def __enter__(self) -> _Progress:
        return self

    def __exit__(self, *exc: object) -> None:
        self.flush()

    def flush(self) -> None:
        with self.lock:
            if self.timer is not None:
                self.timer.cancel()
                self.timer = None
            if self.lines:
                self.stream.write("".join(self.lines))
                self.stream.flush()
                self.lines.clear()

    def __call__(self, key: str, index: int, total: int, line: str) -> None:
        if not self.enabled:
            return
        if self.tty:
            width = 24
            done = int(width * (index + 1) / total)
            bar = "#" * done + "-" * (width - done)
            click.echo(f"\r\x1b[2K{line}", err=True)
            if index + 1 < total:
                click.echo(f"[{bar}] {index + 1}/{total}", err=True, nl=False)
        else:
            with self.lock:
                self.lines.append(f"[{index + 1}/{total}] {line}\n")
                if self.timer is None:
                    self.timer = threading.Timer(self.DELAY_S, self.flush)
                    self.timer.daemon = True
                    self.timer.start()


def _finish(run: RunResult, as_json: bool) -> None:
    if as_json:
        echo_json(json_value(run))
    else:
        if run.waiting is not None and not run.rehearse:
            click.echo(_instructions(run.waiting), nl=False)
        _summary(run)
    if run.failed:
        raise Shown(f"{run.failed} failed")
    if run.waiting is not None:
        raise Shown(f"{run.waiting.key} waits for a person", EXIT_WAITING)
    if run.not_rehearsed:
        raise Shown("steps outside a transaction were not rehearsed", EXIT_PARTIAL)


def _instructions(waiting: WaitingStep) -> str:
    """The person's work a run stopped at, and the commands that go on (stdout)."""
    from .. import runtime

    return runtime.instructions_text(
        waiting.key,
        {
            "command": waiting.command,
            "step": waiting.step,
            "label": waiting.label,
            "instructions": waiting.instructions,
            "confirm_by": list(waiting.confirm_by),
        },
        waiting.confirm + " [--note TEXT]",
        f"contractspec migrate {waiting.command}",
    )


VERBS = {"up": "applied", "down": "reverted", "baseline": "baselined"}


def _summary(run: RunResult) -> None:
    """A run's counts, then what a rehearsal left out and why it failed."""
    parts = [
        f"{len(run.applied)} {'rehearsed' if run.rehearse else VERBS[run.command]}"
    ]
    if run.skipped:
        done = "not applied" if run.command == "down" else "already applied"
        parts.append(f"{len(run.skipped)} {done}")
    if run.failed:
        parts.append(f"1 failed ({run.failed})")
    if run.rolled_back:
        parts.append(f"{len(run.rolled_back)} rolled back with it")
    if run.waiting:
        would = "would wait" if run.rehearse else "waiting"
        parts.append(f"1 {would} for a person ({run.waiting.key})")
    if run.not_attempted:
        parts.append(f"{len(run.not_attempted)} not attempted")
    click.echo(", ".join(parts), err=True)
    for step in run.not_rehearsed:
        click.echo(f"not rehearsed: {step}", err=True)
    if run.waiting and run.rehearse:
        click.echo(
            f"not rehearsed: what comes after {run.waiting.key} {run.waiting.label},"
            " a person's work",
            err=True,
        )
    if run.failed:
        click.echo(f"error: {run.error}", err=True)
        attempted = ", ".join(run.not_attempted) or "none"
        click.echo(f"not attempted: {attempted}", err=True)


def _dry_run(run: RunResult, as_json: bool) -> None:
    if as_json:
        echo_json(json_value(run))
        return
    verb = "apply" if run.command == "up" else "revert"
    if not run.not_attempted:
        click.echo(f"nothing to {verb}", err=True)
    for key in run.not_attempted:
        apart = run.not_atomic.get(key)
        risk = run.risk.get(key)
        click.echo(
            f"would {verb} {key}"
            + (f" (NOT atomic: {apart})" if apart else "")
            + (f"; risk {risk}" if risk and risk.reasons else "")
        )


def _stack(*decorators: Decorator) -> Decorator:
    """One decorator applying several, top to bottom as if written one per line."""

    def apply(function: F) -> F:
        for decorator in reversed(decorators):
            function = decorator(function)
        return function

    return apply


# What baseline and confirm share: where, and how the session is kept.
_session_options = _stack(
    project_option,
    database_option,
    env_option,
    json_option,
    audit_log_option,
    lock_timeout_option,
)
# What up and down share: the run's options, then running it with progress.
_run_options = _stack(
    click.argument("target", metavar="[NAME[.vN]]", required=False),
    click.option(
        "--to",
        metavar="NAME[.vN]",
        help="up: apply in dependency order up to and including NAME;"
        " down: revert everything after NAME, keeping NAME applied.",
    ),
    project_option,
    database_option,
    env_option,
    rehearse_option,
    dry_run_option,
    json_option,
    audit_log_option,
    lock_timeout_option,
    scripts_dir_option,
)


def _database(
    project: Path | None,
    database: str | None,
    environment: str | None,
    reverting: bool = False,
    yes: bool = False,
) -> str | None:
    """The URL of a named environment (asking first before reverting in a
    protected one); without --env, what --database says (None: the default)."""
    if environment is None:
        return database
    from ..config import load_config

    config = load_config(project, database, environment)
    if reverting and config.protected and not yes:
        ask_or_refuse(
            f"environment {environment!r} is protected; revert migrations in it?",
            f"nothing reverted: environment {environment!r} is protected"
            " (answer yes, or pass --yes)",
        )
    return config.database


def _run(
    run: Callable[..., RunResult],
    as_json: bool,
    dry_run: bool,
    project: Path | None,
    database: str | None,
    environment: str | None,
    yes: bool = False,
    **options: Any,
) -> RunResult:
    """Call commands.migrate.up or .down with a progress reporter; return its result."""
    if run.__name__ == "up":  # its environment's gates are the command's to apply
        options["environment"] = environment
    else:
        reverting = not dry_run and not options["rehearse"]
        database = _database(project, database, environment, reverting, yes)
    with _Progress(enabled=not as_json and not dry_run) as progress:

        def notice(line: str) -> None:
            progress.flush()
            click.echo(line, err=True)

        return run(
            project,
            database=database,
            dry_run=dry_run,
            progress=progress,
            notice=notice,
            **options,
        )


@migrate.command("up")
@_run_options
@click.option(
    "--accept-risk",
    "accept_risk",
    multiple=True,
    metavar="NAME[.vN]",
    help="Apply NAME although --env's gates (min_stability, max_risk) refuse it;"
    " recorded in its run_start event with who ran it (repeatable).",
)
@click.option(
    "--single-transaction",
    is_flag=True,
    help="Run every pending migration in one transaction (a savepoint each):"
    " all committed at the end, or none. For fresh databases (CI, tests), where"
    " a commit per migration costs the most. Refused when a pending migration"
    " has a step that commits on its own (outside a transaction, in batches).",
)
@fleet_options("up")
def up_command(as_json: bool, dry_run: bool, **options: Any) -> None:
    """Apply pending migrations (all, or NAME and what it depends on).

    Runs the committed harnesses in dependency order, one transaction per
    migration, under one lock for the whole run. Refuses to start if a
    harness it would run is missing or stale, or (with --env NAME) falls
    outside the environment's gates: a stability below its min_stability
    or a risk above its max_risk (--accept-risk NAME lets one through).
    Stops at the first failure: that migration is rolled back, the ones
    before it stay applied, the rest are not attempted. With
    --single-transaction the ones before it are rolled back too: nothing is
    applied.

    A step that is a person's work (instructions) stops the run: what came
    before it is committed, the instructions are printed, and the exit code
    is 5. `migrate confirm NAME --by WHO` records the work once its
    post-checks pass; the next `up` continues after it.
    """
    from ..commands import migrate as command

    run = _run(command.up, as_json, dry_run, **options)
    _dry_run(run, as_json) if dry_run else _finish(run, as_json)


@migrate.command("down")
@_run_options
@click.option(
    "--steps",
    type=int,
    default=None,
    help="Revert the N most recent migrations (default 1).",
)
@click.option("--all", "all_", is_flag=True, help="Revert every applied migration.")
@click.option(
    "--yes",
    "-y",
    is_flag=True,
    help="Do not ask before reverting in a protected environment.",
)
@fleet_options("down")
def down_command(as_json: bool, dry_run: bool, **options: Any) -> None:
    """Revert NAME, or the most recent applied migrations (--steps N).

    Reverts in reverse dependency order, each in its own transaction that
    also removes its history row. Refuses to revert a migration that an
    applied migration still depends on; a migration without a down plan is
    irreversible and stops the run.
    """
    from ..commands import migrate as command

    run = _run(command.down, as_json, dry_run, **options)
    if options["target"] and run.skipped and not as_json:
        click.echo(f"{run.skipped[0]} is not applied; nothing to revert", err=True)
    _dry_run(run, as_json) if dry_run else _finish(run, as_json)


@migrate.command("baseline")
@click.argument("target", metavar="[NAME[.vN]]", required=False)
@click.option("--all", "all_", is_flag=True, help="Every migration in the registry.")
@click.option(
    "--verify",
    is_flag=True,
    help="First run each migration's validation steps and post-checks, read-only.",
)
@_session_options
@fleet_options("baseline")
def baseline_command(
    as_json: bool,
    project: Path | None,
    database: str | None,
    environment: str | None,
    **options: Any,
) -> None:
    """Record NAME (and what it needs), or --all, as applied without running them.

    For a database that already has their effects: one another tool (Flyway,
    Sqitch...) or a person migrated. Each is written to the history and the
    events as a baseline (status shows it) in its own transaction; one the
    history already has is refused. With --verify, a migration whose checks
    fail is not recorded, and the run stops there.
    """
    from ..commands import migrate as command

    database = _database(project, database, environment)
    with _Progress(enabled=not as_json) as progress:
        run = command.baseline(project, database, progress=progress, **options)
    _finish(run, as_json)


@migrate.command("confirm")
@click.argument("target", metavar="NAME[.vN]")
@click.option(
    "--by",
    required=True,
    metavar="WHO",
    help="Who did the work: one of the step's confirm_by owners, by name, or a"
    " handle or email [tool.contractspec.owners] maps one to (anyone when it"
    " names none).",
)
@click.option(
    "--step",
    type=click.IntRange(min=1),
    default=None,
    help="The step the run stopped at (1-based): refused if it waits elsewhere.",
)
@click.option("--note", metavar="TEXT", help="Recorded with the confirmation.")
@_session_options
def confirm_command(
    target: str,
    project: Path | None,
    database: str | None,
    environment: str | None,
    as_json: bool,
    **options: Any,
) -> None:
    """Confirm a person's work that a run of NAME stopped at (exit 5 of `up`).

    Runs the step's post-checks against the database, read-only. If they
    pass, records who confirmed it, when, the note and the fingerprints of
    the harness (events table and audit log); the next `migrate up` (or
    `down`, for a step of the down plan) continues after the step. If one
    fails, nothing is recorded and the failed check is shown (exit 1): finish
    the work, then confirm again.
    """
    from ..commands.migrate import confirm

    done = confirm(
        project, _database(project, database, environment), target, **options
    )
    if as_json:
        echo_json(json_value(done))
        return
    click.echo(done.message, err=True)
    click.echo(f"next: {done.next}", err=True)


@migrate.command("status")
@project_option
@database_option
@env_option
@json_option
@click.option(
    "--check",
    is_flag=True,
    help="Exit 1 when anything needs attention (for CI and deploy gates).",
)
@fleet_options("status")
def status_command(
    project: Path | None,
    database: str | None,
    environment: str | None,
    as_json: bool,
    check: bool,
) -> None:
    """Show every migration: applied, pending, drifted, stale harness, failed, unknown.

    \b
    applied   in the database with the spec's current fingerprint
    pending   not applied yet
    partly applied  not atomic, stopped part way; `up` continues after its done steps
    partly reverted  the same of its down plan; `down NAME` continues
    waiting   its up (or down) stopped at a person's work: `migrate confirm`
    A migration still to run that commits in parts says "not atomic" too.
    drifted   applied, but its spec changed since (rework: spec new-version NAME)
    unknown   in the database, but no spec in this project
    (baseline) recorded by `migrate baseline`, never run by contractspec
    The HARNESS column says whether the committed harness can run: ok,
    missing, unreadable (not a regular file, or over max_file_bytes), stale
    (its spec, its format or the shared runtime module changed: rebuild) or
    edited (by hand: its MIGRATION is not what the spec generates).
    RISK is computed from the spec: low, medium or high (the reasons are in
    --json and `contractspec show NAME`; docs/review.md has the rule).
    LAST FAILURE shows the error of a migration whose latest run failed.
    """
    from ..commands import migrate as command

    rows = command.status(project, _database(project, database, environment))
    attention = [row for row in rows if row.needs_attention]
    if as_json:
        echo_json([json_value(row) for row in rows])
    else:
        _status_table(rows)
    if check and attention:
        if not as_json:
            click.echo(f"{len(attention)} migration(s) need attention", err=True)
        raise Shown(f"{len(attention)} migration(s) need attention")


STATUS_HEADERS = [
    "KEY",
    "STATE",
    "HARNESS",
    "RISK",
    "APPLIED AT (UTC)",
    "BY",
    "TOOK",
    "LAST FAILURE",
]


def _status_cells(row: MigrationStatus) -> list[str]:
    state = row.state + (", not atomic" if row.not_atomic else "")
    if row.waiting is not None:
        state = f"waiting ({row.waiting.command} step {row.waiting.step})"
    return [
        row.key,
        state + (" (baseline)" if row.baseline else ""),
        row.harness,
        row.risk.level if row.risk else "-",
        (row.applied_at or "-")[:19].replace("T", " "),
        row.applied_by or "-",
        "-" if row.duration_ms is None else f"{row.duration_ms} ms",
        (row.last_failure or "")[:60],
    ]


def _status_table(rows: list[MigrationStatus]) -> None:
    """The table on stdout; each harness's problem and the counts on stderr."""
    click.echo(table([_status_cells(row) for row in rows], STATUS_HEADERS))
    for row in rows:
        if row.harness_problem:
            click.echo(f"{row.key}: {row.harness_problem}", err=True)
        if row.steps_done and row.waiting is None:
            done = ", ".join(map(str, row.steps_done))
            plan = "down" if row.state == "partly reverted" else "up"
            click.echo(
                f"{row.key}: {plan} steps {done} committed; `contractspec migrate"
                f" {plan} {row.key}` continues after them",
                err=True,
            )
        if row.waiting is not None:
            click.echo(
                f"{row.key}: waiting: {row.waiting.first_line}\n  when it is done:"
                f" {row.waiting.confirm}\n  then: contractspec migrate"
                f" {row.waiting.command}",
                err=True,
            )
    counts: dict[str, int] = {}
    for row in rows:
        counts[row.state] = counts.get(row.state, 0) + 1
    click.echo(
        ", ".join(f"{n} {state}" for state, n in counts.items()) or "no migrations",
        err=True,
    )


_create_options = _stack(
    click.argument("name"),
    project_option,
    click.option(
        "--title", help="One line for people (default: from the name's slug)."
    ),
    click.option("--description", default="", help="Longer context."),
    click.option("--domain", help="Owning domain (default: the name's first segment)."),
    click.option(
        "--owner",
        "owners",
        multiple=True,
        help="An owner (repeatable; default: your user name).",
    ),
    click.option("--tag", "tags", multiple=True, help="A tag (repeatable)."),
    click.option(
        "--stability",
        type=click.Choice(STABILITIES),
        default="in_creation",
        show_default=True,
    ),
    click.option(
        "--sql",
        "up_sql",
        help="The forward SQL; @FILE reads it from FILE, - from stdin (default: a"
        " placeholder that build refuses until it is replaced).",
    ),
    click.option(
        "--down-sql",
        help="SQL that undoes it, @FILE or - as for --sql (default: none, irreversible).",
    ),
    click.option(
        "--depends-on",
        multiple=True,
        metavar="NAME[.vN]",
        help="A dependency (repeatable; default: the current heads of the graph).",
    ),
    click.option("--no-depends", is_flag=True, help="Depend on nothing."),
    click.option(
        "--needed-by",
        multiple=True,
        metavar="NAME[.vN]",
        help="Add the new migration to the dependencies of this existing spec (repeatable; edited in place).",
    ),
    click.option(
        "--file",
        "path",
        type=click.Path(dir_okay=False, path_type=Path),
        help="Where to write the spec (default: <specs>/<context>/<slug>.py).",
    ),
    json_option,
)


def _create(
    name: str,
    project: Path | None,
    title: str | None,
    description: str,
    domain: str | None,
    owners: tuple[str, ...],
    tags: tuple[str, ...],
    stability: str,
    up_sql: str | None,
    down_sql: str | None,
    depends_on: tuple[str, ...],
    no_depends: bool,
    needed_by: tuple[str, ...],
    path: Path | None,
    as_json: bool,
) -> None:
    from ..commands.create import create
    from ..commands.spec import read_value

    up_sql = None if up_sql is None else read_value(up_sql)
    down_sql = None if down_sql is None else read_value(down_sql)
    if sys.stdin.isatty() and sys.stdout.isatty() and not as_json:
        title, owners = _ask(title, owners)
    created = create(
        name,
        project,
        title=title,
        description=description,
        domain=domain,
        owners=list(owners),
        tags=list(tags),
        stability=stability,
        up_sql=up_sql,
        down_sql=down_sql,
        depends_on=list(depends_on),
        no_dependencies=no_depends,
        needed_by=list(needed_by),
        path=path,
    )
    if as_json:
        echo_json(json_value(created))
        return
    click.echo(created.path)
    deps = ", ".join(created.dependencies) or "nothing"
    click.echo(
        f"created {created.key} (depends on {deps}); next: edit it, then contractspec build {name}",
        err=True,
    )


def _ask(
    title: str | None, owners: tuple[str, ...]
) -> tuple[str | None, tuple[str, ...]]:
    """On a terminal: the title and owners not given as options."""
    if title is None:
        title = click.prompt("Title", default="", show_default=False) or None
    if not owners:
        answer = click.prompt("Owners (comma-separated)")
        owners = tuple(o.strip() for o in answer.split(",") if o.strip())
    return title, owners


@migrate.command("create")
@_create_options
def create_command(**options: Any) -> None:
    """Scaffold a new spec file NAME, such as core.db.2025_06_add_invoices.

    Every value has a flag for scripts; on a terminal, missing title and
    owners are asked for. The new spec depends on the current heads of the
    graph unless --depends-on or --no-depends says otherwise, and it is
    validated before the command returns.
    """
    _create(**options)


@root.command("create")
@click.option(
    "--type",
    "kind",
    type=click.Choice(["migration"]),
    required=True,
    help="What to create (the original CLI's form).",
)
@_create_options
def create_type_command(kind: str, **options: Any) -> None:
    """Scaffold a spec: `create --type migration NAME` (same as `migrate create`)."""
    _create(**options)
