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


# A relation (table, view, index, sequence) by its name as the parser resolves
# it: case-folded unless quoted, schema-qualified unless in `public`.
Relation = str
# What a relation has and a statement can add or drop: (relation, kind, name)
# with kind "column", "constraint", "not null" or "default" (the last two: a column's).
Part = tuple[Relation, str, str]


@dataclass(frozen=True)
class Objects:
    """The named objects a statement creates, changes and drops (PostgreSQL;
    lint reads them to tell a live table from one this migration made)."""

    creates: tuple[Relation, ...] = ()
    changes: tuple[Relation, ...] = ()  # the relations it locks to change them
    drops: tuple[Relation, ...] = ()
    renames: tuple[tuple[Relation, Relation], ...] = ()
    adds: tuple[Part, ...] = ()
    removes: tuple[Part, ...] = ()
    only_drops: bool = False  # it does nothing but drop what it names
    # CHECK (column IS NOT NULL) constraints it adds: (relation, constraint, column, valid)
    not_null_checks: tuple[tuple[Relation, str, str, bool], ...] = ()
    validates: tuple[tuple[Relation, str], ...] = ()  # VALIDATE CONSTRAINT
    not_valid: bool = False  # the constraints it adds are NOT VALID: no scan


NO_OBJECTS = Objects()

# What a statement can do to stored data: no later statement brings it back.
DROP_TABLE, DROP_COLUMN, TRUNCATE, DELETE_ALL = (
    "DROP TABLE",
    "DROP COLUMN",
    "TRUNCATE",
    "DELETE without WHERE",
)


@dataclass(frozen=True)
class DataLoss:
    """Stored data a statement destroys: a table's rows (DROP TABLE, TRUNCATE,
    DELETE without WHERE) or a column of them (ALTER TABLE ... DROP COLUMN)."""

    action: str  # DROP_TABLE, DROP_COLUMN, TRUNCATE or DELETE_ALL
    table: Relation
    column: str | None = None  # DROP COLUMN: the column

    def __str__(self) -> str:
        if self.action == DROP_COLUMN:
            return f"ALTER TABLE {self.table} DROP COLUMN {self.column}"
        if self.action == DELETE_ALL:
            return f"DELETE FROM {self.table} without WHERE"
        return f"{self.action} {self.table}"


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
    objects: Objects = NO_OBJECTS
    # What makes it rewrite a relation under ACCESS EXCLUSIVE that squawk does
    # not report (e.g. "SET LOGGED"), and the offset of that clause in the text
    rewrite: tuple[str, int] | None = None
    # Its parse tree nests deeper than Python reads: nothing above is known
    too_deep: bool = False
    # What a rerun needs when it ran outside a transaction and was cut short
    # (a harness carries these: docs/runtime.md, "Resume"). Safe to run again
    # as written: IF [NOT] EXISTS, OR REPLACE, VACUUM, ANALYZE, REINDEX, ...
    safe_to_rerun: bool = False
    # CREATE INDEX CONCURRENTLY: the index it builds, as an SQL name (quoted
    # where it must be, in its table's schema when that is written)
    builds_index: str | None = None
    # REINDEX INDEX|TABLE CONCURRENTLY: ("index" or "table", its SQL name)
    reindexes: tuple[str, str] | None = None
    # The stored data it destroys (both dialects; risk reads it)
    destroys: tuple[DataLoss, ...] = ()

    @property
    def sent(self) -> str:
        """The statement as it is sent alone: no surrounding blanks, no `;`."""
        return self.text.strip().removesuffix(";").rstrip()


@dataclass(frozen=True)
class SyntaxProblem:
    offset: int  # character offset in the text
    message: str


@dataclass(frozen=True)
class Parsed:
    statements: list[Statement] = field(default_factory=list)
    error: SyntaxProblem | None = None


# What no database driver sends: a NUL ends a C string, and a lone surrogate
# (a byte that was not UTF-8, read with surrogateescape) has no UTF-8 form.
_UNSENDABLE = re.compile("[\x00\ud800-\udfff]")


def sendable(text: str) -> bool:
    """Does text hold nothing a driver can't send (a NUL, a byte that was not UTF-8)?"""
    return _UNSENDABLE.search(text) is None


def parse(text: str, dialect: Dialect) -> Parsed:
    """Every statement of text, or the first syntax error (with the statements before it)."""
    bad = _UNSENDABLE.search(text)
    if bad is not None:
        before = parse(text[: bad.start()], dialect).statements
        return Parsed(before, SyntaxProblem(bad.start(), _unsendable(bad[0])))
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


def _unsendable(char: str) -> str:
    if char == "\x00":
        return "a NUL character (\\x00): no database accepts it in SQL text"
    if "\udc80" <= char <= "\udcff":  # surrogateescape's stand-in for a byte
        return f"byte 0x{ord(char) - 0xDC00:02x} is not UTF-8 text"
    return f"a lone surrogate (\\u{ord(char):04x}) has no UTF-8 form"
