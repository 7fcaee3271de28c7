"""A migration's computed risk (lint/risk.py): each reason, the levels, and
what the parser says a statement destroys, checked against real databases."""

from __future__ import annotations

import sqlite3
from collections import Counter

import pytest

from contractspec.sql import parse

# -- what a statement destroys, as the databases see it ------------------------------

SETUP = [
    "CREATE TABLE t (a INTEGER, b TEXT)",
    "INSERT INTO t VALUES (1, 'x'), (2, 'y')",
    "CREATE TABLE u (c INTEGER)",
    "INSERT INTO u VALUES (3)",
    "CREATE VIEW v AS SELECT a FROM t",
    "CREATE INDEX t_a ON t (a)",
]
# Statements that leave a table that held rows without any, or a column gone.
DESTROYING = {
    "both": [
        "DROP TABLE u",
        "DROP TABLE IF EXISTS u",
        "ALTER TABLE t DROP COLUMN b",
        "DELETE FROM u",
        'DELETE FROM "u"',
        "WITH old AS (SELECT 3 AS c) DELETE FROM u",
    ],
    "postgresql": [
        "TRUNCATE u",
        "TRUNCATE TABLE t, u",
        "DELETE FROM u USING t",
        "WITH gone AS (DELETE FROM u RETURNING c) SELECT count(*) FROM gone",
        "ALTER TABLE t ADD COLUMN d int, DROP COLUMN b",
    ],
    "sqlite": ["ALTER TABLE t DROP b", "DROP TABLE main.u"],
}
KEEPING = {
    "both": [
        "DELETE FROM t WHERE a = 2",
        "DELETE FROM u WHERE c IN (SELECT a FROM t)",
        "DROP VIEW v",
        "DROP INDEX t_a",
        "ALTER TABLE t ADD COLUMN d INTEGER",
        "UPDATE t SET b = 'z'",
        "CREATE TABLE w (e INTEGER)",
        "-- DROP TABLE u\nSELECT 1",
        "SELECT 'DROP TABLE u'",
    ],
    "postgresql": ["ALTER TABLE t ALTER COLUMN b SET DEFAULT 'q'"],
    "sqlite": [
        "CREATE TRIGGER keep AFTER INSERT ON t BEGIN DELETE FROM u; END",
        "DELETE FROM t WHERE (a) = 1 AND b = 'x' RETURNING a",
    ],
}


def _cases(dialect):
    return [(s, True) for s in DESTROYING["both"] + DESTROYING[dialect]] + [
        (s, False) for s in KEEPING["both"] + KEEPING[dialect]
    ]


def _lost(before: dict, after: dict) -> bool:
    """A table that held rows holds none (or is gone), or a column is gone."""
    for (table, column), rows in before.items():
        if rows and not after.get((table, column)):
            return True
    return False


def _sqlite_state(conn) -> dict:
    tables = [
        r[0]
        for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
    ]
    state = {}
    for table in tables:
        count = conn.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0]
        for (column,) in conn.execute(f"SELECT name FROM pragma_table_info('{table}')"):
            state[(table, column)] = count
    return state


@pytest.mark.parametrize("sql,destroys", _cases("sqlite"), ids=lambda v: str(v)[:40])
def test_sqlite_destroys_exactly_what_the_database_loses(tmp_path, sql, destroys):
    conn = sqlite3.connect(tmp_path / "t.db")
    for statement in SETUP:
        conn.execute(statement)
    before = _sqlite_state(conn)
    conn.executescript(sql)
    said = [loss for s in parse(sql, "sqlite").statements for loss in s.destroys]
    assert _lost(before, _sqlite_state(conn)) == destroys == bool(said), (sql, said)


def test_postgresql_destroys_exactly_what_the_database_loses(pg_db):
    import psycopg

    state = (  # base tables' columns: a view holds no data of its own
        "SELECT c.table_name, c.column_name FROM information_schema.columns c"
        " JOIN information_schema.tables t USING (table_schema, table_name)"
        " WHERE c.table_schema = 'public' AND t.table_type = 'BASE TABLE'"
    )
    with psycopg.connect(pg_db, autocommit=True) as conn:
        for sql, destroys in _cases("postgresql"):
            conn.execute("BEGIN")
            try:
                for statement in SETUP:
                    conn.execute(statement)
                before = {
                    (t, c): _count(conn, t) for t, c in conn.execute(state).fetchall()
                }
                conn.execute(sql)
                after = {
                    (t, c): _count(conn, t) for t, c in conn.execute(state).fetchall()
                }
            finally:
                conn.execute("ROLLBACK")
            said = [
                loss for s in parse(sql, "postgresql").statements for loss in s.destroys
            ]
            assert _lost(before, after) == destroys == bool(said), (sql, said)


def _count(conn, table: str) -> int:
    return conn.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0]


def test_each_loss_names_its_table_and_column():
    said = Counter(
        str(loss)
        for dialect in ("sqlite", "postgresql")
        for s in parse(
            "DROP TABLE u; ALTER TABLE t DROP COLUMN b; DELETE FROM u", dialect
        ).statements
        for loss in s.destroys
    )
    assert said == Counter(
        {
            "DROP TABLE u": 2,
            "ALTER TABLE t DROP COLUMN b": 2,
            "DELETE FROM u without WHERE": 2,
        }
    )
