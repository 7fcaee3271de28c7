"""Data-step scripts (and schema-step SQL files): what a step points at,
resolved and pinned at build time.

A data step's `script` is classified once, here, by its text alone:

- `path/to/file.sql`                → `sql_file`      (one line ending in `.sql`)
- `path/to/file.py:function`        → `python_file`
- `package.module:function`         → `python_module` (dotted identifiers, no `/`, not `.py`)
- `https://…` or `file:///…`        → `url`           (a pointer, pinned by the step's sha256)
- anything else                     → `inline_sql`

A data step with `instructions` (a person's work) has no script: it is not
resolved, and its harness step carries the instructions instead.

A schema step's `sql` that is one line ending in `.sql` is a `sql_file` in the
same way (its SQL lives in that file); any other `sql` is the SQL itself.

File paths in a spec are relative to the spec file's folder. In the harness,
`script_path` is relative to the harness's folder (posix) and
`script_sha256` pins the file's bytes (plain hex); the runtime verifies the
hash before it runs the file. A pointer is never fetched here (builds stay
offline): its `script_sha256` is the spec's `sha256`, and the runtime
fetches and verifies it. A missing file, a directory, an absolute path
or (for `.py:function`) a file without that top-level name is a spec error
that points at the `script` argument.
"""

from __future__ import annotations

import ast
import keyword
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import Diagnostic, FileRefused, SpecError
from ..files import read_project_file, relative_posix
from ..fingerprint import sha256_bytes
from ..spec import is_pointer

if TYPE_CHECKING:  # statements (and sql below it) load for a step outside a transaction
    from ..config import Config
    from ..loader import LoadedSpec
    from ..spec import MigrationStep
    from .statements import Outside

INLINE_SQL = "inline_sql"
SQL_FILE = "sql_file"
PYTHON_FILE = "python_file"
PYTHON_MODULE = "python_module"
URL = "url"


def _identifier(text: str) -> bool:
    return text.isidentifier() and not keyword.iskeyword(text)


def classify_script(script: str) -> str:
    """The script type of a data step's `script` text (see the module docstring)."""
    if not script or script != script.strip() or any(c in script for c in "\r\n\0"):
        return INLINE_SQL
    if is_pointer(script):
        return URL
    if script.endswith(".sql"):
        return SQL_FILE
    target, colon, function = script.rpartition(":")
    if colon and _identifier(function) and target:
        if target.endswith(".py") and target != ".py":
            return PYTHON_FILE
        if "/" not in target and all(_identifier(part) for part in target.split(".")):
            return PYTHON_MODULE
    return INLINE_SQL


def script_file(script: str, script_type: str) -> str | None:
    """The file part of a file script (`a/b.py:f` → `a/b.py`), else None."""
    if script_type == SQL_FILE:
        return script
    if script_type == PYTHON_FILE:
        return script.rpartition(":")[0]
    return None


@dataclass(frozen=True)
class ResolvedScript:
    script_type: str
    script_path: str | None  # relative to the harness folder, posix
    script_sha256: str | None


@dataclass
class Resolution:
    """Every data step of one spec, resolved, and every step outside the
    transaction, split into its statements: by (direction, index)."""

    steps: dict[tuple[str, int], ResolvedScript] = field(default_factory=dict)
    pins: dict[str, str] = field(default_factory=dict)  # "up.0" → sha256 hex
    outside: dict[tuple[str, int], Outside] = field(default_factory=dict)


def _top_level_names(tree: ast.Module) -> set[str]:
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names.update(t.id for t in targets if isinstance(t, ast.Name))
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names.update((a.asname or a.name).split(".")[0] for a in node.names)
    return names


def resolve_scripts(
    loaded: LoadedSpec, config: Config, harness_dir: Path | None = None
) -> Resolution:
    """Classify, locate and pin every data step (and schema step that names a .sql
    file) of a loaded spec; all problems in one SpecError."""
    resolution = Resolution()
    steps = [
        (direction, index, step)
        for direction in ("up", "down")
        for index, step in enumerate(getattr(loaded.spec.plan, direction) or [])
    ]
    data_steps = [
        (direction, index, step)
        for direction, index, step in steps
        if (step.kind == "data" and getattr(step, "instructions", None) is None)
        or (step.kind == "schema" and classify_script(step.payload) == SQL_FILE)
    ]
    outside = [
        (direction, index, step)
        for direction, index, step in steps
        if getattr(step, "transactional", True) is False
    ]
    if not data_steps and not outside:
        return resolution  # most specs: nothing to read (migrate fingerprints each)
    root = config.root
    harness_folder = harness_dir if harness_dir is not None else config.harness_dir
    files = config.files
    spec_dir: Path | None = None  # once a step names a file (inline SQL names none)
    problems: list[Diagnostic] = []
    sql_files: dict[tuple[str, int], tuple[str, str]] = {}  # (display, text)
    for direction, index, step in data_steps:
        where = ("plan", direction, index, step.payload_field)
        script_type = classify_script(step.payload)
        relative = script_file(step.payload, script_type)
        if relative is None:
            pin = getattr(step, "sha256", None) if script_type == URL else None
            resolution.steps[(direction, index)] = ResolvedScript(
                script_type, None, pin
            )
            continue
        if (
            os.path.isabs(relative)
            or relative.startswith("\\")
            or relative[1:3] == ":\\"
        ):
            problems.append(
                loaded.diagnostic(
                    where,
                    f"script file {relative!r} must be a path relative to the spec file's folder",
                )
            )
            continue
        if spec_dir is None:
            spec_dir = Path(os.path.normpath(root / loaded.path)).parent
        target = Path(os.path.normpath(spec_dir / relative))
        shown = relative_posix(target, root, climb=True)
        if not target.exists() and not target.is_symlink():
            problems.append(
                loaded.diagnostic(
                    where,
                    f"script file not found: {shown} (paths are relative to the spec file's folder)",
                )
            )
            continue
        try:  # inside the project, a regular file, bounded: or a diagnostic
            data = read_project_file(target, files)
        except FileRefused as exc:
            problems.append(loaded.diagnostic(where, f"script {shown} {exc}"))
            continue
        if script_type == PYTHON_FILE:
            function = step.payload.rpartition(":")[2]
            problem = _python_problem(data, function, shown)
            if problem:
                problems.append(loaded.diagnostic(where, problem))
                continue
        if script_type == SQL_FILE:
            sql_files[(direction, index)] = (
                shown,
                data.decode("utf-8", "surrogateescape"),
            )
        digest = sha256_bytes(data)
        resolution.pins[f"{direction}.{index}"] = digest
        resolution.steps[(direction, index)] = ResolvedScript(
            script_type,
            relative_posix(target, harness_folder, climb=True),
            digest,
        )
    if problems:
        raise SpecError(problems)
    if outside:
        resolution.outside = _split_outside(loaded, config, outside, sql_files)
    return resolution


def _split_outside(
    loaded: LoadedSpec,
    config: Config,
    steps: list[tuple[str, int, MigrationStep]],
    sql_files: dict[tuple[str, int], tuple[str, str]],
) -> dict[tuple[str, int], Outside]:
    """Each step outside the transaction split into its statements, in the
    project's dialect (codegen.statements); a reconcile that does not parse
    is a spec error at it."""
    from .statements import Outside, split_statements, statement_entries

    texts: dict[tuple[str, int], tuple[str, str]] = {}  # (where, SQL) by place
    reconciles: dict[tuple[str, int], tuple[str, str]] = {}
    for direction, index, step in steps:
        place = (direction, index)
        if place in sql_files:
            texts[place] = sql_files[place]
        elif step.kind == "schema" or classify_script(step.payload) == INLINE_SQL:
            texts[place] = (loaded.path, step.payload)
        given: str | None = getattr(step, "reconcile", None)  # write steps have it
        if given:
            reconciles[place] = (loaded.path, given)
    dialect = config.dialect_for([*texts.values(), *reconciles.values()])
    found: dict[tuple[str, int], Outside] = {}
    problems = []
    for place in (step[:2] for step in steps):
        try:
            reconcile = (
                split_statements(reconciles[place][1], dialect)
                if place in reconciles
                else None
            )
        except ValueError as exc:
            message = f"reconcile does not parse as {dialect}: {exc}"
            problems.append(loaded.diagnostic(("plan", *place, "reconcile"), message))
            continue
        sql = texts.get(place)
        statements = None if sql is None else statement_entries(sql[1], dialect)
        found[place] = Outside(statements, reconcile)
    if problems:
        raise SpecError(problems)
    return found


def _python_problem(data: bytes, function: str, shown: str) -> str | None:
    try:
        tree = ast.parse(data, filename=shown)
    except (SyntaxError, ValueError) as exc:
        return f"script {shown} is not valid Python: {exc}"
    if function not in _top_level_names(tree):
        return f"script {shown} defines no top-level {function!r}"
    return None
