"""Comma-separated lists in the CST — call arguments, list and tuple elements,
imported names — as items with the whitespace *between* them ("gaps").

libcst keeps the whitespace around commas in several places (a comma's
`whitespace_after`, an argument's `whitespace_after_arg`, a bracket's
`whitespace_before`), and which one holds the newline before the closing
bracket depends on the node type and on whether there is a trailing comma.
`ItemList` gathers it into one list of gaps, n + 1 for n items:

    ( gap0 item0 , gap1 item1 , ... item[n-1] [,] gap[n] )

so inserting or removing an item is list surgery on gaps, where a gap that is
a newline (`ParenthesizedWhitespace`) carries the comment that ends the
previous line (`first_line`), the comment lines above the next item
(`empty_lines`) and the next line's indentation (`last_line`).
"""

from __future__ import annotations

from collections.abc import Iterable

import libcst as cst
from libcst import MaybeSentinel

Gap = cst.SimpleWhitespace | cst.ParenthesizedWhitespace
EMPTY = cst.SimpleWhitespace("")
SeqNode = cst.Call | cst.List | cst.Tuple | cst.ImportFrom


class Irregular(Exception):
    """A layout this module does not take apart (whitespace in two places at once)."""


def _blank(ws: cst.BaseParenthesizableWhitespace) -> bool:
    return isinstance(ws, cst.SimpleWhitespace) and ws.value == ""


def _combine(*parts: cst.BaseParenthesizableWhitespace) -> Gap:
    present = [p for p in parts if not _blank(p)]
    if not present:
        return EMPTY
    if len(present) == 1 and isinstance(present[0], Gap):
        return present[0]
    simple = [p for p in present if isinstance(p, cst.SimpleWhitespace)]
    if len(simple) == len(present):
        return cst.SimpleWhitespace("".join(p.value for p in simple))
    raise Irregular("whitespace on both sides of a comma")


def newline_gap(
    indent: str,
    first_line: cst.TrailingWhitespace | None = None,
    empty_lines: Iterable[cst.EmptyLine] = (),
) -> cst.ParenthesizedWhitespace:
    return cst.ParenthesizedWhitespace(
        first_line=first_line or cst.TrailingWhitespace(),
        empty_lines=list(empty_lines),
        indent=True,
        last_line=cst.SimpleWhitespace(indent),
    )


def is_newline(gap: cst.BaseParenthesizableWhitespace) -> bool:
    return isinstance(gap, cst.ParenthesizedWhitespace)


def has_comment(gap: Gap) -> bool:
    if not isinstance(gap, cst.ParenthesizedWhitespace):
        return False
    return gap.first_line.comment is not None or any(
        line.comment is not None for line in gap.empty_lines
    )


class ItemList:
    """An editable view of a Call, List, Tuple or ImportFrom; `build()` makes the new node."""

    def __init__(self, node: cst.CSTNode):
        self.node: SeqNode
        raw: list[cst.Arg | cst.BaseElement | cst.ImportAlias]
        if isinstance(node, cst.Call):
            self.kind = "call"
            raw = list(node.args)
            opener: cst.BaseParenthesizableWhitespace = node.whitespace_before_args
            closer: cst.BaseParenthesizableWhitespace = EMPTY
        elif isinstance(node, (cst.List, cst.Tuple)):
            self.kind = "list" if isinstance(node, cst.List) else "tuple"
            raw = list(node.elements)
            if isinstance(node, cst.List):
                opener, closer = (
                    node.lbracket.whitespace_after,
                    node.rbracket.whitespace_before,
                )
            elif node.lpar:
                opener, closer = (
                    node.lpar[-1].whitespace_after,
                    node.rpar[0].whitespace_before,
                )
            else:
                opener = closer = EMPTY
        elif isinstance(node, cst.ImportFrom) and not isinstance(
            node.names, cst.ImportStar
        ):
            self.kind = "import"
            raw = list(node.names)
            if node.lpar is not None and node.rpar is not None:
                opener, closer = node.lpar.whitespace_after, node.rpar.whitespace_before
            else:
                opener = closer = EMPTY
        else:  # pragma: no cover - callers check
            raise TypeError(f"not a sequence: {type(node).__name__}")
        self.node = node

        self.items: list[cst.CSTNode] = []
        self.comma_before: list[cst.BaseParenthesizableWhitespace] = []
        self.gaps: list[Gap] = [_combine(opener)]
        count = len(raw)
        self.trailing = count > 0 and isinstance(raw[-1].comma, cst.Comma)
        for index, item in enumerate(raw):
            comma = item.comma
            after_comma = (
                comma.whitespace_after if isinstance(comma, cst.Comma) else EMPTY
            )
            after_arg = (
                item.whitespace_after_arg if isinstance(item, cst.Arg) else EMPTY
            )
            self.comma_before.append(
                comma.whitespace_before if isinstance(comma, cst.Comma) else EMPTY
            )
            stripped = item.with_changes(comma=MaybeSentinel.DEFAULT)
            if isinstance(item, cst.Arg):
                stripped = stripped.with_changes(whitespace_after_arg=EMPTY)
            self.items.append(stripped)
            if index + 1 < count:
                self.gaps.append(_combine(after_comma, after_arg))
            else:
                self.gaps.append(_combine(after_comma, after_arg, closer))
        if count == 0:
            self.gaps = [_combine(opener, closer)]
        self.originally_exploded = self.exploded

    # -- layout facts ---------------------------------------------------------
    @property
    def exploded(self) -> bool:
        """Items start on their own lines."""
        return any(is_newline(gap) for gap in self.gaps[: len(self.items)])

    @property
    def item_indent(self) -> str:
        for gap in self.gaps[: len(self.items)]:
            if isinstance(gap, cst.ParenthesizedWhitespace):
                return gap.last_line.value
        raise ValueError("not exploded")

    @property
    def closing_indent(self) -> str | None:
        gap = self.gaps[-1]
        return (
            gap.last_line.value
            if isinstance(gap, cst.ParenthesizedWhitespace)
            else None
        )

    def separator(self) -> Gap:
        """The one-line separator the siblings use (after their commas)."""
        for gap in self.gaps[1 : len(self.items)]:
            if isinstance(gap, cst.SimpleWhitespace):
                return gap
        return cst.SimpleWhitespace(" ")

    def starts_line(self, index: int) -> bool:
        return is_newline(self.gaps[index])

    # -- surgery ----------------------------------------------------------------
    def insert(self, index: int, item: cst.CSTNode) -> None:
        """Insert item (without a comma) so that it becomes self.items[index]."""
        count = len(self.items)
        if count == 1 and self.exploded and is_newline(self.gaps[-1]):
            # One item on its own line without a comma is black's form for a sole item;
            # with two or more, black puts a comma after every item.
            self.trailing = True
        if count and self.exploded:
            gap = self.gaps[index]
            indent = self.item_indent
            tail: Gap
            if isinstance(gap, cst.ParenthesizedWhitespace):
                # The comment that ends the line before stays there; comment lines
                # above the next item (or the closing bracket) stay above it.
                head = newline_gap(indent, first_line=gap.first_line)
                tail = gap.with_changes(first_line=cst.TrailingWhitespace())
            else:
                head, tail = newline_gap(indent), gap
            self.gaps[index : index + 1] = [head, tail]
        elif count == 0:
            gap = self.gaps[0]
            comments = (
                [line for line in gap.empty_lines if line.comment is not None]
                if isinstance(gap, cst.ParenthesizedWhitespace)
                else []
            )
            if isinstance(gap, cst.ParenthesizedWhitespace) and (
                comments or gap.first_line.comment
            ):
                # `[  # nothing yet` / `# comment lines` / `]`: the item goes below the comments.
                indent = (
                    comments[-1].whitespace.value
                    if comments
                    else gap.last_line.value + "    "
                )
                self.gaps = [
                    gap.with_changes(last_line=cst.SimpleWhitespace(indent)),
                    newline_gap(gap.last_line.value),
                ]
                self.trailing = True
            else:
                self.gaps = [EMPTY, EMPTY]
        elif index == count:
            self.gaps[count:count] = [self.separator()]
        else:
            self.gaps[index + 1 : index + 1] = [self.separator()]
        self.items.insert(index, item)
        self.comma_before.insert(index, EMPTY)

    def remove(self, index: int) -> cst.CSTNode:
        """Remove self.items[index] with its own comments (the line's trailing comment,
        the comment lines directly above it)."""
        before, after = self.gaps[index], self.gaps[index + 1]
        last = index + 1 == len(self.items)
        if isinstance(before, cst.ParenthesizedWhitespace) and isinstance(
            after, cst.ParenthesizedWhitespace
        ):
            kept = list(before.empty_lines)
            while kept and kept[-1].comment is not None:
                kept.pop()  # the comment block that belongs to the removed item
            if last:
                while kept and kept[-1].comment is None:
                    kept.pop()  # no blank line before a closing bracket
            lines = kept + list(after.empty_lines)
            if index == 0:
                while lines and lines[0].comment is None:
                    lines.pop(0)  # no blank line after an opening bracket
            merged: Gap = after.with_changes(
                first_line=before.first_line, empty_lines=lines
            )
        elif isinstance(before, cst.ParenthesizedWhitespace):
            merged = after if before.first_line.comment is None else before
        elif isinstance(after, cst.ParenthesizedWhitespace) and index > 0:
            merged = after.with_changes(first_line=cst.TrailingWhitespace())
        else:
            merged = before if index == 0 else after
        self.gaps[index : index + 2] = [merged]
        del self.comma_before[index]
        removed = self.items.pop(index)
        if not self.items and not has_comment(self.gaps[0]):
            self.gaps = [EMPTY]
        return removed

    # -- rebuild ------------------------------------------------------------------
    def build(self) -> cst.CSTNode:
        node = self.node
        items = self.items
        count = len(items)
        trailing = self.trailing or (self.kind == "tuple" and count == 1)
        if isinstance(node, cst.ImportFrom) and node.lpar is None and count:
            trailing = False
        closing = self.gaps[-1]
        new_items = []
        for index, item in enumerate(items):
            is_last = index + 1 == count
            if not is_last:
                item = item.with_changes(
                    comma=cst.Comma(
                        whitespace_before=self.comma_before[index],
                        whitespace_after=self.gaps[index + 1],
                    )
                )
            elif trailing:
                comma_after = closing if self.kind in ("call", "import") else EMPTY
                item = item.with_changes(
                    comma=cst.Comma(
                        whitespace_before=self.comma_before[index],
                        whitespace_after=comma_after,
                    )
                )
            elif self.kind == "call":
                item = item.with_changes(whitespace_after_arg=closing)
            new_items.append(item)
        # Where the closing gap lives when it is not after the last comma.
        closer_gap: Gap = EMPTY
        if count == 0:
            opener = self.gaps[0]
        else:
            opener = self.gaps[0]
            if self.kind in ("list", "tuple"):
                closer_gap = closing
            elif self.kind == "import" and not trailing:
                closer_gap = closing
        if isinstance(node, cst.Call):
            return node.with_changes(args=new_items, whitespace_before_args=opener)
        if isinstance(node, cst.List):
            return node.with_changes(
                elements=new_items,
                lbracket=node.lbracket.with_changes(whitespace_after=opener),
                rbracket=node.rbracket.with_changes(whitespace_before=closer_gap),
            )
        if isinstance(node, cst.Tuple):
            if not node.lpar:
                return node.with_changes(elements=new_items)
            lpar = list(node.lpar)
            rpar = list(node.rpar)
            lpar[-1] = lpar[-1].with_changes(whitespace_after=opener)
            rpar[0] = rpar[0].with_changes(whitespace_before=closer_gap)
            return node.with_changes(elements=new_items, lpar=lpar, rpar=rpar)
        if node.lpar is None or node.rpar is None:
            return node.with_changes(names=new_items)
        return node.with_changes(
            names=new_items,
            lpar=node.lpar.with_changes(whitespace_after=opener),
            rpar=node.rpar.with_changes(whitespace_before=closer_gap),
        )
