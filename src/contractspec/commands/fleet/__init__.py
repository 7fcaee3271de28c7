"""`migrate up|down|baseline|status --fleet NAME`: one command over many
databases, or schemas of one PostgreSQL database (docs/fleets.md).

The project is loaded and its harnesses checked once, before the first
target; then each target is one database through migrate's own functions
(work.py), in waves, by workers (engine.py), written to the report as it
goes (report.py). The orchestrator keeps no state of its own: each target's
history is the truth, so a killed run is simply run again. Beyond one
machine, `--shard i/N` runs one share of the fleet (targets.py)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, cast

from ... import runtime
from ...config import Config, load_config
from ...errors import Interrupted, UsageError
from ...project import open_project
from ...runtime.clock import utcnow
from ..migrate.harnesses import (
    check_runtime_module,
    committed_harnesses,
    read_harnesses,
)
from ..migrate.runs import baseline_order, check_down_options, up_order
from .engine import Between, Control, Engine, OnOutcome, Outcome, Totals
from .report import REPORT_FORMAT, ReportWriter, histogram, open_audit
from .targets import Shard, Wave, fleet_spec, fleet_targets, parse_shard, waves_of
from .work import Context, run_target

COMMANDS = ("up", "down", "baseline", "status")
ON_ERROR = ("stop", "continue")

__all__ = [
    "COMMANDS",
    "ON_ERROR",
    "FleetResult",
    "Outcome",
    "Shard",
    "Totals",
    "Wave",
    "run_fleet",
]


@dataclass
class FleetResult:
    command: str
    fleet: str
    shard: Shard | None
    waves: list[Wave]
    outcomes: list[Outcome]
    # status: the harnesses that cannot run (said once, not per target), and
    # the last migration in dependency order
    harness_problems: list[str] = field(default_factory=list)
    latest: str | None = None

    @property
    def ok(self) -> bool:
        """Every target synced (status), or done as asked."""
        if self.command == "status":
            return all(o.state == "synced" for o in self.outcomes)
        return all(o.ok for o in self.outcomes)

    @property
    def not_ok(self) -> list[Outcome]:
        wanted = ("synced",) if self.command == "status" else ("ok", "pending")
        return [o for o in self.outcomes if o.state not in wanted]

    def summary(self) -> dict[str, Any]:
        states: dict[str, int] = {}
        for outcome in self.outcomes:
            states[outcome.state] = states.get(outcome.state, 0) + 1
        summary: dict[str, Any] = {
            "command": self.command,
            "fleet": self.fleet,
            "shard": str(self.shard) if self.shard else None,
            "targets": len(self.outcomes),
            "ok": self.ok,
            "states": states,
        }
        if self.command == "status":
            summary["heads"] = histogram(self.outcomes)["heads"]
            summary["latest"] = self.latest
            summary["harness_problems"] = self.harness_problems
        return summary

    def as_dict(self) -> dict[str, Any]:
        return {**self.summary(), "results": [o.as_dict() for o in self.outcomes]}


def run_fleet(
    command: str,
    fleet: str,
    project_dir: Path | None = None,
    *,
    name: str | None = None,
    to: str | None = None,
    steps: int | None = None,
    all_: bool = False,
    rehearse: bool = False,
    dry_run: bool = False,
    verify: bool = False,
    parallel: int = 1,
    on_error: str | None = None,
    max_failures: int | None = None,
    shard: str | None = None,
    shards: int | None = None,
    report: str | None = None,
    audit_log: str | None = None,
    lock_timeout: float = 30.0,
    scripts_dirs: Sequence[Path] = (),
    on_outcome: OnOutcome | None = None,
    on_locked: Callable[[Outcome], None] | None = None,
    notice: Callable[[str], None] | None = None,
    between_waves: Between | None = None,
) -> FleetResult:
    """Run command (up, down, baseline, status) on every target of the fleet
    (or of its shard). Failures of targets are outcomes, not errors: raises
    only for the run as a whole (usage, config, a stale harness, Ctrl-C)."""
    budget = _budget(command, on_error, max_failures)
    if parallel < 1:
        raise UsageError("--parallel must be at least 1")
    chosen = parse_shard(shard, shards)
    config = load_config(project_dir)
    spec = fleet_spec(config, fleet)
    context = _context(
        command, name, to, steps, all_, rehearse, dry_run, verify, project_dir, config
    )
    targets = fleet_targets(config, spec)
    waves, unmatched = waves_of(config, spec, targets)
    for line in unmatched:
        if notice is not None:
            notice(f"fleet {fleet!r}: {line}")
    if chosen is not None:
        waves = [Wave(w.name, [t for t in w.targets if chosen.holds(t)]) for w in waves]
        waves = [wave for wave in waves if wave.targets]
    problems = _harness_problems(context) if command == "status" else []
    latest = context.order[-1] if context.order else None
    result = FleetResult(command, fleet, chosen, waves, [], problems, latest)
    total = sum(len(wave.targets) for wave in waves)
    writer = ReportWriter(report) if report else None
    audit = open_audit(audit_log)
    try:
        if writer is not None:
            writer.line(
                "run",
                {
                    "format": REPORT_FORMAT,
                    "command": command,
                    "fleet": fleet,
                    "shard": str(chosen) if chosen else None,
                    "targets": total,
                    "waves": [[wave.name, len(wave.targets)] for wave in waves],
                    "started_at": utcnow(),
                },
            )

        def finished(outcome: Outcome, totals: Totals) -> None:
            if writer is not None:
                writer.line("target", outcome.as_dict())
            if on_outcome is not None:
                on_outcome(outcome, totals)

        control = Control(
            lock_timeout, cast("IO[str] | None", audit), config, scripts_dirs
        )
        engine = Engine(
            lambda target, control: run_target(context, target, control),
            control,
            parallel,
            budget,
            total,
            finished,
            on_locked or (lambda outcome: None),
            retry_locked=command != "status",  # status: a lock is what it reports
        )
        try:
            with runtime.interruptible():
                result.outcomes = engine.run(waves, between_waves)
        except KeyboardInterrupt as exc:
            control.interrupt()
            seen = {o.target for o in engine.outcomes}
            for wave in waves:
                engine.not_started(
                    wave, [t for t in wave.targets if t.name not in seen]
                )
            result.outcomes = engine.outcomes
            if writer is not None:
                writer.line("summary", {**result.summary(), "interrupted": True})
            code = runtime.interrupt_code(exc)
            raise Interrupted(
                "interrupted; the migrations running were rolled back", code
            ) from None
        if writer is not None:
            writer.line("summary", result.summary())
    finally:
        if writer is not None:
            writer.close()
        if audit is not None:
            audit.close()
    return result


def _budget(command: str, on_error: str | None, max_failures: int | None) -> int | None:
    """How many targets may fail before no new one starts (None: any number).
    status reads every target, whatever it finds."""
    if command == "status":
        if on_error is not None or max_failures is not None:
            raise UsageError(
                "status reads every target: --on-error and --max-failures are"
                " for up, down and baseline"
            )
        return None
    if on_error is not None and on_error not in ON_ERROR:
        raise UsageError(f"--on-error is {' or '.join(ON_ERROR)}, not {on_error!r}")
    if max_failures is not None:
        if max_failures < 0:
            raise UsageError("--max-failures must be at least 0")
        if on_error == "stop":
            raise UsageError(
                "--max-failures K goes with --on-error continue (stop: K is 0)"
            )
        return max_failures
    return None if on_error == "continue" else 0


def _context(
    command: str,
    name: str | None,
    to: str | None,
    steps: int | None,
    all_: bool,
    rehearse: bool,
    dry_run: bool,
    verify: bool,
    project_dir: Path | None,
    config: Config,
) -> Context:
    """The project, loaded and checked once: what each target then runs."""
    if command not in COMMANDS:
        raise UsageError(f"a fleet runs {', '.join(COMMANDS)}, not {command}")
    if command == "down":
        check_down_options(name, steps, to, all_)
    project = open_project(project_dir, config=config)
    everything = [spec.key for spec in project.registry.order()]
    named = None
    if command == "up":
        if name and to:
            raise UsageError("give a migration NAME or --to NAME, not both")
        order = up_order(project.registry, name, to)
    elif command == "baseline":
        order, keys = baseline_order(project, name, all_)
        named = keys[0] if keys else None
    else:
        order, named = everything, name
    harnesses = {}
    if command != "status":  # all of them before the first target: refused or run
        harnesses = {h.key: h for h in committed_harnesses(project, order)}
    return Context(
        project,
        command,
        order,
        {key: project.fingerprint(key) for key in everything},
        harnesses,
        rehearse=rehearse,
        dry_run=dry_run,
        verify=verify,
        named=named,
        steps=steps,
        to=to,
        all_=all_,
    )


def _harness_problems(context: Context) -> list[str]:
    """status: the harnesses that cannot run, once for the whole fleet."""
    project = context.project
    problems = [
        f"{h.display}: {h.problem} (harness of {h.key})"
        for h in read_harnesses(project, context.order)
        if h.problem
    ]
    runtime_problem = check_runtime_module(project) if context.order else None
    return ([runtime_problem] if runtime_problem else []) + problems
