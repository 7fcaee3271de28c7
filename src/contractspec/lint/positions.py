"""From an offset inside a string value back to its line and column in the spec file.

The loader records where each field's value starts. For a string literal
(single, triple-quoted, raw, implicitly concatenated) every character of the
value is mapped to the source character it came from, escapes included; a
field given as a module-level name is followed to the literal it is bound to.
"""

from __future__ import annotations

import ast
import io
import re
import tokenize
from functools import cached_property
from pathlib import Path

from ..files import FileLimits, read_project_file

Position = tuple[int, int]  # 1-based line and column, in characters

_LINE_BREAK = re.compile(r"\r\n|\r|\n")
# A string literal's prefix and opening quote, then its body up to the closing
# quote, with tokenize's patterns: a backslash escapes any character, and a
# one-quote string ends with its line.
_OPENING = re.compile(r"([A-Za-z]{0,2})(\"\"\"|'''|\"|')")
_BODY = {
    '"""': re.compile(r'[^"\\]*(?:(?:\\.|"(?!""))[^"\\]*)*', re.S),
    "'''": re.compile(r"[^'\\]*(?:(?:\\.|'(?!''))[^'\\]*)*", re.S),
    '"': re.compile(r'[^\n"\\]*(?:\\.[^\n"\\]*)*', re.S),
    "'": re.compile(r"[^\n'\\]*(?:\\.[^\n'\\]*)*", re.S),
}
# One escape of a non-raw string: its source text and how many value characters it makes.
_ESCAPE = re.compile(
    r"\\(\r\n|\n|\r|N\{[^}]*\}|x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|[0-7]{1,3}|[\\'\"abfnrtv])",
    re.S,
)


class SourceMap:
    """Positions of string values in one spec file's source."""

    def __init__(self, source: str | Path, files: FileLimits | None = None):
        self._given, self._files = source, files or FileLimits.unconfined()
        self._found: dict[Position, list[tokenize.TokenInfo] | None] = {}

    @cached_property
    def source(self) -> str:
        """The text, read only when a position is asked for (most texts have no
        finding), through the one bounded reader like every project file."""
        if isinstance(self._given, Path):
            data = read_project_file(self._given, self._files)
            return data.decode("utf-8-sig")
        return self._given

    @cached_property
    def _lines(self) -> list[str]:
        """The source's lines as Python counts them (not str.splitlines: no U+2028, no form feed)."""
        return re.split(r"\r\n|\r|\n", self.source)

    @cached_property
    def _tokens(self) -> list[tokenize.TokenInfo]:
        try:
            return list(tokenize.generate_tokens(io.StringIO(self.source).readline))
        except (tokenize.TokenError, SyntaxError):
            return []  # the loader has already read this file: nothing is lost

    @cached_property
    def _comments(self) -> dict[int, bool]:
        """Lines with a comment: True when the comment is all the line holds."""
        code_lines = {
            line
            for token in self._tokens
            if token.type not in (tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE)
            for line in range(token.start[0], token.end[0] + 1)
        }
        return {
            token.start[0]: token.start[0] not in code_lines
            for token in self._tokens
            if token.type == tokenize.COMMENT
        }

    def commented(self, line: int) -> bool:
        """Does a comment sit on this line, or on comment-only lines right above it?"""
        return line in self._comments or self._comments.get(line - 1, False)

    def _string_at(self, start: Position) -> list[tokenize.TokenInfo] | None:
        """The string tokens of the literal (or "a" "b" group) starting at start.

        Tokenizes from that line only, not the whole file: lint asks for a
        few literals per spec. Token positions are made absolute."""
        if start in self._found:
            return self._found[start]
        reader = io.StringIO(self.source, newline="")  # Python's line breaks
        for _ in range(start[0] - 1):
            reader.readline()
        pieces: list[tokenize.TokenInfo] | None = None
        try:
            for token in tokenize.generate_tokens(reader.readline):
                row = token.start[0] + start[0] - 1
                token = token._replace(start=(row, token.start[1]))
                is_start = (row, token.start[1] + 1) == start
                if token.type == tokenize.STRING and (pieces is not None or is_start):
                    pieces = [*(pieces or []), token]
                elif pieces is not None and token.type not in (
                    tokenize.NL,
                    tokenize.COMMENT,
                ):
                    break
                elif pieces is None and row > start[0]:
                    break
        except (tokenize.TokenError, SyntaxError):
            pass  # past the literal, or not a literal: what was found stands
        self._found[start] = pieces
        return pieces

    @cached_property
    def _bindings(self) -> dict[str, Position]:
        """Module-level `NAME = "literal"`: where the literal starts."""
        lines = self._lines
        bound: dict[str, Position] = {}
        for node in ast.parse(self.source).body:
            if isinstance(node, ast.Assign):
                for target in node.targets:
                    if isinstance(target, ast.Name):
                        line = lines[node.value.lineno - 1]
                        col = len(
                            line.encode("utf-8")[: node.value.col_offset].decode(
                                "utf-8", "replace"
                            )
                        )
                        bound[target.id] = (node.value.lineno, col + 1)
        return bound

    @cached_property
    def _line_starts(self) -> list[int]:
        """Where each line starts in source (index 0: line 1), as Python breaks lines."""
        return [0, *(match.end() for match in _LINE_BREAK.finditer(self.source))]

    def _in_first_piece(self, start: Position, offset: int) -> Position | None:
        """The position when it lies in the literal's first (usually only) piece.

        Matched in place with tokenize's string patterns: tokenizing cost more
        than the rest of lint's own work. None leaves the rare rest (past the
        first piece of "a" "b", or not a literal) to the tokenizer."""
        line, col = start
        if not 0 < line <= len(self._line_starts):
            return None
        opening = _OPENING.match(self.source, self._line_starts[line - 1] + col - 1)
        if opening is None:
            return None
        prefix, quote = opening[1], opening[2]
        body = _BODY[quote].match(self.source, opening.end())
        if body is None or not self.source.startswith(quote, body.end()):
            return None  # not a literal after all
        at = (line, col + len(prefix) + len(quote))
        return _position_in(prefix, body[0], at, offset, last=False)[0]

    def locate(self, start: Position, offset: int) -> Position:
        """The position of value character `offset` of the string whose field starts at start."""
        found = self._in_first_piece(start, offset)
        if found is not None:
            return found
        pieces = self._string_at(start)
        if pieces is None:  # a name: follow it to its literal
            line, col = start
            text = self._lines[line - 1] if 0 < line <= len(self._lines) else ""
            name = re.match(r"[A-Za-z_][A-Za-z0-9_]*", text[col - 1 :])
            literal = self._bindings.get(name[0]) if name else None
            found = self._in_first_piece(literal, offset) if literal else None
            if found is not None:
                return found
            pieces = self._string_at(literal) if literal else None
        if not pieces:
            return start
        for index, token in enumerate(pieces):
            prefix, quote, body = _parts(token.string)
            at = (token.start[0], token.start[1] + 1 + len(prefix) + len(quote))
            last = index == len(pieces) - 1
            found, offset = _position_in(prefix, body, at, offset, last)
            if found is not None:
                return found
        return start


def _position_in(
    prefix: str, body: str, at: Position, offset: int, last: bool
) -> tuple[Position | None, int]:
    """Where value character `offset` of a piece whose body starts at `at` sits;
    else None and what is left of offset for the next piece. The last piece
    takes any offset."""
    line, col = at
    if "r" in prefix.lower() or "\\" not in body:
        # one value character per source character
        if offset < len(body) or last:
            before = body[: min(offset, len(body))]
            newlines = before.count("\n")
            if newlines:
                return (line + newlines, len(before) - before.rfind("\n")), 0
            return (line, col + len(before)), 0
        return None, offset - len(body)
    chars = _value_positions(body, at)
    if offset < len(chars) - 1 or last:
        return chars[min(offset, len(chars) - 1)], 0
    return None, offset - (len(chars) - 1)


def _parts(token: str) -> tuple[str, str, str]:
    """A string token's prefix (r, u, ...), quote and body."""
    prefix = re.match(r"[A-Za-z]*", token)
    assert prefix is not None
    quote = token[prefix.end() : prefix.end() + 3]
    quote = quote if quote in ('"""', "'''") else quote[0]
    return prefix[0], quote, token[prefix.end() + len(quote) : len(token) - len(quote)]


def _value_positions(body: str, start: Position) -> list[Position]:
    """Where each value character of a non-raw string body with escapes sits, and its end."""
    line, col = start
    chars: list[Position] = []
    index = 0
    while index < len(body):
        escape = _ESCAPE.match(body, index)
        text = escape[0] if escape else body[index]
        if escape is None or escape[1] not in ("\n", "\r", "\r\n"):
            chars.append(
                (line, col)
            )  # an escape or a character makes one value character
        if "\n" in text or text == "\r":
            line, col = line + 1, 1
        else:
            col += len(text)
        index += len(text)
    chars.append((line, col))
    return chars
