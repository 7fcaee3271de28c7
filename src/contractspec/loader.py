"""Static spec loader: reads spec files with `ast`, never executes them.

A spec file is a Python module with one module-level assignment of a
`MigrationSpec(...)` call. Values must be literals, or names bound to
literals at module level in the same file. Every problem becomes a
`Diagnostic` (`path:line:col: message`); all problems of a run are reported
together in one `SpecError`.
"""

from __future__ import annotations

import ast
import dataclasses
import functools
import json
import os
import re
import warnings
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from . import spec as model
from .cachedir import JsonCache
from .errors import Diagnostic, FileRefused, SpecError
from .files import FileLimits, read_project_file, relative_posix
from .fingerprint import spec_fingerprint
from .model_names import MODEL_CLASSES, STEP_CLASS_NAMES, ModelNames

# How deep values may nest (lists in calls in lists..., through names too); a
# real spec needs under ten. Deeper is an error, never a RecursionError.
MAX_DEPTH = 64

# What a model field must hold when it holds model objects: (class, field) →
# (allowed class names, is a list).
NESTED: dict[tuple[str, str], tuple[tuple[str, ...], bool]] = {
    ("MigrationSpec", "meta"): (("MigrationMeta",), False),
    ("MigrationSpec", "plan"): (("MigrationPlan",), False),
    ("MigrationPlan", "up"): (STEP_CLASS_NAMES, True),
    ("MigrationPlan", "down"): (STEP_CLASS_NAMES, True),
    **{(step, "pre_checks"): (("MigrationCheck",), True) for step in STEP_CLASS_NAMES},
    **{(step, "post_checks"): (("MigrationCheck",), True) for step in STEP_CLASS_NAMES},
}

# The fields whose value is a dict of strings; anywhere else a dict is an error.
DICT_FIELDS = ("lint_ignore",)

ALLOWED = (
    "values must be literals (strings, numbers, True/False/None, lists) or names"
    " bound to literals at module level in this file"
)


@dataclass
class LoadedSpec:
    """A spec with where it came from: file, the call's position, every field's position."""

    spec: model.MigrationSpec
    path: str  # as displayed: relative to the project root when discovered
    line: int
    col: int
    positions: Mapping[model.FieldPath, tuple[int, int]]
    variable: str  # the module-level name the spec is assigned to
    # spec_fingerprint of the spec alone (no pinned files), when the spec cache has it
    fingerprint: str | None = dataclasses.field(default=None, compare=False)

    @property
    def key(self) -> str:
        return self.spec.key

    def position(self, path: model.FieldPath) -> tuple[int, int]:
        """The position of a field, or of its nearest enclosing node."""
        while path not in self.positions and path:
            path = path[:-1]
        return self.positions.get(path, (self.line, self.col))

    def diagnostic(self, path: model.FieldPath, message: str) -> Diagnostic:
        line, col = self.position(path)
        return Diagnostic(self.path, line, col, message)


class _Invalid:
    """Stands for a value that already produced a diagnostic."""


INVALID = _Invalid()

# Python's own line breaks (ast line numbers count these, not str.splitlines'
# extra ones such as form feed or U+2028 inside a string literal).
_LINE_BREAK = re.compile(r"\r\n|\r|\n")


class _Reader:
    def __init__(self, source: str, path: str):
        self.source = source
        self.path = path
        self.lines = _LINE_BREAK.split(source)
        self.diagnostics: list[Diagnostic] = []
        self.positions: dict[model.FieldPath, tuple[int, int]] = {}
        self.names = ModelNames()
        self.bindings: dict[str, ast.expr] = {}
        self.resolving: set[str] = set()
        self.depth = 0  # of value() calls in progress

    # -- positions ----------------------------------------------------------
    def pos(self, node: ast.AST) -> tuple[int, int]:
        line = getattr(node, "lineno", 1)
        offset = getattr(node, "col_offset", 0)
        text = self.lines[line - 1] if 0 < line <= len(self.lines) else ""
        if text.isascii():
            return line, offset + 1
        # ast offsets count UTF-8 bytes; people count characters.
        col = len(text.encode("utf-8")[:offset].decode("utf-8", "replace")) + 1
        return line, col

    def error(self, node: ast.AST, message: str) -> _Invalid:
        line, col = self.pos(node)
        self.diagnostics.append(Diagnostic(self.path, line, col, message))
        return INVALID

    # -- module level ---------------------------------------------------------
    def read(self) -> LoadedSpec | None:
        try:
            with warnings.catch_warnings():
                # e.g. "invalid escape sequence" in SQL: not ours to print.
                warnings.simplefilter("ignore")
                tree = ast.parse(self.source, filename=self.path)
        except SyntaxError as exc:
            line, col = exc.lineno or 1, exc.offset or 1
            self.diagnostics.append(
                Diagnostic(self.path, line, col, f"syntax error: {exc.msg}")
            )
            return None
        except ValueError as exc:  # e.g. NUL bytes
            self.diagnostics.append(Diagnostic(self.path, 1, 1, f"cannot parse: {exc}"))
            return None
        except (RecursionError, MemoryError):  # 100,000 terms or unary minuses
            self.diagnostics.append(
                Diagnostic(self.path, 1, 1, "cannot parse: expressions nest too deeply")
            )
            return None

        spec_assignments: list[tuple[str, ast.Call]] = []
        for node in tree.body:
            if isinstance(node, ast.ImportFrom):
                for alias in node.names:
                    self.names.from_import(
                        node.module or "", node.level, alias.name, alias.asname
                    )
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    self.names.import_(alias.name, alias.asname)
            elif (
                isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value is not None
            ):
                targets = (
                    node.targets if isinstance(node, ast.Assign) else [node.target]
                )
                names = [t.id for t in targets if isinstance(t, ast.Name)]
                if (
                    isinstance(node.value, ast.Call)
                    and self.model_class(node.value) == "MigrationSpec"
                ):
                    spec_assignments.append((names[0] if names else "", node.value))
                for name in names:
                    self.bindings[name] = node.value

        if not spec_assignments:
            self.diagnostics.append(
                Diagnostic(
                    self.path,
                    1,
                    1,
                    "no module-level `NAME = MigrationSpec(...)` assignment"
                    " (import it with `from contractspec import MigrationSpec`)",
                )
            )
            return None
        for _, extra in spec_assignments[1:]:
            self.error(
                extra, "a spec file holds exactly one MigrationSpec; this is another"
            )
        variable, call = spec_assignments[0]
        spec = self.value(call, ())
        if spec is INVALID:
            return None
        line, col = self.pos(call)
        return LoadedSpec(spec, self.path, line, col, self.positions, variable)

    def model_class(self, node: ast.expr) -> str | None:
        if not isinstance(node, ast.Call):
            return None
        func = node.func
        if isinstance(func, ast.Name):
            return self.names.model_class(None, func.id)
        if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
            return self.names.model_class(func.value.id, func.attr)
        return None

    # -- values ---------------------------------------------------------------
    def value(self, node: ast.expr, path: model.FieldPath) -> Any:
        if self.depth >= MAX_DEPTH:
            return self.error(node, f"values nest more than {MAX_DEPTH} levels deep")
        self.depth += 1
        try:
            return self._value(node, path)
        finally:
            self.depth -= 1

    def _value(self, node: ast.expr, path: model.FieldPath) -> Any:
        self.positions.setdefault(path, self.pos(node))
        if isinstance(node, ast.Constant):
            if isinstance(node.value, str) and not _encodable(node.value):
                return self.error(
                    node,
                    "string holds a lone surrogate (such as '\\ud800'), which is not"
                    " text: no database can store it as UTF-8",
                )
            if isinstance(node.value, (str, int, float, bool)) or node.value is None:
                return node.value
            return self.error(
                node, f"{type(node.value).__name__} values are not allowed; {ALLOWED}"
            )
        if isinstance(node, (ast.List, ast.Tuple)):
            return [
                self.value(item, path + (index,))
                for index, item in enumerate(node.elts)
            ]
        if (
            isinstance(node, ast.UnaryOp)
            and isinstance(node.op, (ast.USub, ast.UAdd))
            and isinstance(node.operand, ast.Constant)
            and type(node.operand.value) in (int, float)
        ):
            number = cast(float, node.operand.value)  # int or float, not bool
            return -number if isinstance(node.op, ast.USub) else number
        if isinstance(node, ast.Dict) and path and path[-1] in DICT_FIELDS:
            return self.dict(node, path)
        if isinstance(node, ast.Name):
            return self.name(node, path)
        if isinstance(node, ast.Call):
            return self.call(node, path)
        if isinstance(node, ast.JoinedStr):
            return self.error(node, f"f-strings are not allowed; {ALLOWED}")
        return self.error(node, f"{_describe(node)} is not allowed; {ALLOWED}")

    def dict(self, node: ast.Dict, path: model.FieldPath) -> Any:
        """A dict with string keys (e.g. lint_ignore); each key's position is recorded."""
        result: dict[str, Any] = {}
        for key, item in zip(node.keys, node.values, strict=True):
            if key is None:
                return self.error(item, f"**unpacking is not allowed; {ALLOWED}")
            if not isinstance(key, ast.Constant) or not isinstance(key.value, str):
                return self.error(key, "dict keys must be string literals")
            if key.value in result:
                return self.error(key, f"duplicate key {key.value!r}")
            self.positions.setdefault(path + (key.value,), self.pos(key))
            result[key.value] = self.value(item, path + (key.value, "reason"))
        return result

    def name(self, node: ast.Name, path: model.FieldPath) -> Any:
        """What a name is bound to. A chain of names (`b = a`, `c = b`, ...,
        5,000 long) is followed in a loop, not by recursion."""
        chain: list[str] = []
        target: ast.expr = node
        while isinstance(target, ast.Name):
            node, name = target, target.id
            if name in self.names.imported:
                return self.error(
                    node,
                    f"{name!r} is imported from {self.names.imported[name]!r}; {ALLOWED}",
                )
            if name not in self.bindings:
                return self.error(
                    node, f"name {name!r} is not bound at module level; {ALLOWED}"
                )
            if name in self.resolving or name in chain:
                return self.error(node, f"name {name!r} refers to itself")
            chain.append(name)
            target = self.bindings[name]
        self.resolving.update(chain)
        try:
            return self.value(target, path)
        finally:
            self.resolving.difference_update(chain)

    def call(self, node: ast.Call, path: model.FieldPath) -> Any:
        class_name = self.model_class(node)
        if class_name is None:
            func = ast.unparse(node.func)
            return self.error(
                node,
                f"call to unknown function {func!r}: only the contractspec model classes"
                f" ({', '.join(MODEL_CLASSES)}) may be called; {ALLOWED}",
            )
        cls = MODEL_CLASSES[class_name]
        positional, names, required = _signature(cls)
        arguments: dict[str, ast.expr] = {}
        failed = False
        if len(node.args) > len(positional):
            count = len(positional)
            self.error(
                node.args[count],
                f"{class_name}() takes at most {count} positional argument{'s' if count != 1 else ''}",
            )
            failed = True
        for field_name, arg in zip(positional, node.args, strict=False):
            if isinstance(arg, ast.Starred):
                return self.error(arg, f"*arguments are not allowed; {ALLOWED}")
            arguments[field_name] = arg
        for keyword in node.keywords:
            if keyword.arg is None:
                return self.error(
                    keyword.value, f"**arguments are not allowed; {ALLOWED}"
                )
            if keyword.arg not in names:
                self.error(
                    keyword,
                    f"{class_name}() has no field {keyword.arg!r}; fields:"
                    f" {', '.join(sorted(names))}",
                )
                failed = True
            elif keyword.arg in arguments:
                self.error(keyword, f"{class_name}() got {keyword.arg!r} twice")
                failed = True
            else:
                arguments[keyword.arg] = keyword.value

        values: dict[str, Any] = {}
        for field_name, arg in arguments.items():
            values[field_name] = self.nested(
                class_name, field_name, arg, path + (field_name,)
            )
        for name in required:
            if name not in values:
                self.error(node, f"{class_name}() is missing required field {name!r}")
                failed = True
        if class_name == "DataStep" and not {"script", "instructions"} & set(values):
            message = "DataStep() needs a script (or instructions for a person)"
            self.error(node, message)
            failed = True
        if failed or any(_has_invalid(v) for v in values.values()):
            return INVALID
        return cls(**values)

    def nested(
        self, class_name: str, field_name: str, arg: ast.expr, path: model.FieldPath
    ) -> Any:
        expected = NESTED.get((class_name, field_name))
        value = self.value(arg, path)
        if expected is None or value is INVALID:
            if expected is None and value is not INVALID and _is_model(value):
                return self.error(
                    arg, f"{field_name} cannot hold a {type(value).__name__}"
                )
            return value
        allowed, is_list = expected
        if is_list and value is None and field_name == "down":
            return None
        items = value if is_list else [value]
        if is_list and not isinstance(value, list):
            return self.error(
                arg, f"{field_name} must be a list of {' / '.join(allowed)}"
            )
        elements = (
            arg.elts
            if is_list and isinstance(arg, (ast.List, ast.Tuple))
            else [arg] * len(items)
        )
        for item, element in zip(items, elements, strict=False):
            if item is not INVALID and type(item).__name__ not in allowed:
                self.error(
                    element,
                    f"{field_name} must hold {' / '.join(allowed)}, not {_type_name(item)}",
                )
                return INVALID
        return value


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _has_invalid(value: Any) -> bool:
    if isinstance(value, list):
        return any(_has_invalid(item) for item in value)
    return value is INVALID


def _is_model(value: Any) -> bool:
    return type(value).__name__ in MODEL_CLASSES


def _type_name(value: Any) -> str:
    return (
        type(value).__name__ if _is_model(value) else f"a {type(value).__name__} value"
    )


@functools.cache
def _signature(cls: type) -> tuple[list[str], frozenset[str], list[str]]:
    """A model class's fields as a call reads them, once per class: the
    positional ones in order, all names, and the required ones (no default)."""
    fields = dataclasses.fields(cls)
    required = [
        f.name
        for f in fields
        if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
    ]
    positional = [f.name for f in fields if not f.kw_only]
    return positional, frozenset(f.name for f in fields), required


def _describe(node: ast.AST) -> str:
    kinds = {
        ast.BinOp: "an operator expression",
        ast.Dict: "a dict",
        ast.Set: "a set",
        ast.Attribute: "an attribute access",
        ast.Subscript: "a subscript",
        ast.Lambda: "a lambda",
        ast.IfExp: "a conditional expression",
        ast.ListComp: "a comprehension",
        ast.GeneratorExp: "a generator expression",
        ast.DictComp: "a comprehension",
        ast.SetComp: "a comprehension",
        ast.BoolOp: "a boolean expression",
        ast.Compare: "a comparison",
    }
    return kinds.get(type(node), f"a {type(node).__name__} expression")


# ---------------------------------------------------------------------------


def load_source(source: str, path: str) -> LoadedSpec:
    """Read one spec from source text; raise SpecError with every problem."""
    reader = _Reader(source, path)
    try:
        loaded = reader.read()
    except (RecursionError, MemoryError):  # depth is checked; this is the backstop
        message = "cannot load: the file nests too deeply or is too large"
        raise SpecError([Diagnostic(path, 1, 1, message)]) from None
    diagnostics = list(reader.diagnostics)
    if loaded is not None:
        diagnostics += [
            loaded.diagnostic(p.path, p.message) for p in model.validate(loaded.spec)
        ]
    if diagnostics:
        raise SpecError(diagnostics)
    assert loaded is not None
    return loaded


def load_file(
    path: Path, display: str | None = None, files: FileLimits | None = None
) -> LoadedSpec:
    display = display or path.as_posix()
    return load_bytes(read_spec_bytes(path, display, files), display)


def read_spec_bytes(path: Path, display: str, files: FileLimits | None = None) -> bytes:
    """A spec file's bytes (files.read_project_file); SpecError at 1:1 when
    it may not be read."""
    try:
        return read_project_file(path, files or FileLimits.unconfined())
    except FileRefused as exc:
        raise SpecError([Diagnostic(display, 1, 1, f"spec file {exc}")]) from None


def load_bytes(data: bytes, display: str) -> LoadedSpec:
    try:
        source = data.decode(
            "utf-8-sig"
        )  # a leading BOM is allowed, as Python allows it
    except UnicodeDecodeError as exc:
        # Point at the first bad byte: everything before it decodes.
        start = exc.start + (3 if data.startswith(b"\xef\xbb\xbf") else 0)
        before = _LINE_BREAK.split(data[:start].decode("utf-8-sig"))
        message = f"not UTF-8: {exc.reason} (byte 0x{data[start]:02x}); spec files must be UTF-8"
        raise SpecError(
            [Diagnostic(display, len(before), len(before[-1]) + 1, message)]
        ) from None
    return load_source(source, display)


def _walk(folder: Path) -> list[tuple[str, ...]]:
    """The relative parts of every spec file under folder, sorted as paths sort.

    os.walk on strings, not Path.rglob: a tenth of the time at 1,000 specs.
    Like rglob, it does not descend into symlinked folders."""
    found: list[tuple[str, ...]] = []
    skipped = ("_", ".")
    for directory, folders, files in os.walk(folder):
        folders[:] = [name for name in folders if not name.startswith(skipped)]
        relative = os.path.relpath(directory, folder)
        parts = () if relative == os.curdir else tuple(relative.split(os.sep))
        found += [
            (*parts, name)
            for name in files
            if name.endswith(".py") and not name.startswith(skipped)
        ]
    return sorted(found)


def discover(folder: Path) -> list[Path]:
    """Spec files under folder, sorted; names starting with `_` or `.` are skipped."""
    return [folder.joinpath(*parts) for parts in _walk(folder)]


def load_specs(
    folder: Path,
    root: Path | None = None,
    cache: SpecCache | None = None,
    files: FileLimits | None = None,
) -> list[LoadedSpec]:
    """Load every spec under folder; all problems of all files in one SpecError."""
    loaded: list[LoadedSpec] = []
    diagnostics: list[Diagnostic] = []
    prefix = folder.as_posix() if root is None else relative_posix(folder, root)
    for parts in _walk(folder):
        path = folder.joinpath(*parts)
        display = "/".join(parts if prefix == "." else (prefix, *parts))
        try:
            data = read_spec_bytes(path, display, files)
            hit = cache.spec(data, display) if cache else None
            loaded.append(hit or load_bytes(data, display))
            if cache and not hit:
                cache.remember(data, loaded[-1])
        except SpecError as exc:
            diagnostics += exc.diagnostics
    if cache:
        cache.save()
    if diagnostics:
        raise SpecError(diagnostics)
    return loaded


class _CachedPositions(Mapping[model.FieldPath, tuple[int, int]]):
    """A cached spec's field positions, kept as their JSON text until a
    diagnostic asks for one: most commands never do, and reading them all
    was half the time of loading the spec cache."""

    def __init__(self, text: str):
        self.text = text

    @functools.cached_property
    def _positions(self) -> dict[model.FieldPath, tuple[int, int]]:
        return {tuple(path): (line, col) for path, line, col in json.loads(self.text)}

    def __getitem__(self, path: model.FieldPath) -> tuple[int, int]:
        return self._positions[path]

    def __iter__(self) -> Iterator[model.FieldPath]:
        return iter(self._positions)

    def __len__(self) -> int:
        return len(self._positions)


class SpecCache(JsonCache):
    """Valid specs, with their own fingerprints, by the hash of their file's bytes.

    Parsing dominates loading (ast, then the walk); a spec whose bytes are
    unchanged loads the same, so `list`, `build` and `migrate` skip both (and
    `migrate` the canonical JSON of every spec, for its fingerprint). Only
    specs that loaded and validated are cached; the schema includes the
    contractspec version, so a new loader never reads an old entry.
    """

    def __init__(self, path: Path):
        from . import __version__

        super().__init__(path, f"contractspec-specs-4 {__version__}")

    def spec(self, data: bytes, display: str) -> LoadedSpec | None:
        entry = self.get(self.key(data))
        if entry is None:
            return None
        positions = _CachedPositions(entry["positions"])
        spec = model.from_dict(entry["spec"])
        line, col, variable = entry["line"], entry["col"], entry["variable"]
        return LoadedSpec(
            spec, display, line, col, positions, variable, entry["fingerprint"]
        )

    def remember(self, data: bytes, loaded: LoadedSpec) -> None:
        loaded.fingerprint = spec_fingerprint(loaded.spec)
        self.put(
            self.key(data),
            {
                "spec": model.to_dict(loaded.spec),
                "fingerprint": loaded.fingerprint,
                "line": loaded.line,
                "col": loaded.col,
                "variable": loaded.variable,
                "positions": json.dumps(
                    [
                        [list(p), line, col]
                        for p, (line, col) in loaded.positions.items()
                    ]
                ),
            },
        )
