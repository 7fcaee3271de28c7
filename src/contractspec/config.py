"""Project configuration: `[tool.contractspec]` in the project's pyproject.toml.

The project root is the nearest folder at or above the current one whose
pyproject.toml has a `[tool.contractspec]` table (`contractspec init` writes
one), so a subfolder of a monorepo is a project of its own.

Precedence for the database URL: `--database` > `--env NAME` (a named
environment, `[tool.contractspec.environments.NAME]`) >
`$CONTRACTSPEC_DATABASE_URL` > `$DATABASE_URL` (the 12-factor variable most
platforms set) > `database` in the config file > `sqlite:///contractspec.db`.
An empty `--database` is an error; an empty variable counts as unset.

The SQL dialect is decided here and nowhere else (`Config.declared_dialect`,
`Config.dialect_for`): `dialect` when given, else the scheme of a database
URL that someone chose; the built-in default URL decides nothing.

pyproject.toml is read once per command: `load_config` parses the file that
`find_root` found, and a command passes the Config on (`open_project`).
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from . import runtime
from .errors import ConfigError, Diagnostic, FileRefused, SpecError, UsageError
from .files import (
    DEFAULT_MAX_FILE_BYTES,
    FileLimits,
    read_project_file,
    real_path,
    relative_posix,
)
from .fleets import FLEETS, FleetSpec, fleet_problems, parse_fleets
from .runtime.loader import MAX_FILE_BYTES
from .runtime.pointers import DEFAULT_MAX_BYTES as FETCH_MAX_BYTES
from .runtime.pointers import DEFAULT_TIMEOUT_S as FETCH_TIMEOUT_S
from .runtime.pointers import MAX_TIMEOUT_S as FETCH_TIMEOUT_MAX_S
from .spec import STABILITIES

if TYPE_CHECKING:  # sql (its dataclasses, its regexes) loads when SQL is read
    from .sql import Dialect

PYPROJECT = "pyproject.toml"

DEFAULTS = {
    "specs": "migrations",
    "harnesses": "generated/harnesses",
    "database": runtime.DEFAULT_DATABASE_URL,  # the harnesses' default too
}
FOLDERS = ("specs", "harnesses")  # inside the project, symlinks resolved
ENV_DATABASE = runtime.DATABASE_ENV
# Reading project files (see files.py): never outside the project by default.
LIMITS: dict[str, object] = {
    "max_file_bytes": DEFAULT_MAX_FILE_BYTES,  # a spec or pinned file, at most
    "extra_roots": [],  # folders besides the project whose files may be read
    # Fetching a pointer (a data step's SQL named by an https:// URL)
    "fetch_timeout": FETCH_TIMEOUT_S,  # seconds, the whole transfer
    "fetch_max_bytes": FETCH_MAX_BYTES,
}
# How the runtime treats locks others hold, on PostgreSQL: how long any
# statement may wait for one, and the retries after such a timeout. (Not
# `migrate --lock-timeout`: the seconds to wait for another runner's lock.)
LOCKS: dict[str, int] = {
    "lock_timeout_ms": runtime.DEFAULT_LOCK_TIMEOUT_MS,
    "lock_retries": runtime.DEFAULT_LOCK_RETRIES,
}
# Keys without a default: the dialect (else the URL's), rules `lint` never reports.
OPTIONAL = ("dialect", "lint_ignore")
ENV_DATABASE_FALLBACK = "DATABASE_URL"
ENVIRONMENTS = "environments"  # [tool.contractspec.environments.<name>]
ENVIRONMENT_KEYS = ("url", "url_env", "protected", "min_stability", "max_risk")
# A migration's computed risk (lint/risk.py), lowest first: max_risk is one.
RISK_LEVELS = ("low", "medium", "high")
OWNERS = "owners"  # [tool.contractspec.owners]: owner name -> code-host handles
# A code host's handle: @user, @org/team (GitLab: @group/subgroup, @@role), or an
# email address, which is one as it is (an owner named by one needs no mapping).
EMAIL = re.compile(r"[^\s@]+@[^\s@]+")
HANDLE = re.compile(r"@@?[^\s@]+|" + EMAIL.pattern)


@dataclass(frozen=True)
class Config:
    root: Path  # the project folder (holds pyproject.toml)
    specs_dir: Path
    harness_dir: Path
    database: str
    dialect_setting: Dialect | None = None  # `dialect` as written in the config file
    # Whether someone chose `database` (a flag, an environment, a variable, the
    # config file): not the built-in default URL, nor the fallback of an --env
    # whose variable is unset. Only a chosen URL tells the dialect.
    database_chosen: bool = True
    lint_ignore: tuple[str, ...] = ()
    files: FileLimits = FileLimits((Path("/"),))  # set by load_config
    environment: str | None = None  # the --env name the database came from
    protected: bool = False  # that environment asks before reverting anything
    # That environment's gates: what `migrate up --env` refuses to apply
    min_stability: str | None = None
    max_risk: str | None = None
    # Every environment marked protected (what `lint` without --env guards)
    protected_environments: tuple[str, ...] = ()
    black_line_length: int | None = None  # [tool.black] line-length: edits follow it
    fetch_timeout: float = FETCH_TIMEOUT_S  # a pointer's transfer
    fetch_max_bytes: int = FETCH_MAX_BYTES  # a pointer's size
    # [tool.contractspec.owners]: each owner name's code-host handles, as written
    owners: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    lock_timeout_ms: int = runtime.DEFAULT_LOCK_TIMEOUT_MS  # LOCKS
    lock_retries: int = runtime.DEFAULT_LOCK_RETRIES
    fleets: dict[str, FleetSpec] = field(default_factory=dict)  # by name

    @property
    def declared_dialect(self) -> Dialect | None:
        """The dialect the project says its SQL is in: `dialect` when set, else
        the scheme of a chosen database URL; None when neither decides."""
        if self.dialect_setting is not None:
            return self.dialect_setting
        if not self.database_chosen:
            return None
        try:
            return url_dialect(self.database)
        except runtime.MigrationError:  # a bad URL fails where it is used
            return None

    @property
    def dialect(self) -> Dialect:
        """The declared dialect, else SQLite (what the default URL runs). Code
        that parses SQL asks `dialect_for`, which refuses to guess."""
        return self.declared_dialect or "sqlite"

    def dialect_for(self, texts: Iterable[tuple[str, str]]) -> Dialect:
        """The dialect to read SQL in, from (where, sql) pairs: the declared one;
        when the project declares none, SQLite, unless some text can only be
        meant for one dialect (it parses in one and not the other, or uses
        PostgreSQL-only syntax): then a ConfigError naming `where` and the fix."""
        declared = self.declared_dialect
        if declared is not None:
            return declared
        from .sql import written_for

        for where, text in texts:
            found = written_for(text)
            if found is not None:
                dialect, why = found
                raise ConfigError(
                    f"{where}: the SQL {why}, and the project names no dialect"
                    " (nor does a database URL); say which:"
                    f' dialect = "{dialect}" in [tool.contractspec] of {PYPROJECT},'
                    f" or run: contractspec init --dialect {dialect}"
                )
        return "sqlite"

    def handles(self, owner: str) -> tuple[str, ...] | None:
        """An owner's code-host handles: as [tool.contractspec.owners] maps
        the name, an email address as it is; None for a name the map lacks."""
        if owner in self.owners:
            return self.owners[owner]
        return (owner,) if EMAIL.fullmatch(owner) else None

    def relative(self, path: Path) -> str:
        """A path as shown to people and written into generated files: root-relative, posix."""
        return relative_posix(path, self.root)

    def database_url(self) -> str:
        """The URL with a relative SQLite path anchored at the project root, not
        the cwd. Read by the runtime's parser (the one the harnesses use);
        raises its MigrationError for a bad URL."""
        if self.dialect_setting == "postgresql" and not self.database_chosen:
            raise ConfigError(
                'the project\'s dialect is "postgresql", and no database URL is set:'
                f" set ${ENV_DATABASE} (or ${ENV_DATABASE_FALLBACK}), pass --database,"
                f" or set database in [tool.contractspec] of {PYPROJECT}"
            )
        return self.anchored(self.database)

    def anchored(self, url: str) -> str:
        """url, with a relative SQLite path anchored at the project root (not
        the cwd); raises the runtime's MigrationError for a bad URL."""
        parsed: tuple[str, str] = runtime.parse_database_url(url)
        dialect, target = parsed
        if dialect == "sqlite" and target != ":memory:" and not os.path.isabs(target):
            path = real_path(os.path.join(self.root, target))
            return "sqlite:///" + path.replace(os.sep, "/")
        return url


def _dialects() -> tuple[str, ...]:
    from .sql import DIALECTS

    return DIALECTS


def url_dialect(url: str) -> Dialect:
    """The dialect a database URL runs: read by the runtime's parser (the one
    reading of a URL), which raises its MigrationError for a bad one."""
    kind = runtime.parse_database_url(url)[0]
    return "postgresql" if kind == "postgresql" else "sqlite"


@dataclass(frozen=True)
class _Pyproject:
    """A pyproject.toml as read once: its text (for positions) and its TOML."""

    text: str
    data: dict[str, Any]

    @property
    def has_table(self) -> bool:
        tool = self.data.get("tool")
        return isinstance(tool, dict) and "contractspec" in tool

    @property
    def black_line_length(self) -> int | None:
        tool = self.data.get("tool")
        black = tool.get("black") if isinstance(tool, dict) else None
        length = black.get("line-length") if isinstance(black, dict) else None
        return length if type(length) is int and length > 0 else None


def _read_pyproject(path: Path) -> _Pyproject:
    """path read as every project file is (bounded, a regular file, without
    blocking: files.py) and parsed; SpecError where it is not UTF-8 or TOML."""
    try:
        data = read_project_file(path, FileLimits.unconfined())
    except FileRefused as exc:
        raise ConfigError(f"{path} {exc}") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise SpecError(
            [Diagnostic(PYPROJECT, 1, 1, f"not UTF-8: {exc.reason}")]
        ) from None
    return _parse_pyproject(text)


def _parse_pyproject(text: str) -> _Pyproject:
    try:
        return _Pyproject(text, tomllib.loads(text))
    except tomllib.TOMLDecodeError as exc:
        match = re.search(r" \(at line (\d+), column (\d+)\)", str(exc))
        line, col = (int(match[1]), int(match[2])) if match else (1, 1)
        message = str(exc).replace(match[0], "") if match else str(exc)
        raise SpecError(
            [Diagnostic(PYPROJECT, line, col, f"invalid TOML: {message}")]
        ) from None


def find_root(start: Path) -> Path:
    """The nearest folder at or above start whose pyproject.toml has [tool.contractspec]."""
    return _find_project(start)[0]


def _find_project(start: Path) -> tuple[Path, _Pyproject]:
    """find_root, with the pyproject.toml it read. One that is not UTF-8 or
    TOML is reported (SpecError), not skipped over: it may be the project's."""
    start = start.resolve()
    for folder in (start, *start.parents):
        path = folder / PYPROJECT
        if not path.is_file():
            continue
        try:
            pyproject = _read_pyproject(path)
        except ConfigError:  # unreadable: not a project we can use
            continue
        if pyproject.has_table:
            return folder, pyproject
    raise ConfigError(
        f"no pyproject.toml with a [tool.contractspec] table at or above {start};"
        " set a project up with: contractspec init"
    )


def load_config(
    project: Path | None = None,
    database: str | None = None,
    environment: str | None = None,
    *,
    connecting: bool = True,
    search_from: Path | None = None,
) -> Config:
    """The project's configuration, its pyproject.toml read once. connecting=False
    (lint, which never connects) takes an environment whose url_env is unset as
    naming no URL. Without `project`, the project is found from search_from
    (default: the current folder)."""
    pyproject: _Pyproject | None = None
    if project is None:
        root, pyproject = _find_project(search_from or Path.cwd())
    else:
        root = project.resolve()
        if not root.is_dir():
            raise ConfigError(f"project folder {project} does not exist")
        if (root / PYPROJECT).is_file():
            pyproject = _read_pyproject(root / PYPROJECT)
    settings: dict[str, Any] = {**DEFAULTS, **LIMITS, **LOCKS}
    if pyproject is not None:
        settings.update(_checked_table(pyproject, root))
    if database is not None and not database.strip():
        raise ConfigError(
            "the database URL given (--database) is empty: give one, e.g."
            " sqlite:///app.db or postgresql://user@host/db, or leave it out"
        )
    if database and environment:
        raise UsageError("give --database or --env, not both")
    url: str | None = None
    chosen_environment: dict[str, Any] = {}  # the --env table: its gates
    environments = settings.get(ENVIRONMENTS, {})
    if environment:
        url, chosen_environment = _environment_url(
            environments, environment, connecting
        )
    # An environment without its URL (to lint) leaves a fallback that tells nothing.
    chosen = url is not None or not environment
    if url is None:
        url = (
            database
            or os.environ.get(ENV_DATABASE)
            or os.environ.get(ENV_DATABASE_FALLBACK)
            or settings["database"]
        )
    extra = [(root / folder).resolve() for folder in settings["extra_roots"]]
    return Config(
        root=root,
        specs_dir=root / settings["specs"],
        harness_dir=root / settings["harnesses"],
        database=url,
        environment=environment,
        protected=bool(chosen_environment.get("protected", False)),
        min_stability=chosen_environment.get("min_stability"),
        max_risk=chosen_environment.get("max_risk"),
        protected_environments=tuple(
            sorted(
                name for name, table in environments.items() if table.get("protected")
            )
        ),
        dialect_setting=cast("Dialect | None", settings.get("dialect")),
        # The default URL decides nothing, even where an older `init` wrote it.
        database_chosen=chosen and url != DEFAULTS["database"],
        lint_ignore=tuple(settings.get("lint_ignore", ())),
        files=FileLimits((root, *extra), settings["max_file_bytes"]),
        black_line_length=pyproject.black_line_length if pyproject else None,
        fetch_timeout=float(settings["fetch_timeout"]),
        fetch_max_bytes=settings["fetch_max_bytes"],
        lock_timeout_ms=settings["lock_timeout_ms"],
        lock_retries=settings["lock_retries"],
        owners={
            name: tuple(handles) for name, handles in settings.get(OWNERS, {}).items()
        },
        fleets=parse_fleets(settings.get(FLEETS, {})),
    )


def _environment_url(
    environments: dict[str, dict[str, Any]], name: str, connecting: bool = True
) -> tuple[str | None, dict[str, Any]]:
    """The URL and table of a named environment (no URL: an unset url_env
    when not connecting)."""
    if name not in environments:
        known = ", ".join(sorted(environments)) or "none configured"
        raise ConfigError(
            f"unknown environment {name!r} (known: {known}); add"
            f" [tool.contractspec.environments.{name}] to pyproject.toml"
        )
    table = environments[name]
    if "url" in table:
        return str(table["url"]), table
    variable = str(table["url_env"])
    url = os.environ.get(variable)
    if not url and not connecting:
        return None, table
    if not url:
        raise ConfigError(
            f"environment {name!r} reads its URL from ${variable}, which is not set"
        )
    return url, table


def inside_project(root: Path, folder: str) -> bool:
    """Whether folder (relative to the resolved root) lies in it, symlinks resolved."""
    return (root / folder).resolve().is_relative_to(root)


def check_table(text: str, root: Path) -> None:
    """What every command would say of the project at root with pyproject.toml
    holding text (`init` asks before it writes the file): SpecError, each
    problem at its position."""
    _checked_table(_parse_pyproject(text), root)


def _checked_table(pyproject: _Pyproject, root: Path) -> dict[str, Any]:
    """[tool.contractspec] with every problem reported at its position."""
    display, text = PYPROJECT, pyproject.text
    tool = pyproject.data.get("tool", {})
    if not isinstance(tool, dict):
        line, col = _locate(text, "tool", table="")
        raise SpecError([Diagnostic(display, line, col, "tool must be a table")])
    table = tool.get("contractspec", {})
    if not isinstance(table, dict):
        line, col = _locate(text, "contractspec", "[tool]")
        raise SpecError(
            [Diagnostic(display, line, col, "tool.contractspec must be a table")]
        )
    problems = []
    for key, value in table.items():
        line, col = _locate(text, key)
        if key == ENVIRONMENTS:
            problems += _environment_problems(text, display, value)
        elif key == OWNERS:
            problems += _owners_problems(text, display, value)
        elif key == FLEETS:
            problems += [
                Diagnostic(display, *_locate(text, where, header), message)
                for header, where, message in fleet_problems(value)
            ]
        elif key not in (*DEFAULTS, *OPTIONAL, *LIMITS, *LOCKS):
            known = ", ".join(
                (*DEFAULTS, *OPTIONAL, *LIMITS, *LOCKS, ENVIRONMENTS, OWNERS, FLEETS)
            )
            problems.append(
                Diagnostic(
                    display,
                    line,
                    col,
                    f"unknown key {key!r} in [tool.contractspec]; known keys: {known}",
                )
            )
        elif key == "fetch_timeout":
            if type(value) not in (int, float) or not 0 < value <= FETCH_TIMEOUT_MAX_S:
                message = f"{key} must be a number of seconds, more than 0 and at most {FETCH_TIMEOUT_MAX_S}"
                problems.append(Diagnostic(display, line, col, message))
        elif key in LOCKS:
            problem = runtime.lock_setting_problem(key, value)
            if problem:
                problems.append(Diagnostic(display, line, col, problem))
        elif key in ("max_file_bytes", "fetch_max_bytes"):
            if type(value) is not int or not 1 <= value <= MAX_FILE_BYTES:
                message = (
                    f"{key} must be an integer from 1 to {MAX_FILE_BYTES} (256 MiB,"
                    " the most a harness reads of a file it pins)"
                )
                problems.append(Diagnostic(display, line, col, message))
        elif key == "extra_roots":
            if not isinstance(value, list) or not all(
                isinstance(v, str) and v.strip() for v in value
            ):
                message = f"{key} must be a list of folder paths"
                problems.append(Diagnostic(display, line, col, message))
        elif key == "dialect" and value not in _dialects():
            problems.append(
                Diagnostic(
                    display,
                    line,
                    col,
                    f"dialect must be one of {', '.join(_dialects())}, got {value!r}",
                )
            )
        elif key == "lint_ignore":
            if not isinstance(value, list) or not all(
                isinstance(rule, str) and rule.strip() for rule in value
            ):
                problems.append(
                    Diagnostic(
                        display, line, col, "lint_ignore must be a list of rule names"
                    )
                )
        elif not isinstance(value, str) or not value.strip():
            problems.append(
                Diagnostic(display, line, col, f"{key} must be a non-empty string")
            )
        elif key in FOLDERS and not inside_project(root, value):
            message = (
                f"{key} = {value!r} is outside the project ({root}); contractspec"
                " reads and writes only inside it: give a folder below it"
            )
            problems.append(Diagnostic(display, line, col, message))
    if problems:
        raise SpecError(problems)
    return table


def _environment_problems(text: str, display: str, value: object) -> list[Diagnostic]:
    """[tool.contractspec.environments.<name>]: url or url_env, optional protected."""
    if not isinstance(value, dict):
        line, col = _locate(text, ENVIRONMENTS)
        return [Diagnostic(display, line, col, "environments must be a table")]
    problems = []
    for name, table in value.items():
        header = f"[tool.contractspec.environments.{name}]"
        line, col = _locate(text, name, "[tool.contractspec.environments]")
        if not isinstance(table, dict):
            problems.append(
                Diagnostic(display, line, col, f"environment {name!r} must be a table")
            )
            continue
        for key, item in table.items():
            at = _locate(text, key, header)
            if key not in ENVIRONMENT_KEYS:
                message = f"unknown key {key!r} in {header}; known keys: {', '.join(ENVIRONMENT_KEYS)}"
            elif key == "protected" and not isinstance(item, bool):
                message = "protected must be true or false"
            elif key == "min_stability" and item not in STABILITIES:
                message = f"min_stability must be one of {', '.join(STABILITIES)}, got {item!r}"
            elif key == "max_risk" and item not in RISK_LEVELS:
                message = (
                    f"max_risk must be one of {', '.join(RISK_LEVELS)}, got {item!r}"
                )
            elif key in ("url", "url_env") and (
                not isinstance(item, str) or not item.strip()
            ):
                message = f"{key} must be a non-empty string"
            else:
                continue
            problems.append(Diagnostic(display, *at, message))
        if ("url" in table) == ("url_env" in table):
            problems.append(
                Diagnostic(
                    display,
                    *_locate(text, name, "[tool.contractspec.environments]"),
                    f"environment {name!r} needs exactly one of url (a URL without"
                    " its password) or url_env (the variable that holds the URL)",
                )
            )
    return problems


def _owners_problems(text: str, display: str, value: object) -> list[Diagnostic]:
    """[tool.contractspec.owners]: each owner name maps to a list of handles."""
    header = f"[tool.contractspec.{OWNERS}]"
    if not isinstance(value, dict):
        line, col = _locate(text, OWNERS)
        return [Diagnostic(display, line, col, f"{OWNERS} must be a table")]
    problems = []
    for name, handles in value.items():
        line, col = _locate(text, name, header)
        if not isinstance(handles, list) or not handles:
            message = (
                f"owner {name!r} must map to a list of code-host handles,"
                f' e.g. {name} = ["@org/team"] (an email is a handle too)'
            )
            problems.append(Diagnostic(display, line, col, message))
            continue
        for handle in handles:
            if not isinstance(handle, str) or not HANDLE.fullmatch(handle):
                message = (
                    f"owner {name!r}: {handle!r} is not a code-host handle:"
                    " give @user, @org/team or an email address"
                )
                problems.append(Diagnostic(display, line, col, message))
    return problems


def _locate(text: str, key: str, table: str = "[tool.contractspec]") -> tuple[int, int]:
    """Best-effort position of `key =` inside the table (or of a `[table.key]` header);
    table "": the top level, before any header."""
    in_table = not table
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if stripped.startswith("["):
            header = stripped.split("#", 1)[0].replace(" ", "").replace("\t", "")
            if header == f"{table[:-1]}.{key}]":
                return number, len(line) - len(line.lstrip()) + 1
            in_table = header == table
        elif in_table and re.match(rf"\s*\"?{re.escape(key)}\"?\s*=", line):
            return number, len(line) - len(line.lstrip()) + 1
    return 1, 1
