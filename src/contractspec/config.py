"""Project configuration: `[tool.contractspec]` in the project's pyproject.toml.

The project root is the nearest folder at or above the current one whose
pyproject.toml has a `[tool.contractspec]` table (`contractspec init` writes
one), so a subfolder of a monorepo is a project of its own.

Precedence for the database URL: `--database` > `--env NAME` (a named
environment, `[tool.contractspec.environments.NAME]`) >
`$CONTRACTSPEC_DATABASE_URL` > `$DATABASE_URL` (the 12-factor variable most
platforms set) > `database` in the config file > `sqlite:///contractspec.db`.
The SQL dialect is `dialect` when given, else the database URL's scheme.
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import ConfigError, Diagnostic, SpecError, UsageError
from .files import DEFAULT_MAX_FILE_BYTES, FileLimits, relative_posix
from .runtime import harness_runtime as runtime
from .sql import DIALECTS, Dialect

DEFAULTS = {
    "specs": "migrations",
    "harnesses": "generated/harnesses",
    "database": runtime.DEFAULT_DATABASE_URL,  # the harnesses' default too
}
ENV_DATABASE = runtime.DATABASE_ENV
# Reading project files (see files.py): never outside the project by default.
LIMITS: dict[str, object] = {
    "max_file_bytes": DEFAULT_MAX_FILE_BYTES,  # a spec or pinned file, at most
    "extra_roots": [],  # folders besides the project whose files may be read
}
# Keys without a default: the dialect (else the URL's), rules `lint` never reports.
OPTIONAL = ("dialect", "lint_ignore")
ENV_DATABASE_FALLBACK = "DATABASE_URL"
ENVIRONMENTS = "environments"  # [tool.contractspec.environments.<name>]
ENVIRONMENT_KEYS = ("url", "url_env", "protected")


@dataclass(frozen=True)
class Config:
    root: Path  # the project folder (holds pyproject.toml)
    specs_dir: Path
    harness_dir: Path
    database: str
    dialect_setting: str | None = None  # `dialect` as written in the config file
    lint_ignore: tuple[str, ...] = ()
    files: FileLimits = FileLimits((Path("/"),))  # set by load_config
    environment: str | None = None  # the --env name the database came from
    protected: bool = False  # that environment asks before reverting anything
    # Every environment marked protected (what `lint` without --env guards)
    protected_environments: tuple[str, ...] = ()

    @property
    def dialect(self) -> Dialect:
        """The SQL dialect specs are written in: the config's, else the database URL's."""
        if self.dialect_setting == "postgresql":
            return "postgresql"
        if self.dialect_setting == "sqlite":
            return "sqlite"
        try:  # the runtime's parser: the one reading of a database URL
            kind = runtime.parse_database_url(self.database)[0]
        except runtime.MigrationError:  # a bad URL fails where it is used
            kind = "sqlite"
        return "postgresql" if kind == "postgresql" else "sqlite"

    def relative(self, path: Path) -> str:
        """A path as shown to people and written into generated files: root-relative, posix."""
        return relative_posix(path, self.root)

    def database_url(self) -> str:
        """The URL with a relative SQLite path anchored at the project root, not
        the cwd. Read by the runtime's parser (the one the harnesses use);
        raises its MigrationError for a bad URL."""
        parsed: tuple[str, str] = runtime.parse_database_url(self.database)
        dialect, target = parsed
        if (
            dialect == "sqlite"
            and target != ":memory:"
            and not Path(target).is_absolute()
        ):
            return "sqlite:///" + (self.root / target).resolve().as_posix()
        return self.database


def has_table(pyproject: Path) -> bool:
    """Whether a pyproject.toml has [tool.contractspec] (an unreadable one counts,
    so that its problem is reported rather than skipped over)."""
    try:
        data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError):
        return True
    except OSError:
        return False
    tool = data.get("tool")
    return isinstance(tool, dict) and "contractspec" in tool


def find_root(start: Path) -> Path:
    """The nearest folder at or above start whose pyproject.toml has [tool.contractspec]."""
    start = start.resolve()
    for folder in (start, *start.parents):
        pyproject = folder / "pyproject.toml"
        if pyproject.is_file() and has_table(pyproject):
            return folder
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
) -> Config:
    """The project's configuration. connecting=False (lint, which never
    connects) takes an environment whose url_env is unset as naming no URL."""
    root = project.resolve() if project is not None else find_root(Path.cwd())
    if project is not None and not root.is_dir():
        raise ConfigError(f"project folder {project} does not exist")
    settings: dict[str, Any] = {**DEFAULTS, **LIMITS}
    url: str | None
    pyproject = root / "pyproject.toml"
    if pyproject.is_file():
        settings.update(_read_table(pyproject))
    protected, url = False, None
    environments = settings.get(ENVIRONMENTS, {})
    if database and environment:
        raise UsageError("give --database or --env, not both")
    if environment:
        url, protected = _environment_url(environments, environment, connecting)
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
        protected=protected,
        protected_environments=tuple(
            sorted(
                name for name, table in environments.items() if table.get("protected")
            )
        ),
        dialect_setting=settings.get("dialect"),
        lint_ignore=tuple(settings.get("lint_ignore", ())),
        files=FileLimits((root, *extra), settings["max_file_bytes"]),
    )


def _environment_url(
    environments: dict[str, dict[str, Any]], name: str, connecting: bool = True
) -> tuple[str | None, bool]:
    """The URL and protected flag of a named environment (no URL: an unset
    url_env when not connecting)."""
    if name not in environments:
        known = ", ".join(sorted(environments)) or "none configured"
        raise ConfigError(
            f"unknown environment {name!r} (known: {known}); add"
            f" [tool.contractspec.environments.{name}] to pyproject.toml"
        )
    table = environments[name]
    protected = bool(table.get("protected", False))
    if "url" in table:
        return str(table["url"]), protected
    variable = str(table["url_env"])
    url = os.environ.get(variable)
    if not url and not connecting:
        return None, protected
    if not url:
        raise ConfigError(
            f"environment {name!r} reads its URL from ${variable}, which is not set"
        )
    return url, protected


def _read_table(pyproject: Path) -> dict[str, Any]:
    display = pyproject.name
    try:
        text = pyproject.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise SpecError(
            [Diagnostic(display, 1, 1, f"not UTF-8: {exc.reason}")]
        ) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        match = re.search(r" \(at line (\d+), column (\d+)\)", str(exc))
        line, col = (int(match[1]), int(match[2])) if match else (1, 1)
        message = str(exc).replace(match[0], "") if match else str(exc)
        raise SpecError(
            [Diagnostic(display, line, col, f"invalid TOML: {message}")]
        ) from None
    tool = data.get("tool", {})
    table = tool.get("contractspec", {}) if isinstance(tool, dict) else {}
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
        elif key not in DEFAULTS and key not in OPTIONAL and key not in LIMITS:
            known = ", ".join((*DEFAULTS, *OPTIONAL, *LIMITS, ENVIRONMENTS))
            problems.append(
                Diagnostic(
                    display,
                    line,
                    col,
                    f"unknown key {key!r} in [tool.contractspec]; known keys: {known}",
                )
            )
        elif key == "max_file_bytes":
            if type(value) is not int or value < 1:
                problems.append(
                    Diagnostic(display, line, col, f"{key} must be an integer >= 1")
                )
        elif key == "extra_roots":
            if not isinstance(value, list) or not all(
                isinstance(v, str) and v.strip() for v in value
            ):
                message = f"{key} must be a list of folder paths"
                problems.append(Diagnostic(display, line, col, message))
        elif key == "dialect" and value not in DIALECTS:
            problems.append(
                Diagnostic(
                    display,
                    line,
                    col,
                    f"dialect must be one of {', '.join(DIALECTS)}, got {value!r}",
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
            elif key != "protected" and (not isinstance(item, str) or not item.strip()):
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


def _locate(text: str, key: str, table: str = "[tool.contractspec]") -> tuple[int, int]:
    """Best-effort position of `key =` inside the table (or of a `[table.key]` header)."""
    in_table = False
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
