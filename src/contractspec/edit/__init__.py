"""Round-trip spec editing: the only package that imports libcst.

Importing this package is cheap; libcst loads on the first edit. The API:

    from contractspec.edit import AddDependency, edit_source, edit_file

    result = edit_source(text, "migrations/core/x.py", AddDependency("core.db.y"))
    result.changed, result.new_source, result.message, result.diff()

    edit_file(Path("migrations/core/x.py"), AddDependency("core.db.y"))  # atomic write

Every edit changes only the nodes it has to; an edit already applied is a
no-op (`changed` is False and `message` says why); a target that is not a
literal, or a result that would not load and validate, raises `EditRefused`
(a SpecError with `path:line:col` diagnostics) and changes nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from ..errors import Diagnostic, FileChanged, SpecError
from ..files import FileLimits
from ..loader import read_spec_bytes
from .operations import (
    LIST_FIELDS,
    PAYLOAD_FIELDS,
    SCALAR_FIELDS,
    SETTABLE_FIELDS,
    AcceptLintRule,
    AddCheck,
    AddDependency,
    AddStep,
    BumpVersion,
    EditRefused,
    EditResult,
    Operation,
    RemoveDependency,
    RemoveStep,
    SetField,
)

__all__ = [
    "LIST_FIELDS",
    "PAYLOAD_FIELDS",
    "SCALAR_FIELDS",
    "SETTABLE_FIELDS",
    "AcceptLintRule",
    "AddCheck",
    "AddDependency",
    "AddStep",
    "BumpVersion",
    "EditRefused",
    "EditResult",
    "FileChanged",
    "Operation",
    "RemoveDependency",
    "RemoveStep",
    "SetField",
    "Snapshot",
    "edit_file",
    "edit_source",
    "edit_source_many",
    "read_snapshot",
    "write_if_unchanged",
]


def edit_source(
    source: str, path: str, operation: Operation, *, line_length: int | None = None
) -> EditResult:
    """Apply one operation to spec source text (see engine.edit_source)."""
    from .engine import edit_source as _edit

    return _edit(source, path, operation, line_length=line_length)


def edit_source_many(
    source: str,
    path: str,
    operations: Iterable[Operation],
    *,
    line_length: int | None = None,
) -> EditResult:
    """Apply operations one after the other; the result spans all of them."""
    current = source
    messages = []
    for operation in operations:
        result = edit_source(current, path, operation, line_length=line_length)
        current = result.new_source
        messages.append(result.message)
    return EditResult(path, source, current, "; ".join(messages), current != source)


# ---------------------------------------------------------------------------
# Files: read once, write atomically, never over a change made meanwhile.


@dataclass(frozen=True)
class Snapshot:
    path: Path
    data: bytes
    text: str
    mode: int

    @property
    def sha256(self) -> str:
        import hashlib

        return hashlib.sha256(self.data).hexdigest()


def read_snapshot(
    path: Path, display: str | None = None, files: FileLimits | None = None
) -> Snapshot:
    """The spec file as it is now, read as the loader reads it (bounded, a
    regular file, without blocking; files: the project's limits)."""
    display = display or path.as_posix()
    data = read_spec_bytes(path, display, files)
    try:
        mode = path.stat().st_mode & 0o7777
    except OSError as exc:
        raise SpecError(
            [Diagnostic(display, 1, 1, f"cannot read: {exc.strerror}")]
        ) from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise SpecError(
            [Diagnostic(display, 1, 1, f"not UTF-8: {exc.reason}")]
        ) from None
    return Snapshot(path, data, text, mode)


def write_if_unchanged(
    snapshot: Snapshot, new_text: str, display: str | None = None
) -> None:
    """Replace the file with new_text atomically (writer.atomic_write), unless its
    bytes differ from the snapshot: then raise FileChanged and leave it alone."""
    from ..writer import atomic_write

    atomic_write(
        snapshot.path,
        new_text.encode("utf-8"),
        mode=snapshot.mode,
        unless_changed_from=snapshot.data,
        display=display,
    )


def edit_file(
    path: Path,
    operation: Operation,
    *,
    display: str | None = None,
    line_length: int | None = None,
    write: bool = True,
) -> EditResult:
    """Edit a spec file in place (or, with write=False, only compute the result)."""
    display = display or path.as_posix()
    snapshot = read_snapshot(path, display)
    result = edit_source(snapshot.text, display, operation, line_length=line_length)
    if write and result.changed:
        write_if_unchanged(snapshot, result.new_source, display)
    return result
