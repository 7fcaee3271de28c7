"""The Python API: what the command line does, for programs.

Every function takes the options of its command, returns a frozen dataclass
(never a dict, never printed output) and raises the package's exceptions
(`contractspec.errors.ContractspecError` and its subclasses), never exits::

    from contractspec import api

    project = api.load_project("path/to/project")
    for migration in api.list_migrations("path/to/project"):
        print(migration.key, migration.dependencies)
    if api.build(project="path/to/project", check=True).stale:
        ...
    run = api.migrate_up("path/to/project", database="sqlite:///app.db")
    run.raise_for_failure()

A migration that fails does not raise: the run stops there, as the command
does, and its result says what was applied, what failed and what was not
attempted (`raise_for_failure` turns it into `MigrationFailed`). Events of
every run also go to the standard `logging` module under the `contractspec`
logger. This module's names are the stable API; the modules it calls are not.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from os import PathLike
from pathlib import Path
from typing import Any

from .errors import (
    ConfigError,
    ContractspecError,
    MigrationFailed,
    RegistryError,
    SpecError,
    StaleError,
    UsageError,
)
from .project import Project, open_project
from .registry import MigrationRegistry

__all__ = [
    "BuildResult",
    "ConfigError",
    "ContractspecError",
    "HarnessChange",
    "MigrationFailed",
    "MigrationInfo",
    "MigrationRegistry",
    "MigrationResult",
    "MigrationStatus",
    "Project",
    "RegistryError",
    "RunResult",
    "SpecError",
    "StaleError",
    "UsageError",
    "build",
    "list_migrations",
    "load_project",
    "migrate_down",
    "migrate_status",
    "migrate_up",
]

ProjectPath = str | PathLike[str] | None


def _path(project: ProjectPath) -> Path | None:
    return None if project is None else Path(project)


def load_project(project: ProjectPath = None, database: str | None = None) -> Project:
    """Read the configuration and every spec of a project (default: the
    nearest folder with a pyproject.toml at or above the current one).

    The result's `registry` is a `MigrationRegistry` (`get`, `list`, `order`,
    `dependencies`). Raises SpecError or RegistryError with every problem."""
    return open_project(_path(project), database)


# --- list ------------------------------------------------------------------------


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


def list_migrations(project: ProjectPath = None) -> list[MigrationInfo]:
    """Every migration in dependency order (`contractspec list`)."""
    from .commands.registry import list_migrations as rows

    return [
        MigrationInfo(
            key=row["key"],
            name=row["name"],
            version=row["version"],
            title=row["title"],
            domain=row["domain"],
            owners=tuple(row["owners"]),
            tags=tuple(row["tags"]),
            stability=row["stability"],
            dependencies=tuple(row["dependencies"]),
            path=row["path"],
        )
        for row in rows(_path(project))
    ]


# --- build -------------------------------------------------------------------------


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


def build(
    names: Sequence[str] = (),
    *,
    all: bool = False,
    project: ProjectPath = None,
    check: bool = False,
    diff: bool = False,
    use_cache: bool = True,
) -> BuildResult:
    """Build the harnesses of names (NAME or NAME.vN), or of every spec with
    all=True; check=True writes nothing and reports staleness (as
    `build --check`, which raises nothing: look at `stale`)."""
    from .commands.build import build as run_build

    result = run_build(
        names,
        all_=all,
        project=_path(project),
        check=check,
        diff=diff,
        use_cache=use_cache,
    )
    return BuildResult(
        changes=tuple(HarnessChange(c.display, c.status) for c in result.changes),
        stale=result.stale,
        summary=result.summary,
        diff=result.output,
        rebuild_command=result.rebuild_command,
    )


# --- migrate -----------------------------------------------------------------------


@dataclass(frozen=True)
class MigrationResult:
    """One migration of a run: applied, reverted, rehearsed, skipped, failed..."""

    key: str
    status: str
    message: str
    duration_ms: float
    steps: int
    attempts: int

    @classmethod
    def _from(cls, result: dict[str, Any]) -> MigrationResult:
        return cls(
            key=result["key"],
            status=result["status"],
            message=result.get("message", ""),
            duration_ms=result.get("duration_ms", 0),
            steps=result.get("steps", 0),
            attempts=result.get("attempts", 0),
        )


@dataclass(frozen=True)
class RunResult:
    """A `migrate up` or `migrate down` run."""

    command: str  # up | down
    database: str  # the URL, password redacted
    rehearse: bool
    applied: tuple[MigrationResult, ...]  # run, in order (down: reverted)
    skipped: tuple[str, ...]  # already applied (up) / not applied (down)
    failed: str | None  # the key of the migration that failed
    error: str | None  # why it failed; it was rolled back
    not_attempted: tuple[str, ...]  # after a failure; or what a dry run would run

    @property
    def ok(self) -> bool:
        return self.failed is None

    def raise_for_failure(self) -> None:
        """Raise MigrationFailed if a migration failed."""
        if self.error is not None:
            raise MigrationFailed(self.error)


def _run_result(report: Any) -> RunResult:
    data = report.as_dict()
    failed = data["failed"]
    return RunResult(
        command=data["command"],
        database=data["database"],
        rehearse=data["rehearse"],
        applied=tuple(MigrationResult._from(r) for r in data["applied"]),
        skipped=tuple(data["skipped"]),
        failed=failed["key"] if failed else None,
        error=failed["error"] if failed else None,
        not_attempted=tuple(data["not_attempted"]),
    )


def migrate_up(
    project: ProjectPath = None,
    database: str | None = None,
    target: str | None = None,
    *,
    rehearse: bool = False,
    dry_run: bool = False,
    audit_log: str | None = None,
    lock_timeout: float = 30.0,
) -> RunResult:
    """Apply every pending migration, or target and what it depends on
    (`contractspec migrate up`). Raises StaleError before running anything
    when a harness it would run is missing or stale."""
    from .commands import migrate

    return _run_result(
        migrate.up(
            _path(project),
            database,
            target,
            rehearse=rehearse,
            dry_run=dry_run,
            audit_log=audit_log,
            lock_timeout=lock_timeout,
        )
    )


def migrate_down(
    project: ProjectPath = None,
    database: str | None = None,
    target: str | None = None,
    *,
    steps: int | None = None,
    rehearse: bool = False,
    dry_run: bool = False,
    audit_log: str | None = None,
    lock_timeout: float = 30.0,
) -> RunResult:
    """Revert target, or the `steps` most recent migrations (default 1)
    (`contractspec migrate down`)."""
    from .commands import migrate

    return _run_result(
        migrate.down(
            _path(project),
            database,
            target,
            steps=steps,
            rehearse=rehearse,
            dry_run=dry_run,
            audit_log=audit_log,
            lock_timeout=lock_timeout,
        )
    )


@dataclass(frozen=True)
class MigrationStatus:
    """One row of `contractspec migrate status`."""

    key: str
    state: str  # applied | pending | drifted | unknown
    harness: str  # ok | missing | stale | edited | - (unknown)
    path: str | None  # the spec file; None for unknown
    applied_at: str | None = None
    applied_by: str | None = None
    duration_ms: int | None = None
    last_failure: str | None = None  # when its latest run failed
    needs_attention: bool = False  # what `migrate status --check` exits 1 for


def migrate_status(
    project: ProjectPath = None,
    database: str | None = None,
    lock_timeout: float = 30.0,
) -> list[MigrationStatus]:
    """Every migration's state in the database (`contractspec migrate status`)."""
    from .commands import migrate

    return [
        MigrationStatus(
            key=row["key"],
            state=row["state"],
            harness=row["harness"],
            path=row["path"],
            applied_at=row.get("applied_at"),
            applied_by=row.get("applied_by"),
            duration_ms=row.get("duration_ms"),
            last_failure=row.get("last_failure"),
            needs_attention=migrate.needs_attention(row),
        )
        for row in migrate.status(_path(project), database, lock_timeout)
    ]
