"""PostgreSQL statements through pglast: PostgreSQL's own parser (libpg_query)."""

from __future__ import annotations

from typing import Any

from pglast import ast, parse_sql
from pglast.parser import ParseError

from . import Parsed, Statement, SyntaxProblem


def parse(text: str) -> Parsed:
    try:
        raw = parse_sql(text)
    except ParseError as exc:
        message, offset = exc.args[0], exc.args[1]
        # "at end of input" has no index: point at the end of the text.
        at = len(text.rstrip()) if offset is None else offset
        return Parsed([], SyntaxProblem(at, message))
    statements = []
    for item in raw:
        # pglast gives character offsets; a length of 0 means "to the end".
        start = item.stmt_location or 0
        end = start + item.stmt_len if item.stmt_len else len(text)
        # the location includes leading whitespace and comments: skip them for positions
        start += _leading_noise(text[start:end])
        node = item.stmt
        statements.append(
            Statement(
                start,
                end,
                text[start:end],
                transaction_control=isinstance(node, ast.TransactionStmt),
                outside_transaction=_outside_transaction(node),
                read_only=_read_only(node),
            )
        )
    return Parsed(statements)


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


def _has_option(params: Any, name: str) -> bool:
    return any(getattr(p, "defname", None) == name for p in params or ())


def _outside_transaction(node: Any) -> str | None:
    """The name of what PostgreSQL refuses inside a transaction block, else None."""
    if isinstance(node, ast.IndexStmt) and node.concurrent:
        return "CREATE INDEX CONCURRENTLY"
    if isinstance(node, ast.DropStmt) and node.concurrent:
        return "DROP INDEX CONCURRENTLY"
    if isinstance(node, ast.ReindexStmt) and _has_option(node.params, "concurrently"):
        return "REINDEX CONCURRENTLY"
    if isinstance(node, ast.VacuumStmt) and node.is_vacuumcmd:
        return "VACUUM"
    if isinstance(node, ast.AlterSystemStmt):
        return "ALTER SYSTEM"
    if isinstance(node, ast.CreatedbStmt):
        return "CREATE DATABASE"
    if isinstance(node, ast.DropdbStmt):
        return "DROP DATABASE"
    if isinstance(node, ast.CreateTableSpaceStmt):
        return "CREATE TABLESPACE"
    if isinstance(node, ast.DropTableSpaceStmt):
        return "DROP TABLESPACE"
    if isinstance(node, ast.CreateSubscriptionStmt):
        return "CREATE SUBSCRIPTION"
    return None


def _read_only(node: Any) -> bool:
    """A SELECT (or VALUES) that writes nothing: no INTO, no FOR UPDATE, no writing CTE."""
    if not isinstance(node, ast.SelectStmt):
        return False
    if node.intoClause is not None or node.lockingClause:
        return False
    ctes = node.withClause.ctes if node.withClause is not None else ()
    if any(not _read_only(cte.ctequery) for cte in ctes or ()):
        return False
    # UNION / INTERSECT / EXCEPT: both sides
    return all(_read_only(side) for side in (node.larg, node.rarg) if side is not None)
