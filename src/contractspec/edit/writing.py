"""Writing new code the way the file around it is written.

Style facts read from the file (its indent unit, its quote character), new
items laid out for their place in a list or call, and `commit`, which
re-wraps a line an edit made too long with black's rules (layout.py) and
leaves every other line as it was.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import libcst as cst

from ..codegen.literals import string_literal
from . import layout as lay
from .layout import Atom, Block, Layout, Seq
from .locate import FIELDS, SpecFile, Where, item_at
from .seq import Irregular, ItemList, has_comment


class _Reindent(cst.CSTTransformer):
    def __init__(self, old: str, new: str):
        self.old, self.new = old, new

    def _move(self, text: str) -> str:
        return self.new + text[len(self.old) :] if text.startswith(self.old) else text

    def leave_ParenthesizedWhitespace(
        self,
        original_node: cst.ParenthesizedWhitespace,
        updated_node: cst.ParenthesizedWhitespace,
    ) -> cst.ParenthesizedWhitespace:
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


class StyledEdits(SpecFile):
    def __init__(self, source: str, path: str, line_length: int | None = None):
        super().__init__(source, path, line_length)
        self._quotes: _Strings | None = None
        self.layout = Layout(self.line_length, self._indent_unit())

    def _indent_unit(self) -> str:
        call = self.spec_call
        candidates = [call] + [
            a.value for a in call.args if isinstance(a.value, cst.Call)
        ]
        for node in candidates:
            try:
                seq = ItemList(node)
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

    def owner(self, where: Where) -> tuple[cst.CSTNode, Where, str, int, str]:
        """The node that starts the line `where` is on: (node, where, indent, column, suffix)."""
        for depth in range(len(where.chain) - 1, -1, -1):
            container, index = where.chain[depth]
            seq = self.sequence(container)
            if seq.starts_line(index):
                original = item_at(container, index)
                keyword = ""
                if isinstance(original, cst.Arg) and original.keyword is not None:
                    keyword = self.code(original.keyword) + (
                        self.code(original.equal)
                        if isinstance(original.equal, cst.AssignEqual)
                        else " = "
                    )
                gap = seq.gaps[index]  # a line break: the item starts a line
                indent = (
                    gap.last_line.value
                    if isinstance(gap, cst.ParenthesizedWhitespace)
                    else ""
                )
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
                seq = ItemList(node)
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
                    if not isinstance(item, (cst.Arg, cst.Element)):  # *starred
                        return self._leaf(node)
                    items.append((prefix, self.tree(item.value)))
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

        def reindented(indent: str) -> str:
            moved = node.visit(_Reindent(old, indent))
            assert isinstance(moved, cst.CSTNode)  # only whitespace changed
            return self.code(moved)

        return Block(reindented)

    def insert_item(
        self, seq: ItemList, index: int, value_text: str, keyword: str | None = None
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

    def _equal(self, seq: ItemList) -> cst.AssignEqual:
        for item in seq.items:
            if isinstance(item, cst.Arg) and isinstance(item.equal, cst.AssignEqual):
                return item.equal
        return cst.AssignEqual(
            whitespace_before=cst.SimpleWhitespace(""),
            whitespace_after=cst.SimpleWhitespace(""),
        )

    def commit_sequence(self, seq: ItemList, where: Where, what: str) -> None:
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
            elif (
                isinstance(arg, cst.Arg)
                and arg.keyword is not None
                and rank.get(arg.keyword.value, len(order)) > rank[name]
            ):
                index = i
                break
        self.insert_item(seq, max(index, positional), value_text, keyword=name)
        self.commit_sequence(seq, where, what)

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
