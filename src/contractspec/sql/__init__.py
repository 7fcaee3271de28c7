"""SQL texts parsed per dialect: statements, their offsets, and what they are.

One parser per dialect, each the database's own where one is to be had:
PostgreSQL's parser through `pglast` (libpg_query), SQLite's through the
`sqlite3` module (`complete_statement` to split, `EXPLAIN` to parse against
an empty in-memory database). Both return the same `Parsed`; `lint` and
`build` read statements from here and nowhere else.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Dialect = Literal["postgresql", "sqlite"]
DIALECTS: tuple[Dialect, ...] = ("postgresql", "sqlite")


@dataclass(frozen=True)
class Statement:
    """One statement of a SQL text; start and end are character offsets in that text."""

    start: int
    end: int
    text: str
    transaction_control: bool = False  # BEGIN, COMMIT, ROLLBACK, SAVEPOINT, ...
    # What makes it refuse a transaction block, e.g. "CREATE INDEX CONCURRENTLY"
    outside_transaction: str | None = None
    read_only: bool = False  # a query that changes nothing


@dataclass(frozen=True)
class SyntaxProblem:
    offset: int  # character offset in the text
    message: str


@dataclass(frozen=True)
class Parsed:
    statements: list[Statement] = field(default_factory=list)
    error: SyntaxProblem | None = None


def parse(text: str, dialect: Dialect) -> Parsed:
    """Every statement of text, or the first syntax error (with the statements before it)."""
    if dialect == "postgresql":
        from . import postgres

        return postgres.parse(text)
    from . import sqlite

    return sqlite.parse(text)
