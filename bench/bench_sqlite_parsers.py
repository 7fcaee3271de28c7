"""Measurement: SQLite's own parser (as contractspec.sql uses it) beside sqlglot.

    pip install sqlglot && python bench/bench_sqlite_parsers.py [--rounds 50]

Counts valid SQLite statements each accepts, invalid ones each rejects, and
the time per statement. The result, and why contractspec parses SQLite with
SQLite, is in docs/lint.md. sqlglot is not a dependency of contractspec.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time

from contractspec.sql import parse

VALID = [
    "CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT NOT NULL DEFAULT 'x') STRICT",
    "CREATE TRIGGER tr AFTER INSERT ON t BEGIN UPDATE t SET a = 'y' WHERE id = NEW.id; END",
    "INSERT INTO t (a) VALUES ('b') ON CONFLICT (id) DO UPDATE SET a = excluded.a",
    "CREATE INDEX t_a ON t (a) WHERE a IS NOT NULL",
    "ALTER TABLE t RENAME COLUMN a TO b",
    "CREATE VIRTUAL TABLE f USING fts5(body)",
    "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 9) SELECT x FROM c",
    "UPDATE t SET a = 'z' RETURNING id",
    "PRAGMA foreign_keys = ON",
    "REPLACE INTO t (id, a) VALUES (1, 'q')",
]
INVALID = [
    "ALTER TABLE t ALTER COLUMN a SET NOT NULL",
    "CREATE INDEX CONCURRENTLY t_a ON t (a)",
    "ALTER TABLE t ADD COLUMN IF NOT EXISTS b TEXT",
    "SELEC 1",
    "SELECT (1",
    "INSERT INTO t VALUES ('unclosed)",
    "DELETE t WHERE id = 1",
    "SELECT a FROM t LIMIT ALL",
    "UPDATE t SET a = 1 FROM u WHERE",
]


def sqlite_accepts(sql: str) -> bool:
    return parse(sql, "sqlite").error is None


def sqlglot_accepts(sql: str) -> bool:
    import sqlglot

    try:
        sqlglot.parse(sql, read="sqlite", error_level=sqlglot.ErrorLevel.RAISE)
    except sqlglot.errors.SqlglotError:
        return False
    return True


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=50)
    args = parser.parse_args()
    logging.disable(logging.WARNING)  # sqlglot's "falling back to parsing as a Command"
    parsers = [("SQLite (sqlite3)", sqlite_accepts)]
    try:
        import sqlglot

        parsers.append((f"sqlglot {sqlglot.__version__}", sqlglot_accepts))
    except ImportError:
        print("sqlglot is not installed: measuring SQLite's parser alone")
    for name, accepts in parsers:
        valid = sum(accepts(sql) for sql in VALID)
        invalid = sum(not accepts(sql) for sql in INVALID)
        start = time.perf_counter()
        for _ in range(args.rounds):
            for sql in VALID + INVALID:
                accepts(sql)
        per = (time.perf_counter() - start) / (
            args.rounds * (len(VALID) + len(INVALID))
        )
        print(
            f"{name:<20} valid accepted {valid}/{len(VALID)}, invalid rejected"
            f" {invalid}/{len(INVALID)}, {per * 1e6:.0f} us per statement"
        )
        missed = [sql for sql in INVALID if accepts(sql)]
        if missed:
            print(f"{'':<20} accepts: {'; '.join(missed)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
