"""PostgreSQL statements through pglast: PostgreSQL's own parser (libpg_query).

The parse tree is read as libpg_query's JSON (seven times faster than
pglast's Python objects, which we don't need); its offsets are UTF-8 bytes.
"""

from __future__ import annotations

import json
from typing import Any

from pglast.parser import ParseError, parse_sql_json

from . import Parsed, Statement, SyntaxProblem

# Statements PostgreSQL refuses inside a transaction block (PreventInTransactionBlock),
# by parse-tree node: a name, or a test on the node and the name.
_ALWAYS = {
    "AlterSystemStmt": "ALTER SYSTEM",
    "CreatedbStmt": "CREATE DATABASE",
    "DropdbStmt": "DROP DATABASE",
    "CreateTableSpaceStmt": "CREATE TABLESPACE",
    "DropTableSpaceStmt": "DROP TABLESPACE",
    "CreateSubscriptionStmt": "CREATE SUBSCRIPTION",
}


def parse(text: str) -> Parsed:
    try:
        tree = json.loads(parse_sql_json(text))
    except ParseError as exc:
        message, offset = exc.args[0], exc.args[1]  # a character offset
        # "at end of input" has no offset: point at the end of the text.
        at = len(text.rstrip()) if offset is None else offset
        return Parsed([], SyntaxProblem(at, message))
    chars = _Characters(text)
    statements = []
    for raw in tree.get("stmts", ()):
        start = raw.get("stmt_location", 0)
        end = start + raw["stmt_len"] if raw.get("stmt_len") else None
        start, end = chars.at(start), chars.at(end) if end is not None else len(text)
        # the location includes leading whitespace and comments: skip them
        start += _leading_noise(text[start:end])
        ((kind, node),) = raw["stmt"].items()
        statements.append(
            Statement(
                start,
                end,
                text[start:end],
                transaction_control=kind == "TransactionStmt",
                outside_transaction=_outside_transaction(kind, node),
                read_only=kind == "SelectStmt" and _read_only(node),
            )
        )
    return Parsed(statements)


class _Characters:
    """UTF-8 byte offsets of one text → character offsets."""

    def __init__(self, text: str):
        self.ascii = text.isascii()
        self.encoded = b"" if self.ascii else text.encode("utf-8")

    def at(self, byte: int) -> int:
        if self.ascii:
            return byte
        return len(self.encoded[:byte].decode("utf-8", "replace"))


def _leading_noise(text: str) -> int:
    """The length of the whitespace and comments before a statement's first token."""
    index = 0
    while index < len(text):
        if text[index].isspace():
            index += 1
        elif text.startswith("--", index):
            newline = text.find("\n", index)
            index = len(text) if newline < 0 else newline + 1
        elif text.startswith("/*", index):
            close = text.find("*/", index + 2)
            index = len(text) if close < 0 else close + 2
        else:
            break
    return index


def _outside_transaction(kind: str, node: dict[str, Any]) -> str | None:
    """The name of what PostgreSQL refuses inside a transaction block, else None."""
    if kind in _ALWAYS:
        return _ALWAYS[kind]
    if kind == "IndexStmt" and node.get("concurrent"):
        return "CREATE INDEX CONCURRENTLY"
    if kind == "DropStmt" and node.get("concurrent"):
        return "DROP INDEX CONCURRENTLY"
    if kind == "ReindexStmt" and any(
        param.get("DefElem", {}).get("defname") == "concurrently"
        for param in node.get("params", ())
    ):
        return "REINDEX CONCURRENTLY"
    if kind == "VacuumStmt" and node.get("is_vacuumcmd"):
        return "VACUUM"
    return None


def _read_only(select: dict[str, Any]) -> bool:
    """A SELECT (or VALUES) that writes nothing: no INTO, no FOR UPDATE, no writing CTE."""
    if "intoClause" in select or "lockingClause" in select:
        return False
    for cte in select.get("withClause", {}).get("ctes", ()):
        ((kind, query),) = cte["CommonTableExpr"]["ctequery"].items()
        if kind != "SelectStmt" or not _read_only(query):
            return False
    # UNION / INTERSECT / EXCEPT: both sides
    return all(_read_only(select[side]) for side in ("larg", "rarg") if side in select)
