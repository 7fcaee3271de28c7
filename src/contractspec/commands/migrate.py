"""`migrate up/down/status`: the whole registry, through its committed harnesses.

What runs is what was reviewed: each migration's steps are read from its
committed harness file (the `MIGRATION` literal, parsed, never imported), and
run by the runtime whose source that harness embeds byte for byte. A harness
that is missing, built from another version of its spec (fingerprint header)
or by another generator version (runtime text) is refused before anything
runs; `contractspec build --check` remains the byte-level gate in CI.

One session (one connection, one lock) serves a whole run.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .. import __version__
from ..cachedir import JsonCache, cache_dir
from ..errors import (
    EXIT_SPEC,
    EXIT_USAGE,
    ConfigError,
    ContractspecError,
    DatabaseError,
    Interrupted,
    MigrationFailed,
    StaleError,
    UsageError,
)
from ..runtime import harness_runtime as runtime
from ..runtime import runtime_source
from . import Project, gc_paused, open_project

HEADER_PREFIX = (
    "# contractspec-"  # `# contractspec-fingerprint: …`, `# contractspec-generator: …`
)

Progress = Callable[[str, int, int, dict], None]  # (key, index, total, result)
Notice = Callable[[str], None]  # a line for people, such as whose lock we wait for
SHOWN_REFUSALS = 10  # harnesses named in a refusal; the rest are counted


@dataclass
class Harness:
    """A committed harness as the orchestrator sees it."""

    key: str
    path: Path
    display: str
    state: str = "ok"  # ok, missing, stale, foreign (another generator), edited
    problem: str | None = None  # why it cannot run, for people
    migration: dict | None = None

    def refuse(self, state: str, problem: str) -> Harness:
        self.state, self.problem = state, problem
        return self


def read_harness(
    project: Project,
    key: str,
    runtime: bytes | None = None,
    parse: bool = True,
    cache: HarnessCache | None = None,
) -> Harness:
    """Check one committed harness; with parse, also read its MIGRATION data.

    runtime: this contractspec's runtime source as UTF-8 (read once per command)."""
    from ..codegen.naming import harness_path

    path = harness_path(project.config, key)
    harness = Harness(key, path, project.config.relative(path))
    try:
        data = path.read_bytes()  # bytes: the 45 KB runtime is compared, never decoded
    except FileNotFoundError:
        return harness.refuse("missing", "missing")
    header = dict(
        line[len(HEADER_PREFIX) :].split(": ", 1)
        for line in data[:1000].decode("utf-8", "replace").splitlines()[:3]
        if line.startswith(HEADER_PREFIX) and ": " in line
    )
    generator = header.get("generator", "?")
    if generator != __version__:
        return harness.refuse(
            "foreign", f"built by contractspec {generator}, this is {__version__}"
        )
    if header.get("fingerprint") != project.fingerprint(key):
        return harness.refuse(
            "stale",
            "stale: its spec (or a file the spec runs) changed since it was built",
        )
    start = _runtime_start(data, runtime or runtime_source().encode("utf-8"))
    if start < 0:
        return harness.refuse(
            "edited",
            "its embedded runtime differs from this contractspec's (edited by hand?)",
        )
    if parse:
        head = data[:start]
        harness.migration = (
            cache.migration(harness.display, head)
            if cache
            else _migration_literal(head)
        )
        if harness.migration is None:
            return harness.refuse(
                "edited", "no MIGRATION literal found (edited by hand?)"
            )
    return harness


def _runtime_start(data: bytes, runtime: bytes) -> int:
    """Where the embedded runtime starts in a harness, or -1 if it isn't there verbatim.

    Found by its opening banner, searched from the end (the runtime ends the
    module; the head before it may quote anything), then compared whole: a
    memcmp, where searching for the whole 45 KB text took 40 µs a harness."""
    start = data.rfind(runtime[:300])
    return start if start >= 0 and data.startswith(runtime, start) else -1


def _migration_literal(head: bytes) -> dict | None:
    try:
        tree = ast.parse(head)  # bytes: decoded as Python source (UTF-8)
    except (SyntaxError, ValueError):  # ValueError: a NUL byte
        return None
    for node in tree.body:
        if (
            isinstance(node, ast.Assign)
            and len(node.targets) == 1
            and isinstance(node.targets[0], ast.Name)
            and node.targets[0].id == "MIGRATION"
        ):
            try:
                return ast.literal_eval(node.value)
            except ValueError:
                return None
    return None


def _json_data(value: Any) -> bool:
    """Whether value comes back unchanged from JSON (no tuples, sets, bytes...)."""
    if isinstance(value, dict):
        return all(isinstance(k, str) and _json_data(v) for k, v in value.items())
    if isinstance(value, list):
        return all(_json_data(item) for item in value)
    return value is None or isinstance(value, (str, int, float))


class HarnessCache(JsonCache):
    """Parsed MIGRATION literals by harness path, each with the sha256 of its head.

    Parsing the head (ast, then literal_eval) costs more than the rest of
    reading a harness; an unchanged head parses the same. A run reads only some
    harnesses (`up` the pending ones), so unlike the spec cache this one keeps
    what a run did not read: one entry per harness file, dropped once the file
    is gone.
    """

    def __init__(self, project: Project):
        self.root = project.config.root
        schema = f"contractspec-harnesses-1 {__version__}"
        super().__init__(cache_dir(self.root) / "harnesses.json", schema)
        self.changed = False

    def migration(self, name: str, head: bytes) -> dict | None:
        digest = self.key(head)
        entry = self.entries.get(name)
        if entry is not None and entry[0] == digest:
            return entry[1]
        migration = _migration_literal(head)
        if migration is not None and _json_data(migration):
            self.entries[name] = [digest, migration]
            self.changed = True
        return migration

    def save(self) -> None:
        if self.changed:
            self.write(
                {
                    name: e
                    for name, e in self.entries.items()
                    if (self.root / name).is_file()
                }
            )
            self.changed = False


def committed_harnesses(project: Project, keys: list[str]) -> list[Harness]:
    """The harnesses of keys; raise StaleError naming every one that cannot run."""
    runtime, cache = runtime_source().encode("utf-8"), HarnessCache(project)
    with gc_paused():
        harnesses = [read_harness(project, key, runtime, cache=cache) for key in keys]
    cache.save()
    bad = [h for h in harnesses if h.state != "ok"]
    if bad:
        states: dict[str, int] = {}
        for h in bad:
            states[h.state] = states.get(h.state, 0) + 1
        lines = [
            f"{h.display}: {h.problem} (harness of {h.key})"
            for h in bad[:SHOWN_REFUSALS]
        ]
        if len(bad) > SHOWN_REFUSALS:  # after an upgrade it can be every harness
            lines.append(f"... and {len(bad) - SHOWN_REFUSALS} more")
        raise StaleError(
            f"{len(bad)} harness{'es' if len(bad) != 1 else ''} cannot run"
            f" ({', '.join(f'{n} {state}' for state, n in states.items())}):\n  "
            + "\n  ".join(lines)
            + "\nrebuild with: contractspec build --all   (then review and commit the diff)"
        )
    return harnesses


# ---------------------------------------------------------------------------


@dataclass
class RunReport:
    command: str
    database: str
    applied: list[dict] = field(default_factory=list)  # results, in order
    skipped: list[str] = field(default_factory=list)  # already applied / nothing to do
    failed: dict | None = None
    not_attempted: list[str] = field(default_factory=list)
    rehearse: bool = False

    @property
    def ok(self) -> bool:
        return self.failed is None

    def as_dict(self) -> dict[str, Any]:
        return {
            "command": self.command,
            "database": runtime.redact_url(
                self.database, runtime.database_secrets(self.database)
            ),
            "rehearse": self.rehearse,
            "ok": self.ok,
            "applied": self.applied,
            "skipped": self.skipped,
            "failed": self.failed,
            "not_attempted": self.not_attempted,
        }


def database_error(exc: runtime.MigrationError) -> ContractspecError:
    """The runtime's failure as one of ours, keeping its exit code."""
    kind = {EXIT_SPEC: ConfigError, EXIT_USAGE: UsageError}.get(
        exc.exit_code, DatabaseError
    )
    return kind(str(exc))


@contextmanager
def _session(
    project: Project,
    lock_timeout: float,
    audit_log: str | None,
    lock: bool = True,
    notice: Notice | None = None,
) -> Iterator[runtime.Session]:
    """The runtime's session; its failures (connecting, locking, reading the
    history) and signals leave as errors of ours. SIGTERM, like Ctrl-C, rolls
    back the current migration (the runtime re-raises it once recorded)."""
    try:
        with (
            runtime.interruptible(),
            runtime.open_session(
                project.config.database_url(),
                lock_timeout=lock_timeout,
                audit_log=audit_log,
                lock=lock,
                notice=notice,
            ) as session,
        ):
            yield session
    except runtime.MigrationError as exc:
        raise database_error(exc) from None
    except KeyboardInterrupt as exc:
        message = "interrupted; rolled back"
        raise Interrupted(message, runtime.interrupt_code(exc)) from None


def _applied(session) -> dict[str, dict]:
    return {row["key"]: row for row in runtime.read_history(session)}


def _refuse_drift(project: Project, keys: list[str], applied: dict[str, dict]) -> None:
    """Before anything runs: refuse if any of keys was applied from another spec."""
    drifted = []
    for key in keys:
        if key in applied:
            expected = project.fingerprint(key)
            if applied[key]["spec_fingerprint"] != expected:
                drifted.append(
                    f"{key}: applied as {applied[key]['spec_fingerprint']}, spec is now"
                    f" {expected} ({project.specs[key].path})"
                )
    if drifted:
        raise MigrationFailed(
            "drift: these migrations changed after they were applied:\n  "
            + "\n  ".join(drifted)
            + "\nrestore the applied spec, or bump its version so the change runs as a new migration"
        )


def _run(
    session,
    report: RunReport,
    harnesses: list[Harness],
    apply: Callable,
    progress: Progress | None,
) -> RunReport:
    for index, harness in enumerate(harnesses):
        try:
            result = apply(
                session,
                harness.migration,
                rehearse=report.rehearse,
                base_dir=harness.path.parent,
            )
        except runtime.MigrationError as exc:
            report.failed = {"key": harness.key, "error": str(exc)}
            report.not_attempted = [h.key for h in harnesses[index + 1 :]]
            if progress:
                progress(
                    harness.key,
                    index,
                    len(harnesses),
                    {"status": "failed", "message": str(exc)},
                )
            return report
        if result["status"] in ("skipped", "not_applied"):  # another runner did it
            report.skipped.append(harness.key)
        else:
            report.applied.append(result)
        if progress:
            progress(harness.key, index, len(harnesses), result)
    return report


def up(
    project_dir: Path | None = None,
    database: str | None = None,
    target: str | None = None,
    *,
    rehearse: bool = False,
    dry_run: bool = False,
    audit_log: str | None = None,
    lock_timeout: float = 30.0,
    progress: Progress | None = None,
    notice: Notice | None = None,
) -> RunReport:
    """Apply every pending migration (or target and what it depends on), in dependency order."""
    project = open_project(project_dir, database)
    targets = [project.registry.lookup(target).key] if target else None
    order = [spec.key for spec in project.registry.order(targets)]
    report = RunReport("up", project.config.database, rehearse=rehearse)
    with _session(
        project, lock_timeout, audit_log, lock=not dry_run, notice=notice
    ) as session:
        # Read under the lock: what others applied is skipped.
        applied = _applied(session)
        _refuse_drift(project, order, applied)
        report.skipped = [key for key in order if key in applied]
        pending = committed_harnesses(
            project, [key for key in order if key not in applied]
        )
        if dry_run:
            report.not_attempted = [h.key for h in pending]
            return report
        if rehearse:
            # A rehearsal rolls back, so only migrations whose dependencies are
            # already applied can be rehearsed; the rest are reported as such.
            ready = [
                h
                for h in pending
                if all(d in applied for d in h.migration["dependencies"])
            ]
            report.not_attempted = [h.key for h in pending if h not in ready]
            pending = ready
        return _run(session, report, pending, runtime.apply_up, progress)


def down(
    project_dir: Path | None = None,
    database: str | None = None,
    target: str | None = None,
    *,
    steps: int | None = None,
    rehearse: bool = False,
    dry_run: bool = False,
    audit_log: str | None = None,
    lock_timeout: float = 30.0,
    progress: Progress | None = None,
    notice: Notice | None = None,
) -> RunReport:
    """Revert target, or the last `steps` applied migrations, in reverse dependency order."""
    if target and steps is not None:
        raise UsageError("give a migration NAME or --steps N, not both")
    if steps is not None and steps < 1:
        raise UsageError("--steps must be at least 1")
    project = open_project(project_dir, database)
    registry = project.registry
    order = [spec.key for spec in registry.order()]
    report = RunReport("down", project.config.database, rehearse=rehearse)
    with _session(
        project, lock_timeout, audit_log, lock=not dry_run, notice=notice
    ) as session:
        applied = _applied(session)
        unknown = sorted(set(applied) - set(order))
        if target:
            key = registry.lookup(target).key
            if key not in applied:
                report.skipped = [key]
                return report
            blocking = [
                k for k in order if k in applied and key in registry.dependencies(k)
            ]
            if blocking:
                raise MigrationFailed(
                    f"cannot revert {key}: applied migrations depend on it: {', '.join(blocking)}"
                    f"\nrevert them first (contractspec migrate down --steps {len(blocking) + 1}"
                    " reverts the most recent ones)"
                )
            chosen = [key]
        else:
            if unknown:
                raise MigrationFailed(
                    "the database has migrations this registry does not know: "
                    + ", ".join(unknown)
                    + "; revert by NAME, or restore their specs"
                )
            chosen = _most_recent(registry, order, applied, steps or 1)
        _refuse_drift(project, chosen, applied)  # all of them, before reverting one
        harnesses = committed_harnesses(project, chosen)
        irreversible = [h.key for h in harnesses if h.migration.get("down") is None]
        if irreversible:  # refuse before reverting anything, not halfway through
            raise MigrationFailed(
                f"cannot revert {', '.join(irreversible)}: irreversible (no down plan);"
                " nothing was reverted. Write a new migration that undoes it instead."
            )
        if dry_run:
            report.not_attempted = chosen
            return report
        return _run(session, report, harnesses, runtime.apply_down, progress)


def _most_recent(
    registry, order: list[str], applied: dict[str, dict], count: int
) -> list[str]:
    """The `count` most recently applied migrations, latest first, never one
    before an applied migration that depends on it. Ties on applied_at (one
    run can apply several in a millisecond) go to the later in dependency order."""
    position = {key: index for index, key in enumerate(order)}
    remaining = [key for key in order if key in applied]
    dependents = dict.fromkeys(remaining, 0)  # applied ones that depend on each
    for key in remaining:
        for dependency in registry.dependencies(key):
            if dependency in dependents:
                dependents[dependency] += 1
    chosen: list[str] = []
    while len(chosen) < count and remaining:
        free = [key for key in remaining if not dependents[key]]
        key = max(free, key=lambda k: (str(applied[k]["applied_at"]), position[k]))
        chosen.append(key)
        remaining.remove(key)
        for dependency in registry.dependencies(key):
            if dependency in dependents:
                dependents[dependency] -= 1
    return chosen


# ---------------------------------------------------------------------------


def status(
    project_dir: Path | None = None,
    database: str | None = None,
    lock_timeout: float = 30.0,
) -> list[dict[str, Any]]:
    """One row per known migration and per unknown history row.

    state: applied, pending, drifted (applied from another spec fingerprint),
    unknown (in the database, not in the registry); plus `harness` (ok,
    missing, stale...) and `last_failure` when the latest run of it failed.
    """
    project = open_project(project_dir, database)
    order = [spec.key for spec in project.registry.order()]
    runtime = runtime_source().encode("utf-8")
    with _session(project, lock_timeout, None, lock=False) as session:
        applied = _applied(session)
        failures = _last_failures(session)
    rows = []
    for key in order:
        harness = read_harness(project, key, runtime, parse=False)
        row: dict[str, Any] = {
            "key": key,
            "state": "pending",
            "harness": harness.state,
            "path": project.specs[key].path,
        }
        history = applied.get(key)
        if history:
            expected = project.fingerprint(key)
            row["state"] = (
                "applied" if history["spec_fingerprint"] == expected else "drifted"
            )
            row.update(
                applied_at=str(history["applied_at"]),
                applied_by=history["applied_by"],
                duration_ms=history["duration_ms"],
                spec_fingerprint=history["spec_fingerprint"],
            )
            if row["state"] == "drifted":
                row["expected_fingerprint"] = expected
        failure = failures.get(key)
        if failure and (not history or str(failure["at"]) > str(history["applied_at"])):
            row["last_failure"] = failure["error"]
        rows.append(row)
    for key in sorted(set(applied) - set(order)):
        history = applied[key]
        rows.append(
            {
                "key": key,
                "state": "unknown",
                "harness": "-",
                "path": None,
                "applied_at": str(history["applied_at"]),
                "applied_by": history["applied_by"],
                "duration_ms": history["duration_ms"],
                "spec_fingerprint": history["spec_fingerprint"],
            }
        )
    return rows


def needs_attention(row: dict[str, Any]) -> bool:
    return (
        row["state"] != "applied"
        or row["harness"] not in ("ok", "-")
        or "last_failure" in row
    )


def _last_failures(session) -> dict[str, dict]:
    """Per migration, the run_end event of its latest run if that run failed."""
    latest: dict[str, dict] = {}
    for event in runtime.read_events(
        session, event="run_end"
    ):  # in order: the last wins
        latest[event["migration"]] = event
    return {k: e for k, e in latest.items() if e["status"] == "failed"}
