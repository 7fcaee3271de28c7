"""`--fleet NAME` and its options on `migrate up|down|baseline|status`: with
--fleet, the command runs over every target of the fleet (docs/fleets.md);
without it, none of these options may be given."""

from __future__ import annotations

import functools
import sys
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import click

from ..errors import Shown, UsageError
from .options import Decorator, F, ask_or_refuse, echo_json, table

if TYPE_CHECKING:
    from ..commands.fleet import FleetResult, Outcome, Totals, Wave

TOTAL_EVERY_S = 2.0  # a running total line at most this often (and at the end)
SHOWN_NOT_SYNCED = 50  # status lists this many targets that are not synced

_OPTIONS: dict[str, Decorator] = {  # by parameter name
    "fleet": click.option(
        "--fleet",
        metavar="NAME",
        help="Run over every target of [tool.contractspec.fleets.NAME]: its"
        " databases, or the schemas of one PostgreSQL database (docs/fleets.md).",
    ),
    "parallel": click.option(
        "--parallel",
        type=click.IntRange(min=1),
        default=None,
        metavar="N",
        help="--fleet: N targets at once (N connections at most). Default 1.",
    ),
    "on_error": click.option(
        "--on-error",
        type=click.Choice(["stop", "continue"]),
        default=None,
        help="--fleet: after a target fails, start no new target (stop, the"
        " default; running ones finish their current migration) or go on.",
    ),
    "max_failures": click.option(
        "--max-failures",
        type=click.IntRange(min=0),
        default=None,
        metavar="K",
        help="--fleet: go on after failures, until more than K targets failed"
        " (the failure budget; the next wave starts only within it).",
    ),
    "pause": click.option(
        "--pause",
        is_flag=True,
        help="--fleet: between two waves, wait for Enter (end of input stops).",
    ),
    "pause_seconds": click.option(
        "--pause-seconds",
        type=click.FloatRange(min=0),
        default=None,
        metavar="S",
        help="--fleet: between two waves, wait S seconds.",
    ),
    "report": click.option(
        "--report",
        metavar="FILE",
        help="--fleet: write a JSON Lines report to FILE as the run goes (one line"
        " per target: state, migrations, duration, error; then a summary).",
    ),
    "shard": click.option(
        "--shard",
        metavar="i/N|k8s",
        help="--fleet: only the targets of shard i of N (by a stable hash of each"
        " target, i from 0), or k8s: i from $JOB_COMPLETION_INDEX, N from --shards.",
    ),
    "shards": click.option(
        "--shards",
        type=click.IntRange(min=1),
        default=None,
        metavar="N",
        help="--fleet --shard k8s: how many shards (the Indexed Job's completions).",
    ),
}
# status reads every target, whatever it finds: no budget, nothing to pause for
_CHANGES_ONLY = ("on_error", "max_failures", "pause", "pause_seconds")


def fleet_options(command: str) -> Decorator:
    """--fleet and its options on `migrate COMMAND`."""

    names = [n for n in _OPTIONS if command != "status" or n not in _CHANGES_ONLY]

    def apply(function: F) -> F:
        @functools.wraps(function)
        def wrapper(**options: Any) -> Any:
            fleet = {name: options.pop(name, None) for name in _OPTIONS}
            if fleet["fleet"] is None:
                given = [n for n in names if fleet[n] not in (None, False)]
                if given:
                    flag = "--" + given[0].replace("_", "-")
                    raise UsageError(f"{flag} goes with --fleet NAME")
                return function(**options)
            return _run(command, fleet, options)

        for name in reversed(names):
            wrapper = _OPTIONS[name](wrapper)
        return wrapper  # type: ignore[return-value]

    return apply


def _run(command: str, fleet: dict[str, Any], options: dict[str, Any]) -> None:
    from ..commands.fleet import run_fleet

    for flag, name in (("--database", "database"), ("--env", "environment")):
        if options.pop(name, None) is not None:
            raise UsageError(f"{flag} and --fleet: the fleet names its databases")
    if options.pop("accept_risk", None):  # gates are an environment's
        raise UsageError("--accept-risk goes with --env NAME, not with --fleet")
    if options.pop("single_transaction", None):
        raise UsageError(
            "--single-transaction and --fleet: each target commits each migration"
        )
    if fleet["pause"] and fleet["pause_seconds"] is not None:
        raise UsageError("give --pause or --pause-seconds, not both")
    as_json = options.pop("as_json")
    options.pop("check", None)  # status --fleet exits 1 unless every target is synced
    if command == "down" and not options.pop("yes") and not options["dry_run"]:
        name = fleet["fleet"]
        ask_or_refuse(
            f"revert migrations on every target of fleet {name!r}?",
            f"nothing reverted on fleet {name!r} (answer yes, or pass --yes)",
        )
    output = _Output(command, enabled=not as_json)
    try:
        result = run_fleet(
            command,
            fleet["fleet"],
            options.pop("project"),
            name=options.pop("target", None),
            parallel=fleet["parallel"] or 1,
            on_error=fleet["on_error"],
            max_failures=fleet["max_failures"],
            shard=fleet["shard"],
            shards=fleet["shards"],
            report=fleet["report"],
            on_outcome=output.outcome,
            on_locked=output.locked,
            notice=output.notice,
            between_waves=_between(fleet["pause"], fleet["pause_seconds"], output),
            **options,
        )
    finally:
        output.close()  # what progress holds back, also when interrupted
    if as_json:
        echo_json(result.as_dict())
    elif command == "status":
        _print_status(result)
    else:
        _print_run(result)
    if not result.ok:
        bad = result.not_ok
        what = "not synced" if command == "status" else "not done"
        raise Shown(f"{len(bad)} target{'s' if len(bad) != 1 else ''} {what}")


class _Output:
    """One line per finished target, and a running total with an ETA."""

    def __init__(self, command: str, enabled: bool) -> None:
        from .migrate import _Progress

        self.command, self.enabled = command, enabled
        self.lines = _Progress(enabled)
        self.last_total = time.monotonic()
        self.totals: Totals | None = None

    def outcome(self, outcome: Outcome, totals: Totals) -> None:
        if not self.enabled:
            return
        self.totals = totals
        if self.command != "status":  # status: the histogram says it all at the end
            detail = _detail(self.command, outcome)
            line = f"{outcome.state:<11} {outcome.target}{detail}"
            self.lines(outcome.target, totals.done - 1, totals.total, line)
        if time.monotonic() - self.last_total >= TOTAL_EVERY_S:
            self.total()

    def locked(self, outcome: Outcome) -> None:
        self.notice(
            f"locked      {outcome.target}: {outcome.error}; retried at the end of wave {outcome.wave}"
        )

    def notice(self, line: str) -> None:
        if self.enabled:
            self.lines.flush()
            click.echo(line, err=True)

    def total(self) -> None:
        totals = self.totals
        if totals is None:
            return
        self.last_total = time.monotonic()
        eta = totals.eta_s
        when = "" if eta is None or not totals.remaining else f", ETA {_clock(eta)}"
        self.notice(
            f"total: {totals.done}/{totals.total} done ({totals.failed} failed),"
            f" {totals.remaining} remaining{when}"
        )

    def close(self) -> None:
        self.total()
        self.lines.flush()


_DONE = {"up": "applied", "down": "reverted", "baseline": "recorded"}


def _detail(command: str, outcome: Outcome) -> str:
    parts = []
    if outcome.done:
        parts.append(f"{len(outcome.done)} {_DONE[command]}")
    if outcome.pending:
        parts.append(f"{len(outcome.pending)} pending")
    if outcome.duration_ms:
        parts.append(f"{outcome.duration_ms:.0f} ms")
    text = f" ({', '.join(parts)})" if parts else ""
    return text + (f": {outcome.error}" if outcome.error else "")


def _clock(seconds: float) -> str:
    seconds = int(seconds + 0.5)
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


def _between(
    pause: bool, seconds: float | None, output: _Output
) -> Callable[[Wave, Wave], bool] | None:
    if not pause and seconds is None:
        return None

    def between(done: Wave, upcoming: Wave) -> bool:
        output.total()
        what = f"wave {done.name} done; next: wave {upcoming.name} ({len(upcoming.targets)} targets)"
        if seconds is not None:
            output.notice(f"{what}, in {seconds:g} s")
            time.sleep(seconds)
            return True
        output.notice(f"{what}: press Enter to start it (end of input stops here)")
        return bool(sys.stdin.readline())

    return between


def _print_run(result: FleetResult) -> None:
    states: dict[str, int] = result.summary()["states"]
    counts = ", ".join(f"{n} {state}" for state, n in states.items()) or "no targets"
    shard = f" (shard {result.shard})" if result.shard else ""
    click.echo(
        f"fleet {result.fleet}{shard}: {len(result.outcomes)} targets: {counts}",
        err=True,
    )
    for outcome in result.not_ok:
        if outcome.error:
            click.echo(f"{outcome.state}: {outcome.target}: {outcome.error}", err=True)


def _print_status(result: FleetResult) -> None:
    summary = result.summary()
    latest = summary["latest"]
    rows = [
        [head + (" (latest)" if head == latest else ""), str(n)]
        for head, n in summary["heads"].items()
    ]
    click.echo(table(rows, ["AT (LAST APPLIED)", "TARGETS"]))
    not_synced = result.not_ok
    if not_synced:
        click.echo()
        rows = [
            [
                o.target,
                o.state,
                str(len(o.pending)),
                (o.error or ", ".join(o.drifted or o.unknown))[:80],
            ]
            for o in not_synced[:SHOWN_NOT_SYNCED]
        ]
        click.echo(table(rows, ["TARGET", "STATE", "PENDING", "WHY"]))
        if len(not_synced) > SHOWN_NOT_SYNCED:
            click.echo(
                f"... and {len(not_synced) - SHOWN_NOT_SYNCED} more (--json lists them all)"
            )
    for problem in summary["harness_problems"]:
        click.echo(problem, err=True)
    counts = ", ".join(f"{n} {state}" for state, n in summary["states"].items())
    shard = f" (shard {result.shard})" if result.shard else ""
    click.echo(
        f"fleet {result.fleet}{shard}: {len(result.outcomes)} targets: {counts or 'none'}",
        err=True,
    )
