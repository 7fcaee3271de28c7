"""Text layout for new spec code (standard library only).

New strings are written by codegen.literals.string_literal, the emitter
harnesses use too (it round-trips every code point and keeps the file's quote
character). What lives here:

- How SQL payloads are normalised and compared (`normalize_sql`, `same_sql`).
- The line length a file was written for (`infer_line_length`).
- A small layout engine that formats *new* elements the way black does in
  its stable style (one line when it fits; a sole argument on its own line;
  one item per line with a magic trailing comma; a sole multi-line string
  hugs its brackets), so an edit in a black-formatted spec file leaves it
  black-formatted. Existing code never passes through it unless a line the
  edit touched has to be re-wrapped, and then only that one line.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field

_LENGTHS = (88, 100, 120)


# ---------------------------------------------------------------------------
# SQL payloads


def normalize_sql(text: str) -> str:
    """How SQL-ish payloads are stored: one-line SQL stripped; multi-line SQL starts
    and ends on its own line (the triple-quoted style of the example specs)."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    stripped = text.strip()
    if "\n" not in stripped:
        return stripped
    lines = text.split("\n")
    while lines and not lines[0].strip():
        lines.pop(0)
    while lines and not lines[-1].strip():
        lines.pop()
    return "\n" + "\n".join(line.rstrip() for line in lines) + "\n"


def same_sql(a: str, b: str) -> bool:
    """Equal up to whitespace (used to recognise an edit that is already applied)."""
    return a.split() == b.split()


# ---------------------------------------------------------------------------
# Line length


def infer_line_length(*sources: str) -> int:
    """The line length the files were written for: black's 88, or 100 / 120 when
    code lines (not lines inside multi-line strings) are longer than that."""
    longest = 0
    for source in sources:
        longest = max(longest, _longest_code_line(source))
    for length in _LENGTHS:
        if longest <= length:
            return length
    return longest


_TRIPLE = re.compile(r'(?s)("""|\'\'\')(?:\\.|(?!\1).)*\1')


def _longest_code_line(source: str) -> int:
    """The longest line that is not inside a triple-quoted string (a quick scan, not a tokenizer)."""
    lines = source.splitlines()
    skip: set[int] = set()
    for match in _TRIPLE.finditer(source):
        first = source.count("\n", 0, match.start()) + 1
        last = first + match.group(0).count("\n")
        skip.update(range(first + 1, last + 1))
    return max(
        (len(line) for number, line in enumerate(lines, 1) if number not in skip),
        default=0,
    )


# ---------------------------------------------------------------------------
# The layout engine


def width(text: str) -> int:
    """Columns text takes in a terminal (wide East Asian characters and emoji count 2,
    combining marks 0), which is how black measures lines."""
    if text.isascii():
        return len(text)
    total = 0
    for char in text:
        if unicodedata.combining(char) or unicodedata.category(char) in ("Mn", "Me"):
            continue
        total += 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1
    return total


@dataclass
class Atom:
    """Code that is never split: a name, a number, a string (maybe multi-line)."""

    text: str

    @property
    def multiline_string(self) -> bool:
        return "\n" in self.text


@dataclass
class Block:
    """Existing multi-line code (with its comments) that can only be moved: render(indent)
    gives its text re-indented for a new position."""

    render: Callable[[str], str]


@dataclass
class Seq:
    """A bracketed, comma-separated list: a call's arguments, a list's elements."""

    opener: str
    closer: str
    items: list[tuple[str, Node]] = field(
        default_factory=list
    )  # (prefix like "sql=", value)
    magic_trailing_comma: bool = False
    collection: bool = (
        False  # a list/tuple literal or an import: black never keeps its items on one body line
    )


Node = Atom | Block | Seq


class Layout:
    """Lays out nodes for a line length and an indentation unit; text uses "\n"."""

    def __init__(self, line_length: int, unit: str = "    "):
        self.line_length = line_length
        self.unit = unit

    # -- one line -------------------------------------------------------------
    def one_line(self, node: Node) -> str | None:
        if isinstance(node, Atom):
            return node.text
        if isinstance(node, Block):
            return None
        parts = []
        for prefix, child in node.items:
            text = self.one_line(child)
            if text is None:
                return None
            parts.append(prefix + text)
        return node.opener + ", ".join(parts) + node.closer

    def _strings(self, node: Node) -> int:
        if isinstance(node, Atom):
            return 1 if node.multiline_string else 0
        if isinstance(node, Block):
            return 2
        return sum(self._strings(child) for _, child in node.items)

    def _hugs_string(self, node: Node) -> bool:
        """A multi-line string may share a line with brackets only as a sole item all the way up."""
        if isinstance(node, Atom):
            return True
        if isinstance(node, Block):
            return False
        if not any(self._strings(child) for _, child in node.items):
            return True
        return (
            len(node.items) == 1
            and not node.magic_trailing_comma
            and self._hugs_string(node.items[0][1])
        )

    def _forced(self, node: Node) -> bool:
        if isinstance(node, Seq):
            return node.magic_trailing_comma or any(
                self._forced(c) for _, c in node.items
            )
        return isinstance(node, Block)

    def fits(self, node: Node, column: int, suffix: str = "") -> bool:
        """Whether node stays on the line it starts on (after column columns), as black decides."""
        if self._forced(node):
            return False
        text = self.one_line(node)
        if text is None:
            return False
        if "\n" not in text:
            return column + width(text) + len(suffix) <= self.line_length
        if self._strings(node) != 1 or not self._hugs_string(node):
            return False
        first, *_, last = text.split("\n")
        return (
            column + width(first) <= self.line_length
            and width(last) + len(suffix) <= self.line_length
        )

    # -- any number of lines ----------------------------------------------------
    def render(self, node: Node, indent: str, column: int, suffix: str = "") -> str:
        """node's text starting at column on a line indented by indent.

        The first line carries no indentation; later lines carry their full indentation.
        """
        if self.fits(node, column, suffix):
            text = self.one_line(node)
            assert text is not None
            return text
        if isinstance(node, Atom):
            return node.text
        if isinstance(node, Block):
            return node.render(indent)
        inner = indent + self.unit
        nl = "\n"
        if not node.magic_trailing_comma and not (
            node.collection and len(node.items) > 1
        ):
            # black's right-hand split: the whole body on one line of its own, if it fits.
            whole = Seq("", "", node.items)
            if self.fits(whole, len(inner), ""):
                return f"{node.opener}{nl}{inner}{self.one_line(whole)}{nl}{indent}{node.closer}"
        if len(node.items) == 1 and not node.magic_trailing_comma:
            prefix, child = node.items[0]
            body = self.render(child, inner, len(inner) + len(prefix), "")
            return f"{node.opener}{nl}{inner}{prefix}{body}{nl}{indent}{node.closer}"
        lines = [node.opener]
        for prefix, child in node.items:
            body = self.render(child, inner, len(inner) + len(prefix), ",")
            lines.append(f"{nl}{inner}{prefix}{body},")
        lines.append(f"{nl}{indent}{node.closer}")
        return "".join(lines)
