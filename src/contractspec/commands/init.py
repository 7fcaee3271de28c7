"""`contractspec init [DIR]`: make a folder a contractspec project.

Writes `[tool.contractspec]` into DIR/pyproject.toml (created if missing;
an existing file is edited with tomlkit, so its comments, order and other
tables stay as they were), creates the specs and harness folders, and adds
the lines contractspec needs to `.gitignore` and `.gitattributes`.

Every project says its dialect: `--dialect`, else the scheme of
`--database`, else `dialect = "sqlite"` beside the default SQLite URL. A
table that is there already keeps its values: init adds the keys it is
given that the table lacks, and refuses one that says otherwise. Running it
again changes nothing; a line the user already has for the same pattern is
left alone, whatever it says.

The files are read as every project file is (files.py: a regular file of
bounded size, opened without blocking, never through a link out of the
project), all of them before anything is written, and written with
writer.atomic_write: a new file only if none appeared meanwhile, an
existing one only if it did not change since it was read.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from .. import runtime
from ..cachedir import CACHE_DIR_NAME
from ..codegen.render import RUNTIME_NAME  # the shared runtime of a harness folder
from ..config import (
    DEFAULTS,
    ENV_DATABASE,
    FOLDERS,
    PYPROJECT,
    check_table,
    inside_project,
    url_dialect,
)
from ..errors import (
    ConfigError,
    Diagnostic,
    FileChanged,
    FileRefused,
    SpecError,
    UsageError,
)
from ..files import FileLimits, read_project_file, relative_posix
from ..sql import Dialect
from ..writer import atomic_write

IGNORED = ("*.db", "*.db.lock", f"{CACHE_DIR_NAME}/")
FILES = (PYPROJECT, ".gitignore", ".gitattributes")  # what init edits


@dataclass
class Initialized:
    root: Path
    written: list[str] = field(default_factory=list)  # what changed, for people
    next_commands: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass
class _Edit:
    """One file init edits: as read (None: missing) and as it will be written."""

    name: str  # as the project names it
    path: Path  # where it is written (a link inside the project: its target)
    old: bytes | None
    new: bytes | None = None
    summary: str = ""  # what changed, for people


def init(
    directory: Path | None = None,
    *,
    specs: str | None = None,
    harnesses: str | None = None,
    database: str | None = None,
    dialect: Dialect | None = None,
) -> Initialized:
    """None for an option not given: a new table gets the default, an existing
    table keeps what it has."""
    root = (directory or Path.cwd()).resolve()
    if root.exists() and not root.is_dir():
        raise ConfigError(f"{root} is not a folder")
    given = _given_values(root, specs, harnesses, database, dialect)
    root.mkdir(parents=True, exist_ok=True)
    result = Initialized(root)
    edits = {name: _read(root, name) for name in FILES}
    table = _table(edits[PYPROJECT], given, root, result.notes)
    harness_dir = relative_posix(root / table["harnesses"], root)
    _add_lines(edits[".gitignore"], IGNORED)
    _add_lines(
        edits[".gitattributes"],
        # Only the shared runtime is collapsed in reviews (and left out of
        # `git diff`): harness diffs are what reviewers read.
        [f"{harness_dir}/{RUNTIME_NAME}/** linguist-generated=true -diff"],
    )
    for edit in edits.values():
        if edit.new is not None:
            _write(edit)
            result.written.append(edit.summary)
    for key in FOLDERS:
        folder = root / table[key]
        if not folder.is_dir():
            folder.mkdir(parents=True)
            result.written.append(f"{table[key]}/")
    result.next_commands = _next_commands(table)
    return result


def _given_values(
    root: Path,
    specs: str | None,
    harnesses: str | None,
    database: str | None,
    dialect: Dialect | None,
) -> dict[str, str]:
    """The options given, checked, with the dialect --database implies."""
    given = {"specs": specs, "harnesses": harnesses}
    for key, folder in given.items():
        if folder is not None and not inside_project(root, folder):
            raise UsageError(
                f"--{key} {folder} is outside the project folder {root}: give a"
                " folder inside it"
            )
    if database is not None:
        try:
            kind = url_dialect(database)
        except runtime.MigrationError as exc:
            raise ConfigError(f"--database: {exc}") from None
        if runtime.redact_url(database) != database:
            raise ConfigError(
                "--database holds a password, and init would write it into"
                f" {PYPROJECT}: give the URL without it (libpq reads PGPASSWORD,"
                " ~/.pgpass or a PGSERVICE), or keep the whole URL in"
                f" ${ENV_DATABASE} and run: contractspec init --dialect {kind}"
            )
        if dialect is not None and dialect != kind:
            raise UsageError(f"--dialect {dialect} contradicts a {kind} --database")
        dialect = kind
    values = {key: value for key, value in given.items() if value is not None}
    if database is not None:
        values["database"] = database
    if dialect is not None:
        values["dialect"] = dialect
    return values


def _read(root: Path, name: str) -> _Edit:
    """A file init edits, read before anything is written; a link out of the
    project, a FIFO, a device or a huge file is refused here."""
    path = root / name
    if not os.path.lexists(path):
        return _Edit(name, path, None)
    real = Path(os.path.realpath(path))
    if not real.is_relative_to(root):
        raise ConfigError(
            f"{name} is a link to {real}, outside the project; init writes nothing"
            " through it: replace the link with a file of the project's own"
        )
    try:
        return _Edit(name, real, read_project_file(real, FileLimits((root,))))
    except FileRefused as exc:
        raise ConfigError(f"{name} {exc}; init changed nothing") from None


def _text(edit: _Edit) -> str:
    try:
        return edit.old.decode("utf-8") if edit.old is not None else ""
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"{edit.name} is not UTF-8 ({exc.reason}); init changed nothing"
        ) from None


def _table(
    edit: _Edit, given: dict[str, str], root: Path, notes: list[str]
) -> dict[str, str]:
    """Add [tool.contractspec], or the given keys an existing one lacks, to the
    pyproject.toml edit; the table's values, its folders' defaults filled in."""
    import tomlkit
    from tomlkit.exceptions import ParseError

    text = _text(edit)
    if text and not text.endswith("\n"):
        text += "\n"  # so that the new table starts on a line of its own
    try:
        document = tomlkit.parse(text)
    except ParseError as exc:
        message = str(exc).replace(f" at line {exc.line} col {exc.col}", "")
        raise SpecError(
            [Diagnostic(PYPROJECT, exc.line, exc.col, f"invalid TOML: {message}")]
        ) from None
    check_table(text, root)  # what every command would say of it, before any edit
    tool = document.get("tool")
    table = tool.get("contractspec") if tool is not None else None
    if table is None:
        table = tomlkit.table()
        for key, value in _new_table(given).items():
            table[key] = value
        if tool is None:
            tool = tomlkit.table(is_super_table=True)
            document["tool"] = tool
        else:
            table.trivia.indent = "\n"  # a blank line after the tables before it
        tool["contractspec"] = table
    else:
        for key, value in given.items():
            if key not in table:
                table[key] = value
            elif table[key] != value:
                raise ConfigError(
                    f"{PYPROJECT} already sets {key} = {table[key].as_string()} in"
                    f" [tool.contractspec]; init does not change it: edit it there"
                )
        if "dialect" not in table:
            notes.append(
                f"{PYPROJECT} names no dialect: say which with"
                " contractspec init --dialect postgresql (or sqlite)"
            )
    new = tomlkit.dumps(document)
    if new != text:
        edit.new, edit.summary = new.encode("utf-8"), f"{PYPROJECT} [tool.contractspec]"
    values = {key: str(value) for key, value in table.items()}
    return {key: DEFAULTS[key] for key in FOLDERS} | values


def _new_table(given: dict[str, str]) -> dict[str, str]:
    """A new table: the folders, and a dialect with the URL it implies (a
    PostgreSQL one comes from the environment: passwords stay out of files)."""
    values = {key: given.get(key, DEFAULTS[key]) for key in FOLDERS}
    dialect = given.get("dialect", "sqlite")
    if "database" in given:
        values["database"] = given["database"]
    elif dialect == "sqlite":
        values["database"] = DEFAULTS["database"]
    values["dialect"] = dialect
    return values


def _add_lines(edit: _Edit, lines: list[str] | tuple[str, ...]) -> None:
    """Append each line whose pattern (first word) the file does not mention yet."""
    text = _text(edit)
    patterns = {
        line.split()[0]
        for line in text.splitlines()
        if line.strip() and not line.startswith("#")
    }
    missing = [line for line in lines if line.split()[0] not in patterns]
    if missing:
        block = "" if not text or text.endswith("\n") else "\n"
        block += "# contractspec\n" + "".join(f"{line}\n" for line in missing)
        edit.new = (text + block).encode("utf-8")
        edit.summary = f"{edit.name}: {', '.join(missing)}"


def _write(edit: _Edit) -> None:
    """A new file only if none appeared since it was looked for; an existing
    one only if it holds what was read (writer.atomic_write checks both)."""
    assert edit.new is not None
    try:
        atomic_write(
            edit.path,
            edit.new,
            exclusive=edit.old is None,
            unless_changed_from=edit.old,
            display=edit.name,
        )
    except FileExistsError:
        raise FileChanged(
            f"{edit.name} appeared on disk meanwhile; not overwritten (run init again)"
        ) from None


def _next_commands(table: dict[str, str]) -> list[str]:
    commands = [
        "contractspec migrate create app.db.0001_add_items"
        " --sql 'CREATE TABLE items (id INTEGER PRIMARY KEY)' --down-sql 'DROP TABLE items'",
        "contractspec build --all",
        "contractspec migrate up",
    ]
    if table.get("dialect") == "postgresql" and "database" not in table:
        # The URL comes from the environment (its password from libpq's own places).
        commands.insert(2, f"export {ENV_DATABASE}=postgresql://USER@HOST:5432/DBNAME")
    return commands
