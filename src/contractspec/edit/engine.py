"""In-place spec edits with libcst (the only module of ours that imports it).

The editor parses the file with libcst, finds the spec the way the static
loader does (`from contractspec import X as Y`, `import contractspec as cs`,
keyword or positional arguments, names bound at module level), works out the
nodes an operation has to change, and replaces exactly those. libcst prints
every other node back byte for byte, so comments, blank lines, quotes,
trailing commas and layout outside the edited nodes stay as they were.

New code follows the code around it: the indentation of the siblings, the
file's quote character, positional or keyword payloads as the other steps
have them, a trailing comma when the siblings have one, triple-quoted strings
for multi-line SQL, and black's line breaking for the file's line length
(see layout.py). A line the edit makes too long is re-wrapped, and only that
line.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import libcst as cst

from .. import spec as model
from ..errors import Diagnostic, SpecError, UsageError
from ..loader import MODEL_CLASSES, MODEL_MODULES, STEP_CLASS_NAMES, load_source
from . import layout as lay
from .layout import (
    Atom,
    Block,
    Layout,
    Seq,
    infer_line_length,
    normalize_sql,
    same_sql,
    string_literal,
)
from .operations import (
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
from .seq import Irregular, Sequence, has_comment

# Field order as people write it: the positional fields (a step's payload first), then the rest.
FIELDS: dict[str, list[str]] = {
    name: [f.name for f in dataclasses.fields(cls) if not f.kw_only]
    + [f.name for f in dataclasses.fields(cls) if f.kw_only]
    for name, cls in MODEL_CLASSES.items()
}
POSITIONAL: dict[str, list[str]] = {
    name: [f.name for f in dataclasses.fields(cls) if not f.kw_only]
    for name, cls in MODEL_CLASSES.items()
}
STEP_CLASS = {
    "schema": "SchemaStep",
    "data": "DataStep",
    "validation": "ValidationStep",
}
KIND_OF = {cls: kind for kind, cls in STEP_CLASS.items()}
META_DEFAULTS: dict[str, Any] = {
    "description": "",
    "domain": "",
    "stability": "experimental",
    "owners": [],
    "tags": [],
}
STEP_DEFAULTS: dict[str, Any] = {
    "description": None,
    "timeout_ms": None,
    "retries": 0,
    "transactional": True,
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


@dataclass(frozen=True)
class Where:
    """How a node was reached: from a module-level value, through (container, item index) steps.

    `via` holds the names followed to get there (`meta=META`): editing below them
    edits the module-level binding, which is only safe when it is used once.
    """

    root: cst.CSTNode
    prefix: str  # the root's line before the value, e.g. "spec = "
    chain: tuple[tuple[cst.CSTNode, int], ...] = ()
    via: tuple[cst.Name, ...] = ()

    def child(self, container: cst.CSTNode, index: int) -> Where:
        return Where(
            self.root, self.prefix, self.chain + ((container, index),), self.via
        )


def _dotted(node: cst.CSTNode) -> str:
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        return f"{_dotted(node.value)}.{node.attr.value}"
    return ""


def _describe(node: cst.CSTNode, code: str) -> str:
    if isinstance(node, cst.Call):
        return f"a call to {code!r}"
    if isinstance(node, cst.FormattedString):
        return "an f-string"
    if isinstance(node, cst.ConcatenatedString):
        return "an f-string" if _has_fstring(node) else "a string"
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


def _has_fstring(node: cst.CSTNode) -> bool:
    if isinstance(node, cst.FormattedString):
        return True
    if isinstance(node, cst.ConcatenatedString):
        return _has_fstring(node.left) or _has_fstring(node.right)
    return False


class _Replacer(cst.CSTTransformer):
    """Swaps nodes by identity, descending only along the paths that lead to them."""

    def __init__(
        self, replacements: dict[int, tuple[cst.CSTNode, cst.CSTNode]], paths: set[int]
    ):
        self.replacements = replacements
        self.paths = paths

    def on_visit(self, node) -> bool:  # type: ignore[override]
        return id(node) in self.paths

    def on_leave(self, original_node, updated_node):  # type: ignore[override]
        found = self.replacements.get(id(original_node))
        if found is not None and found[0] is original_node:
            return found[1]
        return updated_node


class _Reindent(cst.CSTTransformer):
    def __init__(self, old: str, new: str):
        self.old, self.new = old, new

    def _move(self, text: str) -> str:
        return self.new + text[len(self.old) :] if text.startswith(self.old) else text

    def leave_ParenthesizedWhitespace(self, original_node, updated_node):  # type: ignore[override]
        lines = [
            (
                line.with_changes(
                    whitespace=cst.SimpleWhitespace(self._move(line.whitespace.value))
                )
                if line.comment is not None
                else line
            )
            for line in updated_node.empty_lines
        ]
        return updated_node.with_changes(
            empty_lines=lines,
            last_line=cst.SimpleWhitespace(self._move(updated_node.last_line.value)),
        )


class _Loads(cst.CSTVisitor):
    """Counts the uses (not the bindings) of a module-level name."""

    def __init__(self, name: str):
        self.name = name
        self.count = 0

    def _unbind(self, *nodes: Any) -> None:
        for node in nodes:
            if isinstance(node, cst.Name) and node.value == self.name:
                self.count -= 1

    def visit_Name(self, node: cst.Name) -> None:
        if node.value == self.name:
            self.count += 1

    def visit_Arg(self, node: cst.Arg) -> None:
        self._unbind(node.keyword)

    def visit_Attribute(self, node: cst.Attribute) -> None:
        self._unbind(node.attr)

    def visit_AssignTarget(self, node: cst.AssignTarget) -> None:
        self._unbind(node.target)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        self._unbind(node.target)

    def visit_ImportAlias(self, node: cst.ImportAlias) -> None:
        self._unbind(node.name, node.asname.name if node.asname else None)

    def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
        self._unbind(node.module)

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._unbind(node.name)

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self._unbind(node.name)

    def visit_Param(self, node: cst.Param) -> None:
        self._unbind(node.name)

    def visit_NameItem(self, node: cst.NameItem) -> None:
        self._unbind(node.name)


class _Strings(cst.CSTVisitor):
    def __init__(self) -> None:
        self.single = {'"': 0, "'": 0}
        self.triple = {'"': 0, "'": 0}

    def visit_SimpleString(self, node: cst.SimpleString) -> None:
        quote = node.quote
        (self.triple if len(quote) == 3 else self.single)[quote[0]] += 1


def _comments(node: cst.CSTNode) -> list[str]:
    found: list[str] = []

    class Collect(cst.CSTVisitor):
        def visit_Comment(self, comment: cst.Comment) -> None:
            found.append(comment.value)

    node.visit(Collect())
    return sorted(found)


class Editor:
    """One spec file being edited. `apply(op)` then `finish()` gives the new source."""

    def __init__(self, source: str, path: str, line_length: int | None = None):
        self.source = source
        self.path = path
        try:
            self.module = cst.parse_module(source)
        except cst.ParserSyntaxError as exc:
            raise self._unparsable(exc) from None
        self.newline = self.module.default_newline
        self.line_length = line_length or infer_line_length(source)
        self.replacements: dict[int, tuple[cst.CSTNode, cst.CSTNode]] = {}
        self.paths: set[int] = set()
        self.pending_imports: list[str] = []
        self.unused_imports: list[str] = []
        self._positions: Any = None
        self._quotes: _Strings | None = None
        self._sequences: dict[int, Sequence] = {}
        self._scan()
        self.layout = Layout(self.line_length, self._indent_unit())

    # ------------------------------------------------------------------ reading
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
        self.aliases: dict[str, str] = {}  # local name -> model class
        self.module_aliases: list[str] = []  # import contractspec as cs
        self.imported: dict[str, str] = {}  # local name -> module
        self.bindings: dict[str, list[tuple[cst.BaseExpression, str]]] = {}
        self.model_imports: list[cst.ImportFrom] = []
        self.statement_of: dict[
            int, tuple[cst.SimpleStatementLine, cst.BaseSmallStatement]
        ] = {}
        self.spec_call: cst.Call | None = None
        for statement in self.module.body:
            if not isinstance(statement, cst.SimpleStatementLine):
                continue
            for small in statement.body:
                if isinstance(small, cst.ImportFrom):
                    module = _dotted(small.module) if small.module is not None else ""
                    ours = module in MODEL_MODULES and not small.relative
                    if isinstance(small.names, cst.ImportStar):
                        continue
                    if ours:
                        self.model_imports.append(small)
                        self.statement_of[id(small)] = (statement, small)
                    for alias in small.names:
                        name = _dotted(alias.name)
                        local = alias.asname.name.value if alias.asname else name  # type: ignore[union-attr]
                        if ours and name in MODEL_CLASSES:
                            self.aliases[local] = name
                        else:
                            self.imported[local] = "." * len(small.relative) + module
                elif isinstance(small, cst.Import):
                    for alias in small.names:
                        name = _dotted(alias.name)
                        if name in MODEL_MODULES and (
                            alias.asname or name == "contractspec"
                        ):
                            local = alias.asname.name.value if alias.asname else name  # type: ignore[union-attr]
                            self.module_aliases.append(local)
                        else:
                            local = alias.asname.name.value if alias.asname else name.split(".")[0]  # type: ignore[union-attr]
                            self.imported[local] = name
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
                        self.spec_call is None
                        and self.model_class(small.value) == "MigrationSpec"
                    ):
                        self.spec_call = small.value  # type: ignore[assignment]
                        self.spec_prefix = prefix
                    for name in names:
                        self.bindings.setdefault(name, []).append((small.value, prefix))
                elif isinstance(small, cst.AugAssign) and isinstance(
                    small.target, cst.Name
                ):
                    self.bindings.setdefault(small.target.value, []).append(
                        (small.value, "")
                    )
        if self.spec_call is None:
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
        self.spec_where = Where(self.spec_call, self.spec_prefix)

    def code(self, node: cst.CSTNode) -> str:
        text = self.module.code_for_node(node)
        return text.replace("\r\n", "\n") if self.newline == "\r\n" else text

    def model_class(self, node: cst.CSTNode) -> str | None:
        if not isinstance(node, cst.Call):
            return None
        func = node.func
        if isinstance(func, cst.Name):
            return self.aliases.get(func.value)
        if (
            isinstance(func, cst.Attribute)
            and isinstance(func.value, cst.Name)
            and func.value.value in self.module_aliases
            and func.attr.value in MODEL_CLASSES
        ):
            return func.attr.value
        return None

    def position(self, node: cst.CSTNode) -> tuple[int, int]:
        if self._positions is None:
            from libcst.metadata import MetadataWrapper, PositionProvider

            wrapper = MetadataWrapper(self.module, unsafe_skip_copy=True)
            self._positions = wrapper.resolve(PositionProvider)
        found = self._positions.get(node)
        if found is None:
            return 1, 1
        return found.start.line, found.start.column + 1

    def diagnostic(self, refusal: Refusal) -> Diagnostic:
        line, col = self.position(refusal.node)
        return Diagnostic(self.path, line, col, refusal.message)

    def sequence(self, node: cst.CSTNode) -> Sequence:
        found = self._sequences.get(id(node))
        if found is None or found.node is not node:
            try:
                found = Sequence(node)
            except Irregular:
                raise Refusal(
                    node,
                    "cannot edit this list: it has whitespace on both sides of a comma;"
                    " reformat the file (e.g. with black) and try again",
                ) from None
            self._sequences[id(node)] = found
        return found

    # ------------------------------------------------------------ style facts
    def _indent_unit(self) -> str:
        call = self.spec_call
        candidates = [call] + [a.value for a in call.args if isinstance(a.value, cst.Call)]  # type: ignore[union-attr]
        for node in candidates:
            try:
                seq = Sequence(node)
            except Irregular:
                continue
            if seq.exploded and seq.closing_indent is not None:
                inner, outer = seq.item_indent, seq.closing_indent
                if inner.startswith(outer) and len(inner) > len(outer):
                    return inner[len(outer) :]
        return self.module.default_indent

    def quote(self, triple: bool = False) -> str:
        if self._quotes is None:
            self._quotes = _Strings()
            self.module.visit(self._quotes)
        single = "'" if self._quotes.single["'"] > self._quotes.single['"'] else '"'
        if not triple:
            return single
        counts = self._quotes.triple
        if counts['"'] or counts["'"]:
            return "'" if counts["'"] > counts['"'] else '"'
        return single

    def string(self, value: str, multiline: bool = False) -> str:
        if multiline and "\n" in value:
            return string_literal(value, self.quote(triple=True), multiline=True)
        return string_literal(value, self.quote())

    # --------------------------------------------------------------- navigation
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
            if name in self.imported:
                raise Refusal(
                    node,
                    f"cannot edit {what}: {name!r} is imported from {self.imported[name]!r},"
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
            counter = _Loads(name)
            self.module.visit(counter)
            if counter.count > 1:
                raise Refusal(
                    name_node,
                    f"cannot edit {what}: {name!r} is used {counter.count} times in this file,"
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
        if isinstance(node, cst.ConcatenatedString) and not _has_fstring(node):
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
            f"cannot edit {what}: it is {_describe(node, self.code(getattr(node, 'func', node)))}, not a literal",
        )

    def expect_call(
        self, node: cst.CSTNode, where: Where, class_name: str, what: str
    ) -> tuple[cst.Call, Where]:
        node, where = self.deref(node, where, what)
        if self.model_class(node) != class_name:
            described = _describe(node, self.code(getattr(node, "func", node)))
            raise Refusal(
                node,
                f"cannot edit {what}: it is {described}, not a {class_name}(...) call",
            )
        return node, where  # type: ignore[return-value]

    def expect_list(
        self, node: cst.CSTNode, where: Where, what: str
    ) -> tuple[cst.CSTNode, Where]:
        node, where = self.deref(node, where, what)
        if not isinstance(node, (cst.List, cst.Tuple)):
            raise Refusal(
                node,
                f"cannot edit {what}: it is {_describe(node, self.code(getattr(node, 'func', node)))}, not a list",
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

    def field(self, call: cst.Call, where: Where, class_name: str, name: str):
        """(arg index, value node, where of the value), or (None, None, None) when absent."""
        index = self.arguments(call, class_name).get(name)
        if index is None:
            return None, None, None
        return index, call.args[index].value, where.child(call, index)

    # ------------------------------------------------------------------ writing
    def replace(
        self, old: cst.CSTNode, new: cst.CSTNode, where: Where, what: str
    ) -> None:
        self.check_via(where, what)
        self.replacements[id(old)] = (old, new)
        self._mark(where.root)
        for container, index in where.chain:
            self.paths.add(id(container))
            items = container.args if isinstance(container, cst.Call) else container.elements  # type: ignore[attr-defined]
            self.paths.add(id(items[index]))

    def _mark(self, value: cst.CSTNode) -> None:
        """Mark the way from the module down to a module-level statement's value."""
        statement, small = self.statement_of[id(value)]
        self.paths.update((id(self.module), id(statement), id(small), id(value)))

    def owner(self, where: Where):
        """The node that starts the line `where` is on: (node, where, indent, column, suffix)."""
        for depth in range(len(where.chain) - 1, -1, -1):
            container, index = where.chain[depth]
            seq = self.sequence(container)
            if seq.starts_line(index):
                original = container.args[index] if isinstance(container, cst.Call) else container.elements[index]  # type: ignore[attr-defined]
                keyword = ""
                if isinstance(original, cst.Arg) and original.keyword is not None:
                    keyword = self.code(original.keyword) + (
                        self.code(original.equal)
                        if isinstance(original.equal, cst.AssignEqual)
                        else " = "
                    )
                indent = seq.gaps[index].last_line.value  # type: ignore[union-attr]
                suffix = "," if index + 1 < len(seq.items) or seq.trailing else ""
                owner_where = Where(
                    where.root, where.prefix, where.chain[: depth + 1], where.via
                )
                return (
                    original.value,
                    owner_where,
                    indent,
                    len(indent) + len(keyword),
                    suffix,
                )
        return (
            where.root,
            Where(where.root, where.prefix, (), where.via),
            "",
            len(where.prefix),
            "",
        )

    def commit(
        self, old: cst.CSTNode, new: cst.CSTNode, where: Where, what: str
    ) -> None:
        """Replace old (reached by where) with new, re-wrapping the line if it no longer fits."""
        owner, owner_where, indent, column, suffix = self.owner(where)
        new_owner = new if owner is old else owner.deep_replace(old, new)
        tree = self.tree(new_owner)
        if not self.layout.fits(tree, column, suffix) and self._grew(
            owner, tree, column, suffix
        ):
            text = self.layout.render(tree, indent, column, suffix)
            rendered = self.parse(text)
            if _comments(rendered) == _comments(new_owner):
                new_owner = rendered
        self.replace(owner, new_owner, owner_where, what)

    def _grew(
        self, owner: cst.CSTNode, tree: lay.Node, column: int, suffix: str
    ) -> bool:
        """Whether a line that no longer fits is the edit's doing: a line that was too long
        already is left alone unless the edit made it longer."""
        before = self.tree(owner)
        if self.layout.fits(before, column, suffix):
            return True
        old_text, new_text = self.layout.one_line(before), self.layout.one_line(tree)
        if old_text is None or new_text is None or "\n" in old_text or "\n" in new_text:
            return True
        return lay.width(new_text) > lay.width(old_text)

    def parse(self, text: str) -> cst.BaseExpression:
        if self.newline != "\n":
            text = text.replace("\n", self.newline)
        return cst.parse_expression(
            text,
            config=cst.PartialParserConfig(
                default_newline=self.newline, default_indent=self.layout.unit
            ),
        )

    def tree(self, node: cst.CSTNode) -> lay.Node:
        """node as the layout engine sees it: brackets it may re-wrap, text it must keep."""
        seq_like = (isinstance(node, (cst.Call, cst.List)) and not node.lpar) or (
            isinstance(node, cst.Tuple)
            and len(node.lpar) == 1
            and len(node.elements) >= 2
        )
        if seq_like:
            try:
                seq = Sequence(node)
            except Irregular:
                return self._leaf(node)
            if not any(
                isinstance(gap, cst.ParenthesizedWhitespace) for gap in seq.gaps
            ) and not has_comment(seq.gaps[0]):
                items: list[tuple[str, lay.Node]] = []
                for item in seq.items:
                    prefix = ""
                    if isinstance(item, cst.Arg):
                        if item.star:
                            return self._leaf(node)
                        if item.keyword is not None:
                            prefix = item.keyword.value + "="
                    if isinstance(item, cst.StarredElement):
                        return self._leaf(node)
                    items.append((prefix, self.tree(item.value)))  # type: ignore[attr-defined]
                if isinstance(node, cst.Call):
                    func = self.code(node.func)
                    if "\n" in func:
                        return self._leaf(node)
                    opener, closer = func + "(", ")"
                elif isinstance(node, cst.List):
                    opener, closer = "[", "]"
                else:
                    opener, closer = "(", ")"
                return Seq(
                    opener,
                    closer,
                    items,
                    magic_trailing_comma=seq.trailing,
                    collection=not isinstance(node, cst.Call),
                )
        return self._leaf(node)

    def _leaf(self, node: cst.CSTNode) -> lay.Node:
        text = self.code(node)
        if "\n" not in text or isinstance(node, cst.SimpleString):
            return Atom(text)
        old = text.rsplit("\n", 1)[-1]
        old = old[: len(old) - len(old.lstrip())]
        return Block(lambda indent: self.code(node.visit(_Reindent(old, indent))))

    def class_ref(self, name: str) -> str:
        """How this file spells a model class; adds it to the import when it is missing."""
        for local, target in self.aliases.items():
            if target == name:
                return local
        attribute_style = isinstance(self.spec_call.func, cst.Attribute)  # type: ignore[union-attr]
        if self.module_aliases and (attribute_style or not self.model_imports):
            return f"{self.module_aliases[0]}.{name}"
        if name not in self.pending_imports:
            self.pending_imports.append(name)
        return name

    def _write_imports(self) -> None:
        if not self.pending_imports:
            return
        imports = self.model_imports
        if len(imports) > 1 and all(len(i.names) == 1 for i in imports):  # type: ignore[arg-type]
            self._write_import_lines()
            return
        target = next(
            (i for i in imports if any(_dotted(a.name) == "MigrationSpec" for a in i.names)),  # type: ignore[union-attr]
            imports[0],
        )
        seq = Sequence(target)
        names = [_dotted(alias.name) for alias in seq.items]  # type: ignore[attr-defined]
        ordered = names == sorted(names)
        for name in self.pending_imports:
            index = len(seq.items)
            if ordered:
                current = [_dotted(alias.name) for alias in seq.items]  # type: ignore[attr-defined]
                index = next(
                    (i for i, n in enumerate(current) if n > name), len(current)
                )
            seq.insert(index, cst.ImportAlias(name=cst.Name(name)))
        new = seq.build()
        if not seq.exploded:
            text = self.code(new)
            if "\n" in text or lay.width(text) > self.line_length:
                items = [("", Atom(self.code(alias))) for alias in seq.items]
                head = self.code(target)[
                    : self.code(target).index("import") + len("import")
                ]
                rendered = self.layout.render(
                    Seq(head + " (", ")", items, collection=True), "", 0
                )
                if self.newline != "\n":
                    rendered = rendered.replace("\n", self.newline)
                statement = cst.parse_statement(
                    rendered + self.newline, config=self.module.config_for_parsing
                )
                new = statement.body[0]  # type: ignore[attr-defined]
        self.replacements[id(target)] = (target, new)
        self._mark(target)

    def _write_import_lines(self) -> None:
        """One `from contractspec import X` per line: add a line per new name, in order."""
        lines = [
            s
            for s in self.module.body
            if isinstance(s, cst.SimpleStatementLine)
            and any(small in self.model_imports for small in s.body)
        ]
        names = [_dotted(line.body[0].names[0].name) for line in lines]  # type: ignore[attr-defined]
        ordered = names == sorted(names)
        before: dict[int, list[cst.SimpleStatementLine]] = {}
        after: list[cst.SimpleStatementLine] = []
        for name in self.pending_imports:
            statement = cst.parse_statement(
                f"from contractspec import {name}{self.newline}",
                config=self.module.config_for_parsing,
            )
            following = (
                next(
                    (line for line, n in zip(lines, names, strict=False) if n > name),
                    None,
                )
                if ordered
                else None
            )
            if following is None:
                after.append(statement)  # type: ignore[arg-type]
            else:
                before.setdefault(id(following), []).append(statement)  # type: ignore[arg-type]
        for line in lines:
            if id(line) in before:
                new_line = before[id(line)] + [line]
                # A new line never takes over the comment lines above the one it precedes.
                new_line[0] = new_line[0].with_changes(leading_lines=line.leading_lines)
                new_line[-1] = line.with_changes(leading_lines=[])
                self.replacements[id(line)] = (line, cst.FlattenSentinel(new_line))
        self.paths.add(id(self.module))
        if after:
            last = lines[-1]
            current = self.replacements.get(id(last), (last, last))[1]
            nodes = (
                list(current.nodes)
                if isinstance(current, cst.FlattenSentinel)
                else [current]
            )
            self.replacements[id(last)] = (last, cst.FlattenSentinel(nodes + after))

    def finish(self) -> str:
        self._write_imports()
        self._drop_imports()
        if not self.replacements:
            return self.source
        return self.module.visit(_Replacer(self.replacements, self.paths)).code

    # ---------------------------------------------------------- list surgery
    def insert_item(
        self, seq: Sequence, index: int, value_text: str, keyword: str | None = None
    ) -> None:
        """Insert a new item (given as one-line source text) at index, laid out for its place."""
        value = self.parse(value_text)
        if seq.exploded:
            indent = seq.item_indent
            equal = "="
            prefix = f"{keyword}{equal}" if keyword else ""
            suffix = "," if index < len(seq.items) or seq.trailing else ""
            tree = self.tree(value)
            column = len(indent) + len(prefix)
            if not self.layout.fits(tree, column, suffix):
                value = self.parse(self.layout.render(tree, indent, column, suffix))
        if seq.kind == "call":
            item: cst.CSTNode = cst.Arg(
                value=value,
                keyword=cst.Name(keyword) if keyword else None,
                equal=self._equal(seq) if keyword else cst.MaybeSentinel.DEFAULT,
            )
        else:
            item = cst.Element(value=value)
        seq.insert(index, item)

    def _equal(self, seq: Sequence) -> cst.AssignEqual:
        for item in seq.items:
            if isinstance(item, cst.Arg) and isinstance(item.equal, cst.AssignEqual):
                return item.equal
        return cst.AssignEqual(
            whitespace_before=cst.SimpleWhitespace(""),
            whitespace_after=cst.SimpleWhitespace(""),
        )

    def commit_sequence(self, seq: Sequence, where: Where, what: str) -> None:
        new = seq.build()
        if seq.originally_exploded:
            self.replace(seq.node, new, where, what)
        else:
            self.commit(seq.node, new, where, what)

    def add_keyword(
        self,
        call: cst.Call,
        where: Where,
        class_name: str,
        name: str,
        value_text: str,
        what: str,
    ) -> None:
        """Add `name=value` to a model call, in the class's field order."""
        seq = self.sequence(call)
        order = FIELDS[class_name]
        rank = {field: i for i, field in enumerate(order)}
        index = len(seq.items)
        positional = 0
        for i, arg in enumerate(seq.items):
            if isinstance(arg, cst.Arg) and arg.keyword is None:
                positional = i + 1
            elif isinstance(arg, cst.Arg) and rank.get(arg.keyword.value, len(order)) > rank[name]:  # type: ignore[union-attr]
                index = i
                break
        self.insert_item(seq, max(index, positional), value_text, keyword=name)
        self.commit_sequence(seq, where, what)

    # ------------------------------------------------------------- operations
    def apply(self, operation: Operation) -> str:
        handler = {
            BumpVersion: self.bump_version,
            SetField: self.set_field,
            AddDependency: self.add_dependency,
            RemoveDependency: self.remove_dependency,
            AddStep: self.add_step,
            AddCheck: self.add_check,
            AcceptLintRule: self.accept_lint_rule,
            RemoveStep: self.remove_step,
        }.get(type(operation))
        if handler is None:
            raise TypeError(f"unknown operation {operation!r}")
        return handler(operation)  # type: ignore[operator]

    def meta(self) -> tuple[cst.Call, Where]:
        _, node, where = self.field(self.spec_call, self.spec_where, "MigrationSpec", "meta")  # type: ignore[arg-type]
        if node is None:
            raise Refusal(self.spec_call, "cannot edit meta: MigrationSpec(...) has no meta")  # type: ignore[arg-type]
        return self.expect_call(node, where, "MigrationMeta", "meta")

    def plan(self) -> tuple[cst.Call, Where]:
        _, node, where = self.field(self.spec_call, self.spec_where, "MigrationSpec", "plan")  # type: ignore[arg-type]
        if node is None:
            raise Refusal(self.spec_call, "cannot edit plan: MigrationSpec(...) has no plan")  # type: ignore[arg-type]
        return self.expect_call(node, where, "MigrationPlan", "plan")

    def bump_version(self, op: BumpVersion) -> str:
        meta, where = self.meta()
        _, node, value_where = self.field(meta, where, "MigrationMeta", "version")
        if node is None:
            raise Refusal(
                meta, "cannot edit version: MigrationMeta(...) has no version"
            )
        current = self.literal(node, value_where, "version")
        if not isinstance(current, int) or isinstance(current, bool):
            raise Refusal(
                self.deref(node, value_where, "version")[0],
                f"cannot bump version: it is {current!r}, not an integer",
            )
        new = current + 1 if op.to is None else op.to
        if new == current:
            raise Noop(f"version is already {current}")
        if new < current:
            raise UsageError(
                f"cannot set version to {new}: it is {current}, and versions only go up"
            )
        target, target_where = self.deref(node, value_where, "version")
        self.commit(target, cst.Integer(str(new)), target_where, "version")
        return f"version {current} -> {new}"

    def set_field(self, op: SetField) -> str:
        name = op.field
        if name not in SETTABLE_FIELDS:
            raise UsageError(
                f"cannot set {name!r}: settable fields are {', '.join(SETTABLE_FIELDS)}"
            )
        meta, where = self.meta()
        _, node, value_where = self.field(meta, where, "MigrationMeta", name)
        if name in SCALAR_FIELDS:
            if not isinstance(op.value, str):
                raise UsageError(f"{name} takes one value")
            value: Any = op.value
        else:
            values = [op.value] if isinstance(op.value, str) else list(op.value)
            value = values
        if node is None:
            if name in META_DEFAULTS and value == META_DEFAULTS[name]:
                raise Noop(f"{name} is already {_show(value)} (the default)")
            text = (
                self.string(value)
                if isinstance(value, str)
                else self._string_list(value)
            )
            self.add_keyword(meta, where, "MigrationMeta", name, text, name)
            return f"{name} set to {_show(value)}"
        current = self.literal(node, value_where, name)
        if current == value:
            raise Noop(f"{name} is already {_show(value)}")
        target, target_where = self.deref(node, value_where, name)
        if isinstance(value, str):
            self.commit(
                target,
                self.parse(self._replacement_string(target, target_where, value)),
                target_where,
                name,
            )
        else:
            self._set_list(target, target_where, current, value, name)
        return f"{name} {_show(current)} -> {_show(value)}"

    def _string_list(self, values: Iterable[str]) -> str:
        return "[" + ", ".join(self.string(v) for v in values) + "]"

    def _replacement_string(self, old: cst.CSTNode, where: Where, value: str) -> str:
        # The file's quote, unless this string deliberately used the other one (not just
        # to avoid escaping the file's quote, as black does).
        quote = self.quote()
        first = old
        while isinstance(first, cst.ConcatenatedString):
            first = first.left
        if (
            isinstance(first, cst.SimpleString)
            and len(first.quote) == 1
            and first.quote != quote
        ):
            old_value = (
                old.evaluated_value
                if isinstance(old, (cst.SimpleString, cst.ConcatenatedString))
                else ""
            )
            if isinstance(old_value, str) and quote not in old_value:
                quote = first.quote
        text = string_literal(value, quote)
        if "\n" not in self.code(old) or isinstance(old, cst.SimpleString):
            return text
        # A string wrapped over several lines, e.g. in parentheses: wrap the new one the same way.
        owner, _, indent, column, suffix = self.owner(where)
        if (
            owner is not old
            or column + lay.width(text) + len(suffix) <= self.line_length
        ):
            return text
        inner = indent + self.layout.unit
        room = max(self.line_length - len(inner), 20)
        chunks: list[str] = []
        current = ""
        for word in re.findall(r"\S+\s*|\s+", value):
            if current and lay.width(string_literal(current + word, quote)) > room:
                chunks.append(current)
                current = ""
            current += word
        chunks.append(current)
        lines = "".join(f"\n{inner}{string_literal(chunk, quote)}" for chunk in chunks)
        return f"({lines}\n{indent})"

    def _set_list(
        self, node: cst.CSTNode, where: Where, current: list, wanted: list, what: str
    ) -> None:
        import difflib

        node, where = self.expect_list(node, where, what)
        seq = self.sequence(node)
        matcher = difflib.SequenceMatcher(a=current, b=wanted, autojunk=False)
        # An element is its value: a replaced owner leaves with its comments, like a removed one.
        for tag, i1, i2, j1, j2 in reversed(matcher.get_opcodes()):
            if tag == "equal":
                continue
            for index in range(i2 - 1, i1 - 1, -1):
                seq.remove(index)
            for offset, value in enumerate(wanted[j1:j2]):
                self.insert_item(seq, i1 + offset, self.string(value))
        self.commit_sequence(seq, where, what)

    def add_dependency(self, op: AddDependency) -> str:
        reference = op.reference.strip()
        call, where = self.spec_call, self.spec_where
        index, node, value_where = self.field(call, where, "MigrationSpec", "dependencies")  # type: ignore[arg-type]
        if node is None:
            self.add_keyword(call, where, "MigrationSpec", "dependencies", self._string_list([reference]), "dependencies")  # type: ignore[arg-type]
            return f"added dependency {reference!r}"
        node, list_where = self.expect_list(node, value_where, "dependencies")
        current = self.literal(node, list_where, "dependencies")
        if reference in current:
            raise Noop(f"already depends on {reference!r}")
        name, _ = model.split_key(reference)
        for i, existing in enumerate(current):
            if isinstance(existing, str) and model.split_key(existing)[0] == name:
                raise Refusal(
                    node.elements[i],  # type: ignore[attr-defined]
                    f"cannot add dependency {reference!r}: it already depends on {existing!r};"
                    " remove that dependency first",
                )
        seq = self.sequence(node)
        self.insert_item(seq, len(seq.items), self.string(reference))
        self.commit_sequence(seq, list_where, "dependencies")
        return f"added dependency {reference!r}"

    def remove_dependency(self, op: RemoveDependency) -> str:
        reference = op.reference.strip()
        call, where = self.spec_call, self.spec_where
        index, node, value_where = self.field(call, where, "MigrationSpec", "dependencies")  # type: ignore[arg-type]
        if node is None:
            raise Noop(f"does not depend on {reference!r}")
        list_node, list_where = self.expect_list(node, value_where, "dependencies")
        current = self.literal(list_node, list_where, "dependencies")
        if reference not in current:
            name, _ = model.split_key(reference)
            similar = [
                d
                for d in current
                if isinstance(d, str) and model.split_key(d)[0] == name
            ]
            hint = (
                f" (it depends on {', '.join(repr(s) for s in similar)})"
                if similar
                else ""
            )
            raise Noop(f"does not depend on {reference!r}{hint}")
        position = current.index(reference)
        seq = self.sequence(list_node)
        if len(current) == 1 and list_node is node and call.args[index].keyword is not None:  # type: ignore[union-attr]
            # The last dependency: drop the whole `dependencies=[...]` argument (the default is []).
            spec_seq = self.sequence(call)  # type: ignore[arg-type]
            spec_seq.remove(index)  # type: ignore[arg-type]
            self.commit_sequence(spec_seq, where, "dependencies")
        else:
            seq.remove(position)
            self.commit_sequence(seq, list_where, "dependencies")
        return f"removed dependency {reference!r}"

    # -- steps and checks ----------------------------------------------------
    def _direction(self, down: bool):
        plan, where = self.plan()
        direction = "down" if down else "up"
        index, node, value_where = self.field(plan, where, "MigrationPlan", direction)
        return plan, where, direction, index, node, value_where

    def _step(
        self, node: cst.CSTNode, where: Where, what: str
    ) -> tuple[cst.Call, Where, str]:
        node, where = self.deref(node, where, what)
        class_name = self.model_class(node)
        if class_name not in STEP_CLASS_NAMES:
            described = _describe(node, self.code(getattr(node, "func", node)))
            raise Refusal(node, f"cannot edit {what}: it is {described}, not a step")
        return node, where, class_name  # type: ignore[return-value]

    def _step_values(self, node: cst.CSTNode, where: Where) -> dict[str, Any] | None:
        try:
            call, call_where, class_name = self._step(node, where, "step")
            values: dict[str, Any] = {"kind": KIND_OF[class_name]}
            for name in (
                model.STEP_CLASSES[KIND_OF[class_name]].payload_field,
                "description",
                "timeout_ms",
                "retries",
                "transactional",
            ):
                _, value_node, value_where = self.field(
                    call, call_where, class_name, name
                )
                values["payload" if name in PAYLOAD_FIELDS.values() else name] = (
                    STEP_DEFAULTS.get(name)
                    if value_node is None
                    else self.literal(value_node, value_where, name)
                )
            return values
        except Refusal:
            return None

    def _positional_style(self, class_names: tuple[str, ...]) -> bool:
        """Whether this file passes the first field of these classes positionally (majority vote)."""
        votes = {True: 0, False: 0}
        followed: set[str] = set()

        def visit(node: cst.CSTNode) -> None:
            if isinstance(node, cst.Call):
                name = self.model_class(node)
                if name in class_names and node.args:
                    first = node.args[0]
                    votes[first.keyword is None and not first.star] += 1
                for arg in node.args:
                    visit(arg.value)
            elif isinstance(node, (cst.List, cst.Tuple)):
                for element in node.elements:
                    visit(element.value)
            elif (
                isinstance(node, cst.Name)
                and node.value in self.bindings
                and node.value not in followed
            ):
                followed.add(node.value)
                visit(self.bindings[node.value][-1][0])

        visit(self.spec_call)  # type: ignore[arg-type]
        return votes[True] > votes[False]

    def add_step(self, op: AddStep) -> str:
        if op.kind not in STEP_CLASS:
            raise UsageError(
                f"unknown step kind {op.kind!r}: expected one of {', '.join(STEP_CLASS)}"
            )
        payload = normalize_sql(op.payload)
        plan, plan_where, direction, index, node, value_where = self._direction(op.down)
        what = f"the {direction} plan"
        wanted = {
            "kind": op.kind,
            "payload": payload,
            "description": op.description,
            "timeout_ms": op.timeout_ms,
            "retries": op.retries or 0,
            "transactional": op.transactional,
        }
        list_node = list_where = None
        count = 0
        if node is not None and not (
            isinstance(node, cst.Name) and node.value == "None"
        ):
            list_node, list_where = self.expect_list(node, value_where, what)
            count = len(list_node.elements)  # type: ignore[attr-defined]
            for number, element in enumerate(list_node.elements, start=1):  # type: ignore[attr-defined]
                have = self._step_values(
                    element.value, list_where.child(list_node, number - 1)
                )
                if have is not None and _same_step(have, wanted):
                    raise Noop(
                        f"the {direction} plan already has this step (step {number})"
                    )
        position = count + 1 if op.position is None else op.position
        if not 1 <= position <= count + 1:
            raise UsageError(
                f"cannot add a step at position {position}: the {direction} plan has {count} step"
                f"{'s' if count != 1 else ''} (positions 1 to {count + 1})"
            )
        if not op.transactional and op.kind == "validation":
            raise UsageError(
                "a validation step only reads: it always runs in the transaction"
            )
        text = self._step_text(
            op.kind,
            payload,
            op.description,
            op.timeout_ms,
            op.retries,
            op.transactional,
        )
        if list_node is not None:
            seq = self.sequence(list_node)
            self.insert_item(seq, position - 1, text)
            self.commit_sequence(seq, list_where, what)  # type: ignore[arg-type]
        elif node is not None:  # down=None
            self.commit(node, self.parse(f"[{text}]"), value_where, what)
        else:
            self.add_keyword(
                plan, plan_where, "MigrationPlan", direction, f"[{text}]", what
            )
        where_to = "" if op.position is None else f" at position {position}"
        return f"added {op.kind} step {position} to the {direction} plan{where_to}"

    def _step_text(
        self,
        kind: str,
        payload: str,
        description,
        timeout_ms,
        retries,
        transactional: bool = True,
    ) -> str:
        class_name = STEP_CLASS[kind]
        positional = self._positional_style(STEP_CLASS_NAMES)
        literal = self.string(payload, multiline=True)
        parts = [literal if positional else f"{PAYLOAD_FIELDS[kind]}={literal}"]
        if description is not None:
            parts.append(f"description={self.string(description)}")
        if timeout_ms is not None:
            parts.append(f"timeout_ms={int(timeout_ms)}")
        if retries is not None:
            parts.append(f"retries={int(retries)}")
        if not transactional:
            parts.append("transactional=False")
        return f"{self.class_ref(class_name)}({', '.join(parts)})"

    def _nth_step(self, down: bool, number: int, verb: str):
        plan, plan_where, direction, index, node, value_where = self._direction(down)
        what = f"the {direction} plan"
        if node is None or (isinstance(node, cst.Name) and node.value == "None"):
            count = 0
            list_node = list_where = None
        else:
            list_node, list_where = self.expect_list(node, value_where, what)
            count = len(list_node.elements)  # type: ignore[attr-defined]
        if not 1 <= number <= count:
            if list_node is None:
                raise UsageError(
                    f"cannot {verb} {direction} step {number}: the spec has no {direction} plan"
                )
            has = (
                "no steps" if count == 0 else f"{count} step{'s' if count != 1 else ''}"
            )
            raise UsageError(
                f"cannot {verb} {direction} step {number}: the {direction} plan has {has}"
            )
        return direction, list_node, list_where

    def add_check(self, op: AddCheck) -> str:
        if op.when not in ("pre", "post"):
            raise UsageError(f"a check runs 'pre' or 'post', not {op.when!r}")
        expression = normalize_sql(op.expression)
        direction, list_node, list_where = self._nth_step(
            op.down, op.step, "add a check to"
        )
        element = list_node.elements[op.step - 1]  # type: ignore[union-attr]
        what = f"{direction} step {op.step}"
        step, step_where, class_name = self._step(element.value, list_where.child(list_node, op.step - 1), what)  # type: ignore[union-attr]
        field_name = f"{op.when}_checks"
        _, node, value_where = self.field(step, step_where, class_name, field_name)
        positional = self._positional_style(("MigrationCheck",))
        description = self.string(op.description)
        literal = self.string(expression, multiline=True)
        args = (
            f"{description}, {literal}"
            if positional
            else f"description={description}, expression={literal}"
        )
        message = f"added a {op.when}-check to {what}"
        if node is None:
            text = f"[{self.class_ref('MigrationCheck')}({args})]"
            self.add_keyword(step, step_where, class_name, field_name, text, what)
            return message
        checks, checks_where = self.expect_list(
            node, value_where, f"{field_name} of {what}"
        )
        for number, item in enumerate(checks.elements, start=1):  # type: ignore[attr-defined]
            try:
                check, check_where = self.expect_call(
                    item.value,
                    checks_where.child(checks, number - 1),
                    "MigrationCheck",
                    "check",
                )
                fields = self.arguments(check, "MigrationCheck")
                have = {
                    name: self.literal(
                        check.args[fields[name]].value,
                        check_where.child(check, fields[name]),
                        name,
                    )
                    for name in ("description", "expression")
                    if name in fields
                }
            except Refusal:
                continue
            if have.get("description") == op.description and same_sql(
                str(have.get("expression", "")), expression
            ):
                raise Noop(f"{what} already has this {op.when}-check (check {number})")
        seq = self.sequence(checks)
        self.insert_item(
            seq, len(seq.items), f"{self.class_ref('MigrationCheck')}({args})"
        )
        self.commit_sequence(seq, checks_where, f"{field_name} of {what}")
        return message

    def accept_lint_rule(self, op: AcceptLintRule) -> str:
        """Add (or re-word) `rule: reason` in a step's lint_ignore dict."""
        if not op.rule.strip() or not op.reason.strip():
            raise UsageError("accepting a lint rule takes a rule name and a reason")
        direction, list_node, list_where = self._nth_step(
            op.down, op.step, "accept a lint rule in"
        )
        what = f"{direction} step {op.step}"
        element = list_node.elements[op.step - 1]  # type: ignore[union-attr]
        step, step_where, class_name = self._step(element.value, list_where.child(list_node, op.step - 1), what)  # type: ignore[union-attr]
        _, node, value_where = self.field(step, step_where, class_name, "lint_ignore")
        message = f"{what} accepts {op.rule}: {op.reason}"
        if node is None:
            entry = f"{self.string(op.rule)}: {self.string(op.reason)}"
            self.add_keyword(
                step, step_where, class_name, "lint_ignore", "{" + entry + "}", what
            )
            return message
        field_what = f"lint_ignore of {what}"
        target, target_where = self.deref(node, value_where, field_what)
        if not isinstance(target, cst.Dict):
            raise Refusal(
                target,
                f"cannot edit {field_what}: it is {_describe(target, self.code(target))}, not a dict",
            )
        accepted: dict[str, str] = {}
        for item in target.elements:
            if not isinstance(item, cst.DictElement):
                raise Refusal(
                    item, f"cannot edit {field_what}: **unpacking is not a literal"
                )
            key = self.literal(item.key, target_where, field_what)
            accepted[key] = self.literal(item.value, target_where, field_what)
        if accepted.get(op.rule) == op.reason:
            raise Noop(f"{what} already accepts {op.rule} for this reason")
        accepted[op.rule] = op.reason
        text = ", ".join(
            f"{self.string(k)}: {self.string(v)}" for k, v in accepted.items()
        )
        self.commit(target, self.parse("{" + text + "}"), target_where, field_what)
        return message

    def remove_step(self, op: RemoveStep) -> str:
        direction, list_node, list_where = self._nth_step(op.down, op.step, "remove")
        seq = self.sequence(list_node)  # type: ignore[arg-type]
        removed = seq.remove(op.step - 1)
        self.commit_sequence(seq, list_where, f"the {direction} plan")  # type: ignore[arg-type]
        self._forget_classes(removed)
        return f"removed {direction} step {op.step}"

    def _forget_classes(self, removed: cst.CSTNode) -> None:
        """Model classes that only the removed code used leave the import too."""
        used: list[str] = []

        class Calls(cst.CSTVisitor):
            def visit_Call(inner, node: cst.Call) -> None:  # noqa: N805
                if isinstance(node.func, cst.Name) and node.func.value in self.aliases:
                    used.append(node.func.value)

        removed.visit(Calls())
        for local in dict.fromkeys(used):
            everywhere, inside = _Loads(local), _Loads(local)
            self.module.visit(everywhere)
            removed.visit(inside)
            if everywhere.count == inside.count:
                self.unused_imports.append(local)

    def _drop_imports(self) -> None:
        for target in self.model_imports:
            seq = Sequence(target)
            locals_ = [
                a.asname.name.value if a.asname else _dotted(a.name)  # type: ignore[union-attr]
                for a in seq.items
            ]
            doomed = [
                i for i, local in enumerate(locals_) if local in self.unused_imports
            ]
            if not doomed:
                continue
            statement, _ = self.statement_of[id(target)]
            if len(doomed) == len(locals_) and len(statement.body) == 1:
                self._remove_statement(statement)
                continue
            for index in reversed(doomed):
                seq.remove(index)
            self.replacements[id(target)] = (target, seq.build())
            self._mark(target)

    def _remove_statement(self, statement: cst.SimpleStatementLine) -> None:
        body = list(self.module.body)
        position = next(i for i, s in enumerate(body) if s is statement)
        self.paths.add(id(self.module))
        self.replacements[id(statement)] = (statement, cst.RemovalSentinel.REMOVE)
        keep = [line for line in statement.leading_lines if line.comment is not None]
        if keep and position + 1 < len(body):
            following = body[position + 1]
            moved = following.with_changes(
                leading_lines=keep + list(following.leading_lines)
            )
            self.replacements[id(following)] = (following, moved)


def _same_step(have: dict[str, Any], wanted: dict[str, Any]) -> bool:
    return (
        have["kind"] == wanted["kind"]
        and isinstance(have["payload"], str)
        and same_sql(have["payload"], wanted["payload"])
        and have["description"] == wanted["description"]
        and have["timeout_ms"] == wanted["timeout_ms"]
        and have["retries"] == wanted["retries"]
        and have["transactional"] == wanted["transactional"]
    )


def _show(value: Any) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(repr(v) for v in value) + "]"
    return repr(value)


def edit_source(
    source: str, path: str, operation: Operation, *, line_length: int | None = None
) -> EditResult:
    """Apply one operation to spec source text; never touches the file system.

    Returns the new text (unchanged, with a message saying why, when the edit
    is already applied). Raises EditRefused with `path:line:col` diagnostics
    when the edit cannot be made or its result would not load, and UsageError
    for arguments that make no sense for this spec (a step that does not exist).
    """
    editor = Editor(source, path, line_length)
    try:
        message = editor.apply(operation)
    except Noop as noop:
        return EditResult(path, source, source, f"already applied: {noop}", False)
    except Refusal as refusal:
        raise EditRefused([editor.diagnostic(refusal)], UNCHANGED_NOTE) from None
    new_source = editor.finish()
    if (
        new_source == source
    ):  # pragma: no cover - every operation either changes or raises Noop
        return EditResult(path, source, source, "already applied", False)
    try:
        loaded = load_source(new_source, path)
    except SpecError as exc:
        raise EditRefused(
            exc.diagnostics,
            f"the file was not changed: after this edit ({message}) the spec would not load"
            " (positions refer to the edited text)",
        ) from None
    return EditResult(path, source, new_source, message, True, loaded)
