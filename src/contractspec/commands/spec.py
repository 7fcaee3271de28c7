"""`contractspec spec …`: edit one spec file in place.

The target is a registered migration (`NAME` for its highest version, or an
exact `NAME.vN` key) or a path to a spec file. The edit itself happens in
`contractspec.edit` (libcst loads only there, on the first edit). This layer
finds the file, picks the line length the project is formatted for, makes
sure the edited spec still fits the project's registry (no duplicate key, no
unknown dependency, no cycle that was not there before), and writes the file
atomically unless asked only to preview.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from .. import writer
from ..config import Config, load_config
from ..errors import Diagnostic, FileRefused, RegistryError, SpecError, UsageError
from ..files import FileLimits, read_project_file
from ..loader import LoadedSpec, discover, load_source
from ..project import Project, open_for_editing, open_project
from ..registry import MigrationRegistry

if TYPE_CHECKING:
    from ..edit import EditResult
    from ..edit.operations import Operation


@dataclass
class SpecEdit:
    """The outcome of one `spec` command."""

    path: str  # as displayed: relative to the project root
    file: Path
    result: EditResult
    written: bool
    warnings: list[str] = field(default_factory=list)


def split_values(values: list[str] | tuple[str, ...]) -> list[str]:
    """`owners a,b c` → ["a", "b", "c"]: commas and repeated values both separate; blanks are dropped."""
    out: list[str] = []
    for value in values:
        out += [part.strip() for part in value.split(",") if part.strip()]
    return out


def read_value(value: str, stdin: TextIO | None = None) -> str:
    """A payload argument: `-` reads stdin, `@path` reads a file, `@@text` is the
    literal `@text`. Both are read up to the default max_file_bytes (10 MiB),
    a file as every file is (a regular file, without blocking)."""
    limits = FileLimits.unconfined()
    if value == "-":
        import sys

        text = (stdin or sys.stdin).read(limits.max_bytes + 1)
        if len(text.encode("utf-8", "surrogatepass")) > limits.max_bytes:
            raise UsageError(
                f"the value read from stdin is more than {limits.max_bytes} bytes;"
                " give the SQL in a .sql file the spec names instead"
            )
        return text
    if value.startswith("@@"):
        return value[1:]
    if value.startswith("@"):
        try:
            return read_project_file(Path(value[1:]), limits).decode("utf-8")
        except FileRefused as exc:
            raise UsageError(f"{value} {exc}") from None
        except UnicodeDecodeError as exc:
            raise UsageError(f"cannot read {value}: not UTF-8 ({exc.reason})") from None
    return value


def _looks_like_path(target: str) -> bool:
    return (
        "/" in target
        or os.sep in target
        or (target.endswith(".py") and Path(target).is_file())
    )


def _lookup(project: Project, reference: str) -> LoadedSpec:
    try:
        return project.specs[project.registry.lookup(reference).key]
    except RegistryError as exc:
        if project.broken:
            files = sorted({d.path for d in project.broken})
            raise RegistryError(
                f"{exc} ({len(files)} spec file{'s' if len(files) != 1 else ''} did not load:"
                f" {', '.join(files)}; pass the spec's file path to edit it)"
            ) from None
        raise


def _line_length(config: Config) -> int:
    """The project's black line length, else the one its specs were written for."""
    if config.black_line_length is not None:
        return config.black_line_length
    from ..edit.layout import infer_line_length

    texts = []
    for path in discover(config.specs_dir):
        try:
            texts.append(read_project_file(path, config.files).decode("utf-8"))
        except (FileRefused, UnicodeDecodeError):
            continue
    return infer_line_length(*texts)


def _registry_problems(specs: list[LoadedSpec]) -> list[Diagnostic]:
    registry = MigrationRegistry()
    problems: list[Diagnostic] = []
    for loaded in specs:
        try:
            registry.register(loaded.spec, loaded)
        except RegistryError as exc:
            problems += exc.diagnostics or [Diagnostic(loaded.path, 1, 1, str(exc))]
    try:
        registry.graph()
    except RegistryError as exc:
        problems += exc.diagnostics or [Diagnostic("<registry>", 1, 1, str(exc))]
    return problems


def _check_registry(
    project: Project, file: Path, display: str, result: EditResult
) -> None:
    """Refuse an edit that breaks the project's registry (compared with before the edit)."""
    from ..edit import EditRefused

    others = [
        s
        for s in project.files
        if (project.config.root / s.path).resolve() != file.resolve()
    ]
    before_self = [s for s in project.files if s not in others]
    edited = result.loaded or load_source(result.new_source, display)
    note = f"the file was not changed: after this edit ({result.message}) the project's registry would be broken"
    for other in others:
        if other.key == edited.key:
            line, col = edited.position(("meta", "version"))
            raise EditRefused(
                [
                    Diagnostic(
                        display,
                        line,
                        col,
                        f"{edited.key} already exists in {other.path}",
                    )
                ],
                note,
            )
    before = {(d.path, d.message) for d in _registry_problems(others + before_self)}
    after = _registry_problems(others + [edited])
    new = [d for d in after if (d.path, d.message) not in before]
    if new:
        raise EditRefused(new, note)


def edit_spec(
    target: str,
    operation: Operation,
    project_dir: Path | None = None,
    *,
    write: bool = True,
    config: Config | None = None,
) -> SpecEdit:
    """Apply one edit operation (contractspec.edit.*) to the spec named by target.

    config: the project's, when the command has read it already."""
    from ..edit import edit_source, read_snapshot, write_if_unchanged

    if _looks_like_path(target):
        file = Path(target)
        if not file.is_file():
            raise UsageError(f"no such spec file: {target}")
        if config is None:  # the project the file is in, unless told
            config = load_config(project_dir, search_from=file.resolve().parent)
        project = open_for_editing(config)
    else:
        config = config or load_config(project_dir)
        project = open_for_editing(config)
        loaded = _lookup(project, target)
        file = config.root / loaded.path
    display = config.relative(file)
    inside = _is_inside(file, config.specs_dir)
    snapshot = read_snapshot(file, display, config.files)
    result = edit_source(
        snapshot.text, display, operation, line_length=_line_length(config)
    )
    warnings: list[str] = []
    if result.changed and inside:
        _check_registry(project, file, display, result)
    elif result.changed:
        warnings.append(
            f"{display} is outside the project's spec folder; the registry was not checked"
        )
    if project.broken and result.changed:
        warnings.append(
            "some spec files of the project do not load; the registry check covered the others"
        )
    written = False
    if write and result.changed:
        write_if_unchanged(snapshot, result.new_source, display)
        written = True
    return SpecEdit(display, file, result, written, warnings)


def _is_inside(file: Path, folder: Path) -> bool:
    try:
        file.resolve().relative_to(folder.resolve())
        return True
    except ValueError:
        return False


@dataclass(frozen=True)
class NewVersion:
    key: str  # the new NAME.vN
    path: str  # the new file, relative to the project root
    copied_from: str  # the key it copies


VERSION_SUFFIX = re.compile(r"_v[0-9]+$")


def new_version(name: str, project_dir: Path | None = None) -> NewVersion:
    """Copy the highest version of name into `<file>_v<N+1>.py` as version N+1.

    The copy keeps every step and dependency (it depends on version N
    implicitly, so it runs after it); the person edits its steps into what
    takes a database from version N to N+1. The old file, its harness and
    its history stay as they are: that is what lets the applied version be
    reverted later."""
    from ..edit import BumpVersion, edit_source, read_snapshot

    project = open_project(project_dir)
    latest = project.registry.lookup(name)
    if latest.key != project.registry.get(latest.name).key:
        raise UsageError(
            f"{latest.key} is not the highest version of {latest.name}; give the bare"
            f" name to copy {project.registry.get(latest.name).key}"
        )
    config = project.config
    source_file = config.root / project.specs[latest.key].path
    version = latest.version + 1
    stem = VERSION_SUFFIX.sub("", source_file.stem)
    target = source_file.with_name(f"{stem}_v{version}.py")
    display = config.relative(target)
    if target.exists():
        raise UsageError(f"{display} already exists")
    result = edit_source(
        read_snapshot(source_file, config.relative(source_file), config.files).text,
        display,
        BumpVersion(version),
        line_length=_line_length(config),
    )
    text = result.new_source
    # The copied file's own header (it was made by new-version too) is replaced.
    text = text.removeprefix(_new_version_header(latest.name, latest.version))
    header = _new_version_header(latest.name, version)
    writer.atomic_write(target, (header + text).encode("utf-8"), exclusive=True)
    try:
        open_project(config=config)  # loads, and fits the graph
    except SpecError:
        target.unlink()
        raise
    return NewVersion(f"{latest.name}.v{version}", display, latest.key)


def _new_version_header(name: str, version: int) -> str:
    return (
        f"# Version {version} of {name} (contractspec spec new-version): it runs\n"
        f"# after version {version - 1}, which stays as it is. Change these steps into\n"
        f"# what takes a database from version {version - 1} to version {version}.\n"
    )
