"""`migrate up/down/status`: the whole registry, through its committed harnesses.

What runs is what was reviewed, and what was reviewed is what the spec
generates: before anything runs, each harness is checked against its spec
today. A harness that is missing, in an older format, built from another
version of its spec (its fingerprint header) or edited by hand (its
`MIGRATION` differs from what the spec generates) is refused, with the fix;
so is a shared runtime package with a file missing or not byte-identical to this
contractspec's runtime. `contractspec build --check` remains the byte-level
gate in CI.

One session (one connection, one lock) serves a whole run.
"""

from __future__ import annotations

import ast
import os
import re
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

from .. import runtime, writer
from ..errors import (
    EXIT_SPEC,
    EXIT_USAGE,
    ConfigError,
    ContractspecError,
    DatabaseError,
    FileRefused,
    Interrupted,
    MigrationFailed,
    StaleError,
    UsageError,
)
from ..files import read_project_file
from ..registry import MigrationRegistry
from . import Project, gc_paused, open_project

Progress = Callable[
    [str, int, int, Mapping[str, object]], None
]  # (key, index, total, result)
Notice = Callable[[str], None]  # a line for people, such as whose lock we wait for
SHOWN_REFUSALS = 10  # harnesses named in a refusal; the rest are counted
SHOWN_DIFF_LINES = 12  # of an edited harness's diff, in a refusal
REBUILD = "contractspec build --all   (then review and commit the diff)"


@dataclass
class CommittedHarness:
    """A committed harness as the orchestrator sees it."""

    key: str
    path: Path
    display: str
    state: str = "ok"  # ok, missing, unreadable, stale, edited
    problem: str | None = None  # why it cannot run, for people
    # What runs: the checked MIGRATION data with its spec fingerprint.
    migration: runtime.Migration | None = None

    @property
    def checked(self) -> runtime.Migration:
        """The MIGRATION that runs: only a harness in state ok has one."""
        if self.migration is None:
            raise ValueError(f"{self.display} cannot run: {self.problem}")
        return self.migration

    def refuse(self, state: str, problem: str) -> CommittedHarness:
        self.state, self.problem = state, problem
        return self


def _read_generated(project: Project, path: Path) -> bytes | None:
    """A harness's or runtime file's bytes, read as every project file is
    (bounded, a regular file, without blocking); None when it is missing."""
    try:
        return read_project_file(path, project.config.files)
    except FileRefused:
        if os.path.lexists(path):
            raise
        return None  # missing (or its folder is): the callers say how to restore it


def _runnable(migration: dict[str, Any], fingerprint: str) -> runtime.Migration:
    """MIGRATION data with its spec fingerprint, as the runtime runs it (which
    checks its shape first)."""
    return cast("runtime.Migration", dict(migration, spec_fingerprint=fingerprint))


def read_harness(project: Project, key: str, check: HarnessCheck) -> CommittedHarness:
    """Check one committed harness against what its spec generates today."""
    from ..codegen.generate import expected_migration
    from ..codegen.naming import harness_path

    path = harness_path(project.config, key)
    harness = CommittedHarness(key, path, check.prefix + path.name)
    try:
        data = _read_generated(project, path)
    except FileRefused as exc:
        return harness.refuse("unreadable", str(exc))
    if data is None:
        return harness.refuse("missing", "missing")
    header = runtime.harness_header(data)
    other_format = _other_format(header)
    if other_format:
        return harness.refuse("stale", f"stale: {other_format}")
    fingerprint = project.fingerprint(key)
    if runtime.spec_fingerprint_of(header.get("fingerprint", "")) != fingerprint:
        return harness.refuse(
            "stale",
            "stale: its spec (or a file the spec runs) changed since it was built",
        )
    expected = expected_migration(project, key)
    if not check.agrees(data, expected):
        return harness.refuse(
            "edited",
            "edited: it is not what its spec generates (changed by hand?);"
            f" restore it with: contractspec build {key}, then review",
        )
    harness.migration = _runnable(expected, fingerprint)
    return harness


def _other_format(header: dict[str, str]) -> str | None:
    """Why a harness's format is not the one this contractspec writes (None: it is)."""
    found = header.get("format")
    if found == str(runtime.HARNESS_FORMAT):
        return None
    return (
        f"harness format {found or '1 (the runtime embedded in every harness)'},"
        f" this contractspec writes format {runtime.HARNESS_FORMAT}"
    )


ENTRY_POINT_IMPORTS = [["os"], ["sys"]]

# What build writes before MIGRATION, decoded as UTF-8: the three header lines
# (the first never a PEP 263 coding declaration, which would make Python read
# the file in another encoding), a docstring without quotes, backslashes or
# carriage returns (so: one plain string literal) and the entry points'
# imports. A harness that starts any other way is parsed instead.
_PLAIN_PREAMBLE = re.compile(
    rb"# Code generated by contractspec from (?![^\n]*coding[:=])[^\r\n]*\n"
    rb"# contractspec-fingerprint: sha256:[0-9a-f]{64} MIGRATION=sha256:[0-9a-f]{64}\n"
    rb"# contractspec-format: [0-9]+\n"
    rb'"""[^"\\\r\x00]*"""\n\n'
    + re.escape("".join(f"import {n[0]}\n" for n in ENTRY_POINT_IMPORTS).encode())
    + rb"\n"
)


def _preamble_is_generated(body: list[ast.stmt]) -> bool:
    """A docstring, then exactly the entry points' imports."""
    if len(body) != len(ENTRY_POINT_IMPORTS) + 1:
        return False
    doc, *imports = body
    if not (isinstance(doc, ast.Expr) and isinstance(doc.value, ast.Constant)):
        return False
    names = [[a.name for a in i.names] for i in imports if isinstance(i, ast.Import)]
    return names == ENTRY_POINT_IMPORTS and not any(
        a.asname for i in imports if isinstance(i, ast.Import) for a in i.names
    )


def _migration_literal(data: bytes, tail: bytes) -> dict[str, Any] | None:
    """A harness's MIGRATION, if the harness has exactly the generated shape.

    The shape: the entry points are this contractspec's, byte for byte, and
    before them come only a docstring, their imports and MIGRATION (literal
    data, never executed). Anything else is an edit, whatever MIGRATION says."""
    if not data.endswith(tail):
        return None
    try:
        tree = ast.parse(data[: len(data) - len(tail)])  # bytes: decoded as UTF-8
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        return None
    if not tree.body or not _preamble_is_generated(tree.body[:-1]):
        return None
    assign = tree.body[-1]
    if not (
        isinstance(assign, ast.Assign)
        and [ast.unparse(target) for target in assign.targets] == ["MIGRATION"]
    ):
        return None
    try:
        value = ast.literal_eval(assign.value)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return None
    return value if isinstance(value, dict) else None


class HarnessCheck:
    """Whether committed harnesses hold exactly what their specs generate.

    The fast way, for a harness as build wrote it: print the MIGRATION the
    spec generates (the printer build uses) and compare bytes, after a plain
    preamble and before this contractspec's entry points. Any other layout
    (black's, for a line too long to keep) is parsed and compared as data:
    slower, the same answer. No cache: printing costs what looking one up did.
    """

    def __init__(self, project: Project):
        from ..codegen.generate import tail_source
        from ..codegen.literals import migration_literal

        self.print = migration_literal
        folder = project.config.relative(project.config.harness_dir)
        self.prefix = "" if folder == "." else folder + "/"  # of harness paths shown
        self.tail = tail_source().encode("utf-8")

    def agrees(self, data: bytes, expected: dict[str, Any]) -> bool:
        """Whether a harness is the preamble, `expected` as MIGRATION, the tail."""
        tail = self.tail
        head = data[: len(data) - len(tail)]
        start = head.find(b"\nMIGRATION = ") + 1
        printed = f"MIGRATION = {self.print(expected)}\n"
        if (
            start
            and data.endswith(tail)
            and head[start:] == printed.encode("utf-8")
            and _PLAIN_PREAMBLE.fullmatch(head, 0, start)
        ):
            return True
        return _migration_literal(data, tail) == expected


def _edit_diff(project: Project, harness: CommittedHarness) -> str:
    """The start of the diff that `contractspec build KEY` would make (for a refusal)."""
    from ..codegen.generate import generate
    from ..format import default_cache

    wanted = generate(project, [harness.key], cache=default_cache(project.config.root))
    try:
        old = _read_generated(project, harness.path)
    except FileRefused:
        old = None  # replaced since it was read: no diff to show
    new = wanted[0].source.encode("utf-8")
    change = writer.Change(harness.path, harness.display, writer.UPDATED, old, new)
    lines = writer.unified_diff(change).splitlines()
    shown = lines[2 : 2 + SHOWN_DIFF_LINES]  # the a/ b/ file names are said already
    if len(lines) > len(shown) + 2:
        shown.append("...")
    return "".join(f"\n      {line}" for line in shown)


def check_runtime_module(project: Project) -> str | None:
    """Why the harness folder's runtime package can't run (None: every file of
    it is this contractspec's runtime, byte for byte)."""
    from ..codegen.generate import runtime_files

    for wanted in runtime_files(project.config):
        try:
            data = _read_generated(project, wanted.path)
        except FileRefused as exc:
            return f"{wanted.display} {exc}"
        if data is None:
            return f"{wanted.display}: missing (the runtime every harness loads)"
        if data != wanted.source.encode("utf-8"):
            return f"{wanted.display}: not this contractspec's runtime (another release, or edited)"
    return None


def committed_harnesses(project: Project, keys: list[str]) -> list[CommittedHarness]:
    """The harnesses of keys; raise StaleError naming every one that cannot run
    (and the shared runtime package, when it can't)."""
    check = HarnessCheck(project)
    with gc_paused():
        harnesses = [read_harness(project, key, check) for key in keys]
    bad = [h for h in harnesses if h.state != "ok"]
    runtime_problem = check_runtime_module(project) if keys else None
    if not bad and not runtime_problem:
        return harnesses
    lines = [runtime_problem] if runtime_problem else []
    for h in bad[:SHOWN_REFUSALS]:
        lines.append(f"{h.display}: {h.problem} (harness of {h.key})")
        if h.state == "edited":
            lines[-1] += _edit_diff(project, h)
    if len(bad) > SHOWN_REFUSALS:  # after an upgrade it can be every harness
        lines.append(f"... and {len(bad) - SHOWN_REFUSALS} more")
    if bad:
        states: dict[str, int] = {}
        for h in bad:
            states[h.state] = states.get(h.state, 0) + 1
        counts = ", ".join(f"{n} {state}" for state, n in states.items())
        title = (
            f"{len(bad)} harness{'es' if len(bad) != 1 else ''} cannot run ({counts})"
        )
        fix = f"rebuild with: {REBUILD}"
    else:
        title = "the shared runtime module cannot run"
        fix = f"rebuild with: {REBUILD}; only that one file changes"
    raise StaleError(f"{title}:\n  " + "\n  ".join(lines) + f"\n{fix}")


# ---------------------------------------------------------------------------


@dataclass
class RunReport:
    command: str
    database: str
    applied: list[runtime.Result] = field(default_factory=list)  # results, in order
    skipped: list[str] = field(default_factory=list)  # already applied / nothing to do
    failed: dict[str, Any] | None = None
    not_attempted: list[str] = field(default_factory=list)
    rehearse: bool = False
    # key -> what commits on its own ("step 2 runs outside a transaction")
    not_atomic: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.failed is None

    @property
    def not_rehearsed(self) -> list[str]:
        """Steps a rehearsal left out: they run outside a transaction."""
        return [
            f"{result['key']} {step}"
            for result in self.applied
            for step in result.get("not_rehearsed", ())
        ]

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
            "not_atomic": self.not_atomic,
            "not_rehearsed": self.not_rehearsed,
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


def _applied(session: runtime.Session) -> dict[str, runtime.HistoryRow]:
    return {row["key"]: row for row in runtime.read_history(session)}


def _refuse_drift(
    project: Project, keys: list[str], applied: dict[str, runtime.HistoryRow]
) -> None:
    """Before anything runs: refuse if any of keys was applied from another spec."""
    drifted, reworks = [], []
    for key in keys:
        if key in applied:
            expected = project.fingerprint(key)
            if applied[key]["spec_fingerprint"] != expected:
                drifted.append(
                    f"{key}: applied as {applied[key]['spec_fingerprint']}, spec is now"
                    f" {expected} ({project.specs[key].path})"
                )
                reworks.append(project.specs[key].spec.name)
    if drifted:
        raise MigrationFailed(
            "drift: these migrations changed after they were applied:\n  "
            + "\n  ".join(drifted)
            + "\nrestore the applied spec (git checkout), then put the change in a new"
            " version that runs after it: "
            + "; ".join(f"contractspec spec new-version {n}" for n in reworks)
        )


def _run(
    session: runtime.Session,
    report: RunReport,
    harnesses: list[CommittedHarness],
    apply: Callable[..., runtime.Result],
    progress: Progress | None,
) -> RunReport:
    for index, harness in enumerate(harnesses):
        if progress:  # a batched step's rows and rows/s, while it runs
            session.notes = lambda line, key=harness.key, at=index: progress(
                key, at, len(harnesses), {"status": "running", "message": line.strip()}
            )
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
    to: str | None = None,
    rehearse: bool = False,
    dry_run: bool = False,
    audit_log: str | None = None,
    lock_timeout: float = 30.0,
    progress: Progress | None = None,
    notice: Notice | None = None,
) -> RunReport:
    """Apply every pending migration (or target and what it depends on), in
    dependency order; with to, only those up to and including it in that order."""
    if target and to:
        raise UsageError("give a migration NAME or --to NAME, not both")
    project = open_project(project_dir, database)
    targets = [project.registry.lookup(target).key] if target else None
    order = [spec.key for spec in project.registry.order(targets)]
    if to:
        order = order[: order.index(project.registry.lookup(to).key) + 1]
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
        report.not_atomic = _not_atomic(pending, "up")
        if dry_run:
            report.not_attempted = [h.key for h in pending]
            return report
        if rehearse:
            # The whole chain in one outer transaction, a savepoint per
            # migration: each sees what the ones before it did; then all of
            # it is rolled back.
            try:
                with runtime.rehearsal(session):
                    return _run(session, report, pending, runtime.apply_up, progress)
            except runtime.MigrationError as exc:
                raise MigrationFailed(str(exc)) from None
        return _run(session, report, pending, runtime.apply_up, progress)


def _not_atomic(harnesses: list[CommittedHarness], command: str) -> dict[str, str]:
    found = {}
    for harness in harnesses:
        migration = harness.migration
        assert migration is not None
        steps = migration["up"] if command == "up" else migration.get("down")
        apart = runtime.atomicity(steps)
        if apart:
            found[harness.key] = apart
    return found


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
) -> RunReport:
    """Revert target, the last `steps` applied migrations, every one after `to`
    in dependency order, or all of them (all_); in reverse dependency order."""
    if sum(bool(x) for x in (target, steps is not None, to, all_)) > 1:
        raise UsageError("give one of a migration NAME, --steps N, --to NAME or --all")
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
        if target in unknown:  # its spec is gone: its committed harness is the way back
            harnesses = [_harness_of_applied(project, target, applied[target])]
            if dry_run:
                report.not_attempted = [target]
                return report
            return _run(session, report, harnesses, runtime.apply_down, progress)
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
            if to or all_:
                keep = order.index(registry.lookup(to).key) + 1 if to else 0
                if to and order[keep - 1] not in applied:
                    raise MigrationFailed(
                        f"{order[keep - 1]} is not applied; --to reverts down to an"
                        " applied migration"
                    )
                chosen = [key for key in reversed(order[keep:]) if key in applied]
            else:
                chosen = _most_recent(registry, order, applied, steps or 1)
        _refuse_drift(project, chosen, applied)  # all of them, before reverting one
        harnesses = committed_harnesses(project, chosen)
        irreversible = [h.key for h in harnesses if h.checked.get("down") is None]
        if irreversible:  # refuse before reverting anything, not halfway through
            raise MigrationFailed(
                f"cannot revert {', '.join(irreversible)}: irreversible (no down plan);"
                " nothing was reverted. Write a new migration that undoes it instead."
            )
        report.not_atomic = _not_atomic(harnesses, "down")
        if dry_run:
            report.not_attempted = chosen
            return report
        return _run(session, report, harnesses, runtime.apply_down, progress)


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
) -> RunReport:
    """Record target (and what it depends on), or every migration (all_), as
    applied without running them: the database already has their effects.

    Dependencies the history has are left alone; the target itself, or with
    all_ any migration at all, already in the history is refused."""
    if bool(target) == all_:
        raise UsageError("give a migration NAME or --all")
    project = open_project(project_dir, database)
    registry = project.registry
    named = [registry.lookup(target).key] if target else None
    order = [spec.key for spec in registry.order(named)]
    report = RunReport("baseline", project.config.database)
    with _session(project, lock_timeout, audit_log) as session:
        applied = _applied(session)
        refused = [key for key in (named or order) if key in applied]
        if refused:
            raise MigrationFailed(
                f"already in the history: {', '.join(refused)}; baseline records only"
                " migrations the database has not recorded (see migrate status)"
            )
        report.skipped = [key for key in order if key in applied]
        harnesses = committed_harnesses(
            project, [key for key in order if key not in applied]
        )

        def record(
            session: runtime.Session, migration: runtime.Migration, **_: object
        ) -> runtime.Result:
            return runtime.apply_baseline(session, migration, verify=verify)

        return _run(session, report, harnesses, record, progress)


def _harness_of_applied(
    project: Project, key: str, history: runtime.HistoryRow
) -> CommittedHarness:
    """The committed harness of an applied migration whose spec is gone.

    With no spec to check it against, it must be the harness that was applied
    (its fingerprint header is the history's), in this contractspec's format,
    next to this runtime, and reversible; its own MIGRATION is what runs."""
    from ..codegen.generate import tail_source
    from ..codegen.naming import harness_path

    path = harness_path(project.config, key)
    harness = CommittedHarness(key, path, project.config.relative(path))
    try:
        data = _read_generated(project, path)
    except FileRefused as exc:
        raise StaleError(f"{harness.display} {exc}") from None
    if data is None:
        raise MigrationFailed(
            f"{key} is applied, but neither its spec nor its harness {harness.display}"
            " is in this project; restore the harness from version control (git"
            f" checkout <commit> -- {harness.display}), then revert it again"
        ) from None
    header = runtime.harness_header(data)
    fingerprint = history["spec_fingerprint"]
    migration = _migration_literal(data, tail_source().encode("utf-8")) or {}
    problem = _other_format(header)
    line = header.get("fingerprint", "")
    if not problem and runtime.spec_fingerprint_of(line) != fingerprint:
        problem = (
            f"built from another spec than the one applied as {key} ({fingerprint});"
            " restore the harness that was applied"
        )
    if not problem and (
        migration.get("key") != key
        or runtime.fingerprint_value(fingerprint, migration) != line
    ):
        problem = "not in the generated shape, or not its MIGRATION (edited by hand?)"
    if not problem:
        problem = check_runtime_module(project)
    if problem:
        raise StaleError(f"{harness.display}: {problem}")
    if migration.get("down") is None:
        raise MigrationFailed(
            f"cannot revert {key}: irreversible (no down plan); nothing was reverted"
        )
    harness.migration = _runnable(migration, fingerprint)
    return harness


def _most_recent(
    registry: MigrationRegistry,
    order: list[str],
    applied: dict[str, runtime.HistoryRow],
    count: int,
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

    state: applied, pending, partly applied (a migration that is not atomic
    stopped part way; `steps_done` lists its committed steps), drifted
    (applied from another spec fingerprint), unknown (in the database, not
    in the registry); plus `harness` (ok,
    missing, stale...) and `last_failure` when the latest run of it failed.
    """
    project = open_project(project_dir, database)
    order = [spec.key for spec in project.registry.order()]
    with _session(project, lock_timeout, None, lock=False) as session:
        applied = _applied(session)
        latest = _latest_runs(session)
        partly = runtime.partly_applied(session)
    failures = {k: e for k, e in latest.items() if e["status"] == "failed"}
    check = HarnessCheck(project)
    with gc_paused():
        harnesses = [read_harness(project, key, check) for key in order]
    runtime_problem = check_runtime_module(project) if order else None
    rows = []
    for key, harness in zip(order, harnesses, strict=True):
        row: dict[str, Any] = {
            "key": key,
            "state": "pending",
            "harness": "stale" if runtime_problem else harness.state,
            "path": project.specs[key].path,
        }
        if harness.problem or runtime_problem:
            row["harness_problem"] = harness.problem or runtime_problem
        apart = harness.migration and runtime.atomicity(harness.migration.get("up"))
        if apart:
            row["not_atomic"] = apart
        history = applied.get(key)
        if key in partly:  # not atomic, stopped part way: `up` continues it
            row["state"] = "partly applied"
            row["steps_done"] = partly[key]
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
            if latest.get(key, {}).get("status") == "baselined":
                row["baseline"] = True  # recorded by migrate baseline, never run
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


def _latest_runs(session: runtime.Session) -> dict[str, dict[str, Any]]:
    """Per migration, the run_end event of its latest run."""
    latest: dict[str, dict[str, Any]] = {}
    for event in runtime.read_events(
        session, event="run_end"
    ):  # in order: the last wins
        latest[str(event["migration"])] = event
    return latest
