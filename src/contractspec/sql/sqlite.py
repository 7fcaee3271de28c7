"""SQLite statements through SQLite's own parser, via the standard library.

`sqlite3.complete_statement` finds where each statement ends (it knows
strings, comments and trigger bodies); `EXPLAIN <statement>` on an empty
in-memory database makes SQLite parse it without running it. A statement
that parses but names a table the empty database lacks ("no such table")
is not a syntax error: only the parser's own complaints count.
"""

from __future__ import annotations

import re
import sqlite3
from functools import cache

from . import Parsed, Statement, SyntaxProblem

# SQLite's messages for text its parser rejects (everything else is about names).
_SYNTAX = re.compile(
    r'near "(?P<near>.*)": syntax error|unrecognized token: "(?P<token>.*)"|incomplete input',
    re.S,
)
# Strings, quoted identifiers and comments, skipped when reading keywords.
_NOISE = re.compile(
    r"'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"|`[^`]*`|\[[^\]]*\]|--[^\n]*|/\*.*?(?:\*/|$)",
    re.S,
)
_MISSING_TABLE = re.compile(r"no such table: (.+)$")
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")

TRANSACTION_CONTROL = {"BEGIN", "COMMIT", "END", "ROLLBACK", "SAVEPOINT", "RELEASE"}
WRITES = {"INSERT", "UPDATE", "DELETE", "REPLACE", "CREATE", "DROP", "ALTER", "PRAGMA"}
# What fails inside a transaction (VACUUM) or silently does nothing there (the pragmas).
PRAGMAS_OUTSIDE = {"FOREIGN_KEYS", "JOURNAL_MODE"}


@cache
def _scratch() -> sqlite3.Connection:
    return sqlite3.connect(":memory:", check_same_thread=False)


def without_strings_and_comments(text: str) -> str:
    """text with its strings, quoted identifiers and comments blanked out."""
    return _NOISE.sub(" ", text)


def words(text: str) -> list[str]:
    """The keywords and bare identifiers of a statement, upper-cased, in order."""
    return [w.upper() for w in _WORD.findall(without_strings_and_comments(text))]


def split(text: str) -> list[tuple[int, int]]:
    """(start, end) of each statement, the `;` included; blank or comment-only pieces dropped."""
    pieces: list[tuple[int, int]] = []
    start = 0
    for semicolon in re.finditer(";", text):
        end = semicolon.end()
        if sqlite3.complete_statement(text[start:end]):
            pieces.append((start, end))
            start = end
    pieces.append((start, len(text)))
    return [(s, e) for s, e in pieces if _NOISE.sub("", text[s:e]).strip(" \t\r\n;")]


def parse(text: str) -> Parsed:
    statements: list[Statement] = []
    for start, end in split(text):
        start += len(text[start:end]) - len(text[start:end].lstrip())
        start += _leading_comments(text[start:end])
        body = text[start:end]
        keys = words(body)
        first = keys[0] if keys else ""
        try:
            _prepare(body if first == "EXPLAIN" else "EXPLAIN " + body)
        except sqlite3.Error as exc:
            match = _SYNTAX.search(str(exc))
            if match:
                at = _error_offset(body, match["near"] or match["token"])
                offset = start + at if at >= 0 else end
                return Parsed(statements, SyntaxProblem(offset, str(exc)))
        except (
            sqlite3.Warning
        ) as exc:  # "You can only execute one statement at a time."
            return Parsed(statements, SyntaxProblem(start, str(exc)))
        statements.append(
            Statement(
                start,
                end,
                body,
                transaction_control=first in TRANSACTION_CONTROL,
                outside_transaction=_outside_transaction(keys, body),
                read_only=_read_only(keys),
                safe_to_rerun=_safe_to_rerun(keys),
            )
        )
    return Parsed(statements)


def _prepare(sql: str) -> None:
    """Parse sql (an EXPLAIN): raise sqlite3.Error for what SQLite's parser rejects.

    Some statements look their table up before the parser reaches their end
    (`ALTER TABLE t ADD COLUMN ...` stops at "no such table: t"): for those,
    a throwaway database gets the missing tables and the statement is tried
    again, so the rest of it is parsed too."""
    try:
        _scratch().execute(sql)
        return
    except sqlite3.Error as exc:
        missing = _MISSING_TABLE.match(str(exc))
        if not missing:
            raise
    throwaway = sqlite3.connect(":memory:")
    try:
        for _ in range(8):
            try:
                throwaway.execute(sql)
                return
            except sqlite3.Error as exc:
                missing = _MISSING_TABLE.match(str(exc))
                if not missing:
                    raise
                schema, _, table = missing[1].rpartition(".")
                if schema:  # another schema: not ours to invent
                    return
                throwaway.execute(
                    f'CREATE TABLE "{table.replace(chr(34), chr(34) * 2)}" (_)'
                )
    finally:
        throwaway.close()


def _error_offset(body: str, near: str | None) -> int:
    """Where the token SQLite names sits: its last occurrence that the text before parses up to.

    SQLite names the token, not its offset (Python has no sqlite3_error_offset)."""
    if not near:
        return -1
    found = -1
    for match in re.finditer(re.escape(near), body):
        try:
            _scratch().execute("EXPLAIN " + body[: match.start()])
        except sqlite3.Error as exc:
            if "incomplete input" not in str(exc) and _SYNTAX.search(str(exc)):
                break  # the error comes before this occurrence
        found = match.start()
    return found


def _leading_comments(text: str) -> int:
    match = re.match(r"(?:\s+|--[^\n]*\n?|/\*.*?\*/)*", text, re.S)
    return match.end() if match else 0


def _outside_transaction(keys: list[str], body: str) -> str | None:
    if keys[:1] == ["VACUUM"]:
        return "VACUUM"
    # `PRAGMA [schema.]name = value` or `(value)`: setting, not reading
    if keys[:1] == ["PRAGMA"] and re.search(r"[=(]", _NOISE.sub(" ", body)):
        for name in keys[1:3]:  # keys[1] is the schema in `main.foreign_keys`
            if name in PRAGMAS_OUTSIDE:
                return f"PRAGMA {name.lower()}"
    return None


def _safe_to_rerun(keys: list[str]) -> bool:
    """VACUUM, ANALYZE, REINDEX, or a statement that says IF [NOT] EXISTS:
    it may run again as written after a first run was cut short."""
    if keys[:1] in (["VACUUM"], ["ANALYZE"], ["REINDEX"]):
        return True
    text = " ".join(keys)
    return " IF NOT EXISTS " in f" {text} " or " IF EXISTS " in f" {text} "


def _read_only(keys: list[str]) -> bool:
    """A SELECT, VALUES or WITH … SELECT that names no writing keyword (a lexical check)."""
    return (
        bool(keys)
        and keys[0] in {"SELECT", "VALUES", "WITH"}
        and not WRITES & set(keys)
    )
