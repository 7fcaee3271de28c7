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

from . import (
    DELETE_ALL,
    DROP_COLUMN,
    DROP_TABLE,
    DataLoss,
    Parsed,
    Statement,
    SyntaxProblem,
)

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
# A token: a comment or string (skipped), a quoted name, a bare word, anything else.
_TOKEN = re.compile(
    r"(?P<skip>--[^\n]*|/\*.*?(?:\*/|$)|'(?:[^']|'')*')"
    r"|\"(?P<double>(?:[^\"]|\"\")*)\"|`(?P<back>[^`]*)`|\[(?P<square>[^\]]*)\]"
    r"|(?P<word>[A-Za-z_][A-Za-z0-9_$]*)|(?P<other>\S)",
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
                destroys=_destroys(body) if first in _DESTROYING else (),
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


# The statements that can destroy stored data (SQLite has no TRUNCATE: its
# DELETE without WHERE is one, https://sqlite.org/lang_delete.html).
_DESTROYING = {"DROP", "ALTER", "DELETE", "WITH"}


def _top_level(text: str) -> list[tuple[str, str]]:
    """(keyword, name) of each token outside parentheses: a bare word is both
    (upper-cased; as written), a quoted name only a name, punctuation itself."""
    tokens, depth = [], 0
    for match in _TOKEN.finditer(text):
        other = match["other"]
        depth += (other == "(") - (other == ")")
        if match["skip"] is not None or depth or other in ("(", ")"):
            continue
        word = match["word"]
        if word is not None:
            tokens.append((word.upper(), word))
        elif other is not None:
            tokens.append((other, ""))
        else:
            quote = next(
                q for q in ("double", "back", "square") if match[q] is not None
            )
            name = match[quote]
            tokens.append(("", name.replace('""', '"') if quote == "double" else name))
    return tokens


def _destroys(body: str) -> tuple[DataLoss, ...]:
    """DROP TABLE, ALTER TABLE ... DROP [COLUMN], DELETE without a WHERE of its
    own (after any WITH clause), read from the statement's top-level tokens."""
    tokens = _top_level(body)
    keys = [key for key, _ in tokens]
    verb = 0
    if keys[:1] == ["WITH"]:  # the CTEs' bodies are inside parentheses
        verbs = ("DELETE", "INSERT", "REPLACE", "SELECT", "UPDATE", "VALUES")
        verb = next((i for i, key in enumerate(keys) if key in verbs), len(keys))

    def name(at: int) -> tuple[str, int]:
        """The (schema-qualified) name at tokens[at], and the index after it."""
        if keys[at + 1 : at + 2] == ["."] and at + 2 < len(tokens):
            return f"{tokens[at][1]}.{tokens[at + 2][1]}", at + 3
        return tokens[at][1], at + 1

    head = keys[verb : verb + 2]
    try:
        if head == ["DELETE", "FROM"] and "WHERE" not in keys[verb:]:
            return (DataLoss(DELETE_ALL, name(verb + 2)[0]),)
        if head == ["DROP", "TABLE"]:
            at = verb + 4 if keys[verb + 2 : verb + 4] == ["IF", "EXISTS"] else verb + 2
            return (DataLoss(DROP_TABLE, name(at)[0]),)
        if head == ["ALTER", "TABLE"]:
            table, at = name(verb + 2)
            if keys[at : at + 1] == ["DROP"]:
                at += 2 if keys[at + 1 : at + 2] == ["COLUMN"] else 1
                return (DataLoss(DROP_COLUMN, table, tokens[at][1]),)
    except IndexError:  # cut short: it did not parse, and says so elsewhere
        pass
    return ()
