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
from os import PathLike
from pathlib import Path

from .commands.results import (
    BuildResult,
    HarnessChange,
    MigrationInfo,
    MigrationResult,
    MigrationStatus,
    OwnersResult,
    RunResult,
)
from .errors import (
    ConfigError,
    ContractspecError,
    MigrationFailed,
    RegistryError,
    SpecError,
    StaleError,
    UsageError,
)
from .lint.risk import Risk, RiskReason
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
    "OwnersResult",
    "Project",
    "RegistryError",
    "Risk",
    "RiskReason",
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
    "owners",
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


def list_migrations(project: ProjectPath = None) -> list[MigrationInfo]:
    """Every migration in dependency order (`contractspec list`)."""
    from .commands.registry import list_migrations as listed

    return listed(_path(project))


# --- build -------------------------------------------------------------------------


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

    return run_build(
        names,
        all_=all,
        project=_path(project),
        check=check,
        diff=diff,
        use_cache=use_cache,
    )


def owners(
    project: ProjectPath = None,
    *,
    gitlab: bool | None = None,
    check: bool = False,
) -> OwnersResult:
    """Write the CODEOWNERS block that routes each migration's files to its
    owners (`contractspec owners`); check=True writes nothing and reports
    staleness (look at `stale`)."""
    from .commands.owners import owners as write_owners

    return write_owners(_path(project), gitlab=gitlab, check=check)


# --- migrate -----------------------------------------------------------------------


def migrate_up(
    project: ProjectPath = None,
    database: str | None = None,
    target: str | None = None,
    *,
    environment: str | None = None,
    accept_risk: Sequence[str] = (),
    rehearse: bool = False,
    dry_run: bool = False,
    single_transaction: bool = False,
    audit_log: str | None = None,
    lock_timeout: float = 30.0,
) -> RunResult:
    """Apply every pending migration, or target and what it depends on
    (`contractspec migrate up`). Raises StaleError before running anything
    when a harness it would run is missing or stale, and MigrationFailed
    when one falls outside the gates of `environment` (`--env NAME`) and is
    not in accept_risk (`--accept-risk NAME`). single_transaction: all in one
    transaction, committed at the end or not at all."""
    from .commands import migrate

    return migrate.up(
        _path(project),
        database,
        target,
        environment=environment,
        accept_risk=accept_risk,
        rehearse=rehearse,
        dry_run=dry_run,
        single_transaction=single_transaction,
        audit_log=audit_log,
        lock_timeout=lock_timeout,
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

    return migrate.down(
        _path(project),
        database,
        target,
        steps=steps,
        rehearse=rehearse,
        dry_run=dry_run,
        audit_log=audit_log,
        lock_timeout=lock_timeout,
    )


def migrate_status(
    project: ProjectPath = None,
    database: str | None = None,
    lock_timeout: float = 30.0,
) -> list[MigrationStatus]:
    """Every migration's state in the database (`contractspec migrate status`)."""
    from .commands import migrate

    return migrate.status(_path(project), database, lock_timeout)
