"""Finding what an edit changes: the spec call, the values it reaches, the way there.

`SpecFile` parses a spec file with libcst, finds the `MigrationSpec(...)`
assignment the way the static loader does (the import forms are shared with it
in contractspec.model_names), and follows fields, list items and names bound at
module level down to the node an operation has to change (`Where` remembers
the way). `replace` records a change; the editor prints them all at the end.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NamedTuple

import libcst as cst
from libcst.helpers import get_full_name_for_node_or_raise

from ..errors import Diagnostic, SpecError
from ..loader import load_source
from ..model_names import MODEL_CLASSES, ModelNames, imports_model
from .layout import infer_line_length
from .operations import EditRefused
from .seq import Irregular, ItemList

if TYPE_CHECKING:
    from libcst.metadata import MetadataWrapper

POSITIONAL: dict[str, list[str]] = {
    name: [f.name for f in dataclasses.fields(cls) if not f.kw_only]
    for name, cls in MODEL_CLASSES.items()
}

# Beside a data step's payload: its instructions (the payload of a person's
# work) and a pointer's pin.
_BESIDE_PAYLOAD = ("instructions", "sha256")
# Field order as people write it: the positional fields (a step's payload
# first), what goes beside the payload, then the rest.
FIELDS: dict[str, list[str]] = {
    name: [f.name for f in dataclasses.fields(cls) if not f.kw_only]
    + [f for f in _BESIDE_PAYLOAD if f in {g.name for g in dataclasses.fields(cls)}]
    + [
        f.name
        for f in dataclasses.fields(cls)
        if f.kw_only and f.name not in _BESIDE_PAYLOAD
    ]
    for name, cls in MODEL_CLASSES.items()
}


UNCHANGED_NOTE = "the file was not changed"


class Refusal(Exception):
    """An edit that cannot be made, pointing at the node that prevents it."""

    def __init__(self, node: cst.CSTNode, message: str):
        super().__init__(message)
        self.node = node
        self.message = message


class Noop(Exception):
    """The edit is already applied."""


Container = cst.Call | cst.List | cst.Tuple
# What a node becomes: a node, or (for statements) several, or nothing.
Replacement = cst.CSTNode | cst.FlattenSentinel[Any] | cst.RemovalSentinel


def item_at(container: Container, index: int) -> cst.Arg | cst.BaseElement:
    """The argument or element at `index`."""
    return (
        container.args[index]
        if isinstance(container, cst.Call)
        else container.elements[index]
    )


@dataclass(frozen=True)
class Where:
    """How a node was reached: from a module-level value, through (container, item index) steps.

    `via` holds the names followed to get there (`meta=META`): editing below them
    edits the module-level binding, which is only safe when it is used once.
    """

    root: cst.CSTNode
    prefix: str  # the root's line before the value, e.g. "spec = "
    chain: tuple[tuple[Container, int], ...] = ()
    via: tuple[cst.Name, ...] = ()

    def child(self, container: Container, index: int) -> Where:
        return Where(
            self.root, self.prefix, self.chain + ((container, index),), self.via
        )


class Field(NamedTuple):
    """A field given in a model call: the argument, its value, the way there."""

    argument: int  # its index in the call's arguments
    value: cst.BaseExpression
    where: Where


def aliases(node: cst.ImportFrom) -> list[cst.ImportAlias]:
    """The names a `from ... import` lists (none for `import *`)."""
    return [] if isinstance(node.names, cst.ImportStar) else list(node.names)


def describe(node: cst.CSTNode, code: str) -> str:
    if isinstance(node, cst.Call):
        return f"a call to {code!r}"
    if isinstance(node, cst.FormattedString):
        return "an f-string"
    if isinstance(node, cst.ConcatenatedString):
        return "an f-string" if has_fstring(node) else "a string"
    kinds = {
        cst.BinaryOperation: "an operator expression",
        cst.Dict: "a dict",
        cst.Set: "a set",
        cst.Attribute: "an attribute access",
        cst.Subscript: "a subscript",
        cst.Lambda: "a lambda",
        cst.IfExp: "a conditional expression",
        cst.ListComp: "a comprehension",
        cst.SetComp: "a comprehension",
        cst.DictComp: "a comprehension",
        cst.GeneratorExp: "a generator expression",
        cst.BooleanOperation: "a boolean expression",
        cst.Comparison: "a comparison",
        cst.UnaryOperation: "an operator expression",
        cst.Await: "an await expression",
        cst.NamedExpr: "an assignment expression",
        cst.Ellipsis: "an ellipsis",
    }
    for kind, text in kinds.items():
        if isinstance(node, kind):
            return text
    return f"a {type(node).__name__} expression"


def has_fstring(node: cst.CSTNode) -> bool:
    if isinstance(node, cst.FormattedString):
        return True
    if isinstance(node, cst.ConcatenatedString):
        return has_fstring(node.left) or has_fstring(node.right)
    return False


class SpecFile:
    """A parsed spec file, its spec call, and the replacements an edit has recorded."""

    def __init__(self, source: str, path: str, line_length: int | None = None):
        self.source = source
        self.path = path
        try:
            self.module = cst.parse_module(source)
        except cst.ParserSyntaxError as exc:
            raise self._unparsable(exc) from None
        self.newline = self.module.default_newline
        self.line_length = line_length or infer_line_length(source)
        self.replacements: dict[int, tuple[cst.CSTNode, Replacement]] = {}
        self.paths: set[int] = set()
        self._wrapper: MetadataWrapper | None = None
        self._sequences: dict[int, ItemList] = {}
        self._scan()

    def _unparsable(self, exc: cst.ParserSyntaxError) -> SpecError:
        try:
            load_source(self.source, self.path)
        except SpecError as loader_error:
            return EditRefused(loader_error.diagnostics, UNCHANGED_NOTE)
        return EditRefused(
            [
                Diagnostic(
                    self.path,
                    exc.raw_line,
                    exc.raw_column + 1,
                    f"syntax error: {exc.message}",
                )
            ],
            UNCHANGED_NOTE,
        )

    def _scan(self) -> None:
        self.names = ModelNames()
        self.bindings: dict[str, list[tuple[cst.BaseExpression, str]]] = {}
        self.model_imports: list[cst.ImportFrom] = []
        self.statement_of: dict[
            int, tuple[cst.SimpleStatementLine, cst.BaseSmallStatement]
        ] = {}
        spec_call: cst.Call | None = None
        for statement in self.module.body:
            if not isinstance(statement, cst.SimpleStatementLine):
                continue
            for small in statement.body:
                if isinstance(small, cst.ImportFrom):
                    module = (
                        get_full_name_for_node_or_raise(small.module)
                        if small.module
                        else ""
                    )
                    if isinstance(small.names, cst.ImportStar):
                        continue
                    if imports_model(module, len(small.relative)):
                        self.model_imports.append(small)
                        self.statement_of[id(small)] = (statement, small)
                    for alias in small.names:
                        self.names.from_import(
                            module,
                            len(small.relative),
                            alias.evaluated_name,
                            alias.evaluated_alias,
                        )
                elif isinstance(small, cst.Import):
                    for alias in small.names:
                        self.names.import_(alias.evaluated_name, alias.evaluated_alias)
                elif (
                    isinstance(small, (cst.Assign, cst.AnnAssign))
                    and small.value is not None
                ):
                    if isinstance(small, cst.Assign):
                        targets = [t.target for t in small.targets]
                    else:
                        targets = [small.target]
                    names = [t.value for t in targets if isinstance(t, cst.Name)]
                    self.statement_of[id(small.value)] = (statement, small)
                    if isinstance(small, cst.Assign):
                        prefix = "".join(self.code(t) for t in small.targets)
                    else:  # rare: the whole statement's text, less the value's
                        full = self.code(small)
                        prefix = full[: full.rfind(self.code(small.value))]
                    prefix = prefix.rsplit("\n", 1)[-1]
                    if (
                        spec_call is None
                        and isinstance(small.value, cst.Call)
                        and self.model_class(small.value) == "MigrationSpec"
                    ):
                        spec_call, spec_prefix = small.value, prefix
                    for name in names:
                        self.bindings.setdefault(name, []).append((small.value, prefix))
                elif isinstance(small, cst.AugAssign) and isinstance(
                    small.target, cst.Name
                ):
                    self.bindings.setdefault(small.target.value, []).append(
                        (small.value, "")
                    )
        if spec_call is None:
            try:
                load_source(self.source, self.path)
            except SpecError as exc:
                raise EditRefused(exc.diagnostics, UNCHANGED_NOTE) from None
            raise EditRefused(  # pragma: no cover - the loader and the editor disagree
                [
                    Diagnostic(
                        self.path,
                        1,
                        1,
                        "cannot find the MigrationSpec(...) assignment to edit",
                    )
                ],
                UNCHANGED_NOTE,
            )
        self.spec_call: cst.Call = spec_call
        self.spec_where = Where(spec_call, spec_prefix)

    def code(self, node: cst.CSTNode) -> str:
        text = self.module.code_for_node(node)
        return text.replace("\r\n", "\n") if self.newline == "\r\n" else text

    def model_class(self, node: cst.CSTNode) -> str | None:
        if not isinstance(node, cst.Call):
            return None
        func = node.func
        if isinstance(func, cst.Name):
            return self.names.model_class(None, func.value)
        if isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name):
            return self.names.model_class(func.value.value, func.attr.value)
        return None

    def _metadata(self) -> MetadataWrapper:
        """libcst's metadata for the file, made on first use: most edits need none."""
        if self._wrapper is None:
            from libcst.metadata import MetadataWrapper

            self._wrapper = MetadataWrapper(self.module, unsafe_skip_copy=True)
        return self._wrapper

    def position(self, node: cst.CSTNode) -> tuple[int, int]:
        from libcst.metadata import PositionProvider

        found = self._metadata().resolve(PositionProvider).get(node)
        if found is None:
            return 1, 1
        return found.start.line, found.start.column + 1

    def uses(self, name: str) -> list[cst.CSTNode]:
        """The nodes that read the module-level `name` (libcst's scope analysis)."""
        from libcst.metadata import GlobalScope, ScopeProvider

        for scope in self._metadata().resolve(ScopeProvider).values():
            if isinstance(scope, GlobalScope):
                return [access.node for access in scope.accesses[name]]
        return []  # pragma: no cover - every module has its global scope

    def diagnostic(self, refusal: Refusal) -> Diagnostic:
        line, col = self.position(refusal.node)
        return Diagnostic(self.path, line, col, refusal.message)

    def sequence(self, node: cst.CSTNode) -> ItemList:
        found = self._sequences.get(id(node))
        if found is None or found.node is not node:
            try:
                found = ItemList(node)
            except Irregular:
                raise Refusal(
                    node,
                    "cannot edit this list: it has whitespace on both sides of a comma;"
                    " reformat the file (e.g. with black) and try again",
                ) from None
            self._sequences[id(node)] = found
        return found

    def deref(
        self, node: cst.CSTNode, where: Where, what: str
    ) -> tuple[cst.CSTNode, Where]:
        """Follow names bound at module level (`meta=META`) to the value they are bound to."""
        seen: set[str] = set()
        while isinstance(node, cst.Name) and node.value not in (
            "True",
            "False",
            "None",
        ):
            name = node.value
            if name in self.names.imported:
                raise Refusal(
                    node,
                    f"cannot edit {what}: {name!r} is imported from {self.names.imported[name]!r},"
                    " not bound to a literal in this file",
                )
            if name not in self.bindings:
                raise Refusal(
                    node,
                    f"cannot edit {what}: name {name!r} is not bound at module level",
                )
            if name in seen:
                raise Refusal(
                    node, f"cannot edit {what}: name {name!r} refers to itself"
                )
            seen.add(name)
            value, prefix = self.bindings[name][-1]
            where = Where(value, prefix, (), where.via + (node,))
            node = value
        return node, where

    def check_via(self, where: Where, what: str) -> None:
        for name_node in where.via:
            name = name_node.value
            if len(self.bindings.get(name, ())) > 1:
                raise Refusal(
                    name_node,
                    f"cannot edit {what}: {name!r} is assigned more than once in this file",
                )
            count = len(self.uses(name))
            if count > 1:
                raise Refusal(
                    name_node,
                    f"cannot edit {what}: {name!r} is used {count} times in this file,"
                    " so editing its value would change every use",
                )

    def literal(self, node: cst.CSTNode, where: Where, what: str) -> Any:
        node, where = self.deref(node, where, what)
        if isinstance(node, cst.SimpleString):
            if "b" in node.prefix.lower():
                raise Refusal(
                    node, f"cannot edit {what}: it is a bytes literal, not a string"
                )
            return node.evaluated_value
        if isinstance(node, cst.ConcatenatedString) and not has_fstring(node):
            return node.evaluated_value
        if isinstance(node, (cst.Integer, cst.Float)):
            return node.evaluated_value
        if isinstance(node, cst.Name):
            return {"True": True, "False": False, "None": None}[node.value]
        if (
            isinstance(node, cst.UnaryOperation)
            and isinstance(node.operator, (cst.Minus, cst.Plus))
            and isinstance(node.expression, (cst.Integer, cst.Float))
        ):
            value = node.expression.evaluated_value
            return -value if isinstance(node.operator, cst.Minus) else value
        if isinstance(node, (cst.List, cst.Tuple)):
            values = []
            for element in node.elements:
                if isinstance(element, cst.StarredElement):
                    raise Refusal(
                        element, f"cannot edit {what}: *unpacking is not a literal"
                    )
                values.append(self.literal(element.value, where, what))
            return values
        raise Refusal(
            node,
            f"cannot edit {what}: it is {describe(node, self.code(getattr(node, 'func', node)))}, not a literal",
        )

    def expect_call(
        self, node: cst.CSTNode, where: Where, class_name: str, what: str
    ) -> tuple[cst.Call, Where]:
        node, where = self.deref(node, where, what)
        if not isinstance(node, cst.Call) or self.model_class(node) != class_name:
            described = describe(node, self.code(getattr(node, "func", node)))
            raise Refusal(
                node,
                f"cannot edit {what}: it is {described}, not a {class_name}(...) call",
            )
        return node, where

    def expect_list(
        self, node: cst.CSTNode, where: Where, what: str
    ) -> tuple[cst.List | cst.Tuple, Where]:
        node, where = self.deref(node, where, what)
        if not isinstance(node, (cst.List, cst.Tuple)):
            raise Refusal(
                node,
                f"cannot edit {what}: it is {describe(node, self.code(getattr(node, 'func', node)))}, not a list",
            )
        if isinstance(node, cst.Tuple) and not node.lpar:
            raise Refusal(
                node,
                f"cannot edit {what}: a tuple without parentheses; write it as a list",
            )
        if node.lpar and isinstance(node, cst.List):
            raise Refusal(
                node,
                f"cannot edit {what}: a parenthesized list; remove the parentheses",
            )
        for element in node.elements:
            if isinstance(element, cst.StarredElement):
                raise Refusal(
                    element, f"cannot edit {what}: *unpacking is not a literal"
                )
        return node, where

    def arguments(self, call: cst.Call, class_name: str) -> dict[str, int]:
        """Field name -> index into call.args (keyword or positional, as the loader reads them)."""
        positional = POSITIONAL[class_name]
        found: dict[str, int] = {}
        count = 0
        for index, arg in enumerate(call.args):
            if arg.star:
                raise Refusal(
                    arg, f"cannot edit {class_name}(...): *arguments are not supported"
                )
            if arg.keyword is None:
                if count < len(positional):
                    found.setdefault(positional[count], index)
                count += 1
            else:
                found.setdefault(arg.keyword.value, index)
        return found

    def field(
        self, call: cst.Call, where: Where, class_name: str, name: str
    ) -> Field | None:
        """The argument that gives field `name`, or None when the call leaves it out."""
        index = self.arguments(call, class_name).get(name)
        if index is None:
            return None
        return Field(index, call.args[index].value, where.child(call, index))

    def meta(self) -> tuple[cst.Call, Where]:
        return self._spec_part("meta", "MigrationMeta")

    def plan(self) -> tuple[cst.Call, Where]:
        return self._spec_part("plan", "MigrationPlan")

    def _spec_part(self, name: str, class_name: str) -> tuple[cst.Call, Where]:
        found = self.field(self.spec_call, self.spec_where, "MigrationSpec", name)
        if found is None:
            raise Refusal(
                self.spec_call, f"cannot edit {name}: MigrationSpec(...) has no {name}"
            )
        return self.expect_call(found.value, found.where, class_name, name)

    def replace(
        self, old: cst.CSTNode, new: cst.CSTNode, where: Where, what: str
    ) -> None:
        self.check_via(where, what)
        self.replacements[id(old)] = (old, new)
        self._mark(where.root)
        for container, index in where.chain:
            self.paths.add(id(container))
            self.paths.add(id(item_at(container, index)))

    def _mark(self, value: cst.CSTNode) -> None:
        """Mark the way from the module down to a module-level statement's value."""
        statement, small = self.statement_of[id(value)]
        self.paths.update((id(self.module), id(statement), id(small), id(value)))
