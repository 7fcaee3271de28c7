"""SQL texts parsed per dialect: statements, their offsets, and what they are.

One parser per dialect, each the database's own where one is to be had:
PostgreSQL's parser through `pglast` (libpg_query), SQLite's through the
`sqlite3` module (`complete_statement` to split, `EXPLAIN` to parse against
an empty in-memory database). Both return the same `Parsed`; `lint` and
`build` read statements from here and nowhere else.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

Dialect = Literal["postgresql", "sqlite"]
DIALECTS: tuple[Dialect, ...] = ("postgresql", "sqlite")

# PostgreSQL's own syntax, some of which SQLite's parser takes without a word
# (it accepts any type name, so `id SERIAL` is a column of type "SERIAL"):
# casts, dollar quoting, serial types, CONCURRENTLY.
_POSTGRESQL_ONLY = re.compile(
    r"::|\$[A-Za-z_]*\$|\b(?:small|big)?serial\b|\bconcurrently\b", re.IGNORECASE
)


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


def written_for(text: str) -> tuple[Dialect, str] | None:
    """The one dialect text can only be meant for, and why (for a message);
    None when it reads alike in both, or parses in neither."""
    from .sqlite import without_strings_and_comments

    found = _POSTGRESQL_ONLY.search(without_strings_and_comments(text))
    if found is not None:
        return "postgresql", f"uses {found[0].strip()!r}, which only PostgreSQL has"
    postgresql, sqlite = parse(text, "postgresql").error, parse(text, "sqlite").error
    if postgresql is None and sqlite is not None:
        return "postgresql", f"parses as PostgreSQL, not as SQLite ({sqlite.message})"
    if sqlite is None and postgresql is not None:
        return "sqlite", f"parses as SQLite, not as PostgreSQL ({postgresql.message})"
    return None
