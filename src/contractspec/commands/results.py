"""What commands return, as frozen dataclasses (`contractspec.api` exports
them), and their JSON: `json_value`, the one place `--json` is made from them.

The runtime's TypedDicts (a run's result, a history row, an event) are read
once, where a command meets them, into these. In JSON a field keeps its
name and its place; one with a default is written only when it differs
from it (so `last_failure` appears only when there is one).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ..errors import MigrationFailed

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

    from ..lint.risk import Risk
    from ..runtime import Result

JSON = dict[str, object]


def json_value(result: DataclassInstance) -> JSON:
    """The JSON object `--json` prints for a result (for a list: one each)."""
    if isinstance(result, RunResult):
        return _run_json(result)
    data = {}
    for each in dataclasses.fields(result):
        value = getattr(result, each.name)
        if each.default is dataclasses.MISSING or value != each.default:
            data[each.name] = _plain(value)
    return data


def _plain(value: object) -> object:
    """A field's value as JSON data: tuples as lists, results as their JSON."""
    if isinstance(value, tuple):
        return [_plain(item) for item in value]
    if isinstance(value, Mapping):
        return {key: _plain(item) for key, item in value.items()}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return json_value(value)
    return value


def _run_json(run: RunResult) -> JSON:
    """A run as `migrate up/down/baseline --json` has always printed it: `ok`
    and `not_rehearsed` said outright, the failure as {key, error}."""
    failed = {"key": run.failed, "error": run.error} if run.failed else None
    return {
        "command": run.command,
        "database": run.database,
        "rehearse": run.rehearse,
        "ok": run.ok,
        "applied": _plain(run.applied),
        "skipped": _plain(run.skipped),
        "failed": failed,
        "not_attempted": _plain(run.not_attempted),
        "rolled_back": _plain(run.rolled_back),
        "not_atomic": _plain(run.not_atomic),
        "not_rehearsed": _plain(run.not_rehearsed),
        **({"risk": _plain(run.risk)} if run.risk else {}),
    }


# --- list ----------------------------------------------------------------------


@dataclass(frozen=True)
class MigrationInfo:
    """One migration, as `contractspec list` shows it."""

    key: str
    name: str
    version: int
    title: str
    domain: str | None
    owners: tuple[str, ...]
    tags: tuple[str, ...]
    stability: str
    dependencies: tuple[str, ...]  # resolved keys
    path: str  # the spec file, relative to the project


# --- build ---------------------------------------------------------------------


@dataclass(frozen=True)
class HarnessChange:
    """One harness file that a build wrote, would write, left alone or removed."""

    path: str  # relative to the project
    status: str  # created | updated | unchanged | removed


@dataclass(frozen=True)
class BuildResult:
    """What `contractspec build` did (or, with check or diff, would do)."""

    changes: tuple[HarnessChange, ...]
    stale: bool  # some harness would be created, rewritten or removed
    summary: str
    diff: str  # the unified diff (check and diff modes)
    rebuild_command: str
    harness: str = ""  # stdout mode: the one harness's text, written nowhere
    # The CODEOWNERS block's file, when it has one (build keeps it current)
    codeowners: HarnessChange | None = None


@dataclass(frozen=True)
class OwnersResult:
    """What `contractspec owners` did to the CODEOWNERS block (or, with check
    or diff, would do)."""

    path: str  # the CODEOWNERS file, relative to the project
    status: str  # created | updated | unchanged
    host: str  # github | gitlab: the form the block is in
    files: int  # the files it gives owners
    stale: bool  # the block would change
    diff: str  # check and diff modes: the unified diff
    notes: tuple[str, ...] = ()  # what may keep the block from deciding


# --- migrate -------------------------------------------------------------------


@dataclass(frozen=True)
class MigrationResult:
    """One migration of a run: applied, reverted, rehearsed or baselined."""

    key: str
    command: str  # up | down | baseline
    status: str
    duration_ms: float
    steps: int
    attempts: int
    run_id: str
    database: str  # the URL, password redacted
    rehearse: bool
    message: str
    not_rehearsed: tuple[str, ...] = ()  # steps a rehearsal left out

    @classmethod
    def of(cls, result: Result) -> MigrationResult:
        """The runtime's result of one migration, read once."""
        return cls(
            key=result["key"],
            command=result["command"],
            status=result["status"],
            duration_ms=result["duration_ms"],
            steps=result["steps"],
            attempts=result["attempts"],
            run_id=result["run_id"],
            database=result["database"],
            rehearse=result["rehearse"],
            message=result["message"],
            not_rehearsed=tuple(result.get("not_rehearsed", ())),
        )


@dataclass(frozen=True)
class RunResult:
    """A `migrate up`, `down` or `baseline` run (or, with dry_run, what it would do)."""

    command: str  # up | down | baseline
    database: str  # the URL, password redacted
    rehearse: bool = False
    applied: tuple[MigrationResult, ...] = ()  # run, in order (down: reverted)
    skipped: tuple[str, ...] = ()  # already applied (up) / not applied (down)
    failed: str | None = None  # the key of the migration that failed
    error: str | None = None  # why it failed; it was rolled back
    not_attempted: tuple[str, ...] = ()  # after a failure; or what a dry run would run
    # --single-transaction after a failure: the migrations that had run
    # before it, rolled back with it (nothing was applied)
    rolled_back: tuple[str, ...] = ()
    # key -> what commits on its own ("step 2 runs outside a transaction")
    not_atomic: Mapping[str, str] = field(default_factory=dict)
    # a dry run: the risk of each migration it would apply
    risk: Mapping[str, Risk] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.failed is None

    @property
    def not_rehearsed(self) -> tuple[str, ...]:
        """Steps a rehearsal left out ("KEY step 2"): they run outside a transaction."""
        return tuple(
            f"{result.key} {step}"
            for result in self.applied
            for step in result.not_rehearsed
        )

    def raise_for_failure(self) -> None:
        """Raise MigrationFailed if a migration failed."""
        if self.error is not None:
            raise MigrationFailed(self.error)


@dataclass(frozen=True)
class MigrationStatus:
    """One row of `contractspec migrate status`: a known migration, or a
    history row of one the registry does not know (state unknown)."""

    key: str
    state: str  # applied | pending | partly applied | drifted | unknown
    harness: str  # ok | missing | stale | edited | - (unknown)
    path: str | None  # the spec file; None for unknown
    harness_problem: str | None = None  # why the harness cannot run
    risk: Risk | None = None  # computed from the spec (lint/risk.py); None: unknown
    not_atomic: str | None = None  # what commits on its own, when anything does
    steps_done: tuple[int, ...] | None = None  # partly applied: the committed steps
    applied_at: str | None = None
    applied_by: str | None = None
    duration_ms: int | None = None
    spec_fingerprint: str | None = None  # the one it was applied with
    expected_fingerprint: str | None = None  # drifted: the spec's today
    baseline: bool = False  # recorded by migrate baseline, never run
    last_failure: str | None = None  # when its latest run failed

    @property
    def needs_attention(self) -> bool:
        """What `migrate status --check` exits 1 for."""
        return (
            self.state != "applied"
            or self.harness not in ("ok", "-")
            or self.last_failure is not None
        )
