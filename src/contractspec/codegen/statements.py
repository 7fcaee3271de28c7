"""The statements of a step outside the transaction, split at build time.

Such a step runs in autocommit one statement at a time (PostgreSQL runs a
text of several as one implicit transaction, which CREATE INDEX CONCURRENTLY
refuses), and a rerun after a crash must know what each one leaves behind.
The dialect's own parser (contractspec.sql: pglast for PostgreSQL,
`sqlite3.complete_statement` for SQLite) finds both here, once, and the
harness carries the result, so that reviewers read exactly what is sent and
the runtime needs neither a splitter nor a pattern over SQL:

    "statements": [
        {"sql": "CREATE INDEX CONCURRENTLY orders_by_customer ON shop.orders (customer_id)",
         "builds_index": "shop.orders_by_customer"},
        {"sql": "VACUUM (ANALYZE) shop.orders", "safe_to_rerun": True},
    ],
    "reconcile": ["DROP INDEX CONCURRENTLY IF EXISTS shop.orders_by_customer"],
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..sql import Dialect, parse


@dataclass(frozen=True)
class Outside:
    """A step outside the transaction, as its harness carries it."""

    statements: list[dict[str, Any]] | None  # None: a Python step, nothing to split
    reconcile: list[str] | None = None


def statement_entries(text: str, dialect: Dialect) -> list[dict[str, Any]]:
    """Each statement of text as the harness holds it: the SQL sent, and what
    a rerun needs to know of it (docs/runtime.md, "Resume"). Text that does
    not parse stays one statement: `build` refuses it anyway (the syntax-error
    check, at its exact place), so such data never reaches a harness."""
    parsed = parse(text, dialect)
    if parsed.error is not None:
        return [{"sql": text.strip()}]
    entries: list[dict[str, Any]] = []
    for statement in parsed.statements:
        entry: dict[str, Any] = {"sql": statement.sent}
        if statement.builds_index:
            entry["builds_index"] = statement.builds_index
        elif statement.reindexes:
            kind, name = statement.reindexes
            entry[f"reindexes_{kind}"] = name
        elif statement.safe_to_rerun:
            entry["safe_to_rerun"] = True
        entries.append(entry)
    return entries


def split_statements(text: str, dialect: Dialect) -> list[str]:
    """The statements of text, to run one by one; ValueError with the
    parser's message when it does not parse."""
    parsed = parse(text, dialect)
    if parsed.error is not None:
        raise ValueError(parsed.error.message)
    return [statement.sent for statement in parsed.statements]
