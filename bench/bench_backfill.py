"""Benchmark: a batched backfill through the runtime against a hand-written loop.

    python bench/bench_backfill.py [--rows 1000000] [--batch 10000] [--repeat 3]
                                   [--skip-postgres] [--tmp-dir DIR]

The table `items (id, v, done)` holds --rows rows with v NULL; the backfill sets
`v = id * 2` --batch rows at a time, with a WHERE that skips rows already done,
until a batch touches no row. Two ways, each on a fresh copy of the table:

  hand     sqlite3 / psycopg: per batch BEGIN, the UPDATE, COMMIT; a loop
           until rowcount is 0 (what people write by hand)
  runtime  one migration with DataStep(batch_size=--batch): run_migration(...)
           as `harness.py up` does: lock, history, a journal event per batch,
           progress, the post-check after the last batch

Prints the best wall time of --repeat runs (the two ways alternate, so a
change in load falls on both), rows per second, and the ratio runtime / hand
(target <= 1.2x). PostgreSQL: $CONTRACTSPEC_BENCH_PG_URL, else
a throwaway server started like bench_migrate.py does (root and PostgreSQL 15
binaries needed; --skip-postgres leaves it out).
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "src"))
sys.path.insert(0, str(HERE))

from bench_migrate import FreshDatabases, ThrowawayPostgres, load  # noqa: E402

from contractspec import runtime as rt  # noqa: E402

BATCH_SQL = {
    "sqlite": "UPDATE items SET v = id * 2 WHERE id IN"
    " (SELECT id FROM items WHERE v IS NULL LIMIT {batch})",
    "postgresql": "UPDATE items SET v = id * 2 WHERE id IN"
    " (SELECT id FROM items WHERE v IS NULL LIMIT {batch})",
}
DONE_CHECK = "SELECT count(*) = 0 FROM items WHERE v IS NULL"


def migration(dialect: str, batch: int) -> dict:
    step = {
        "kind": "data",
        "description": "backfill v",
        "script": BATCH_SQL[dialect].format(batch=batch),
        "timeout_ms": 60_000,
        "retries": 2,
        "pre_checks": [],
        "post_checks": [{"description": "every row done", "expression": DONE_CHECK}],
        "batch_size": batch,
        "script_type": "inline_sql",
        "script_path": None,
        "script_sha256": None,
    }
    return {
        "key": "bench.db.backfill.v1",
        "name": "bench.db.backfill",
        "version": 1,
        "title": "backfill",
        "spec_path": "migrations/backfill.py",
        "spec_fingerprint": "sha256:" + "b" * 64,
        "dependencies": [],
        "up": [step],
        "down": None,
    }


# --- SQLite ------------------------------------------------------------------


def sqlite_fill(path: Path, rows: int) -> None:
    for suffix in ("", ".lock", "-journal"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    conn = sqlite3.connect(path, isolation_level=None)
    conn.executescript(
        "CREATE TABLE items (id INTEGER PRIMARY KEY, v INTEGER);"
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n"
        f" WHERE i < {rows}) INSERT INTO items (id) SELECT i FROM n;"
        "CREATE INDEX items_todo ON items (id) WHERE v IS NULL;"
    )
    conn.close()


def sqlite_hand(path: Path, batch: int) -> int:
    conn = sqlite3.connect(path, isolation_level=None)
    total, sql = 0, BATCH_SQL["sqlite"].format(batch=batch)
    while True:
        conn.execute("BEGIN IMMEDIATE")
        count = conn.execute(sql).rowcount
        conn.execute("COMMIT")
        if count == 0:
            break
        total += count
    conn.close()
    return total


def sqlite_check(path: Path, rows: int) -> None:
    conn = sqlite3.connect(path)
    done = conn.execute("SELECT count(*) FROM items WHERE v = id * 2").fetchone()[0]
    conn.close()
    assert done == rows, (done, rows)


# --- PostgreSQL --------------------------------------------------------------


def pg_fill(url: str, rows: int) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(
            "DROP TABLE IF EXISTS items, contractspec_history, contractspec_events"
        )
        conn.execute("CREATE TABLE items (id INTEGER PRIMARY KEY, v INTEGER)")
        conn.execute(f"INSERT INTO items (id) SELECT generate_series(1, {rows})")
        conn.execute("CREATE INDEX items_todo ON items (id) WHERE v IS NULL")
        conn.execute("VACUUM ANALYZE items")


def pg_hand(url: str, batch: int) -> int:
    import psycopg

    total, sql = 0, BATCH_SQL["postgresql"].format(batch=batch)
    with psycopg.connect(url) as conn:  # psycopg begins; we commit each batch
        while True:
            count = conn.execute(sql).rowcount
            conn.commit()
            if count == 0:
                break
            total += count
    return total


def pg_check(url: str, rows: int) -> None:
    import psycopg

    with psycopg.connect(url) as conn:
        done = conn.execute("SELECT count(*) FROM items WHERE v = id * 2").fetchone()
    assert done is not None and done[0] == rows, (done, rows)


# --- the report ----------------------------------------------------------------


def compare(
    label: str,
    url: str,
    fill: Callable[[], None],
    hand: Callable[[], object],
    check: Callable[[], None],
    args: argparse.Namespace,
) -> float:
    """Best time of each way; the two alternate, so that a change in the
    machine's load falls on both."""
    dialect = "sqlite" if url.startswith("sqlite:") else "postgresql"
    m = migration(dialect, args.batch)
    ways = {"hand": hand, "runtime": lambda: rt.run_migration(m, "up", url)}
    best = dict.fromkeys(ways, float("inf"))
    for _ in range(args.repeat):
        for name, work in ways.items():
            fill()
            started = time.perf_counter()
            work()
            best[name] = min(best[name], time.perf_counter() - started)
            check()
    return report(label, args.rows, best["hand"], best["runtime"])


def report(label: str, rows: int, hand: float, runtime: float) -> float:
    ratio = runtime / hand
    print(f"{label}:")
    print(f"  hand-written loop  {hand:8.3f} s  {rows / hand:12,.0f} rows/s")
    print(f"  runtime batches    {runtime:8.3f} s  {rows / runtime:12,.0f} rows/s")
    verdict = "ok" if ratio <= 1.2 else "OVER TARGET"
    print(f"  ratio runtime/hand {ratio:8.2f}x (target <= 1.2x: {verdict})")
    return ratio


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--batch", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--skip-postgres", action="store_true")
    parser.add_argument("--tmp-dir", default=None)
    args = parser.parse_args()
    rows, batch = args.rows, args.batch
    print(
        f"{rows:,} rows in batches of {batch:,}; best of {args.repeat}; load {load()}"
    )
    ratios = []

    folder = Path(
        tempfile.mkdtemp(prefix="contractspec-bench-backfill-", dir=args.tmp_dir)
    )
    path = folder / "backfill.db"
    ratios.append(
        compare(
            "SQLite",
            f"sqlite:///{path}",
            lambda: sqlite_fill(path, rows),
            lambda: sqlite_hand(path, batch),
            lambda: sqlite_check(path, rows),
            args,
        )
    )
    if not args.skip_postgres:
        server = None
        admin = os.environ.get("CONTRACTSPEC_BENCH_PG_URL")
        if not admin:
            server = ThrowawayPostgres(args.tmp_dir)
            admin = server.start()
        databases = FreshDatabases(admin)
        try:
            pg = databases.new("backfill")
            ratios.append(
                compare(
                    "PostgreSQL",
                    pg,
                    lambda: pg_fill(pg, rows),
                    lambda: pg_hand(pg, batch),
                    lambda: pg_check(pg, rows),
                    args,
                )
            )
        finally:
            databases.drop_all()
            if server is not None:
                server.stop()
    return 0 if all(ratio <= 1.2 for ratio in ratios) else 1


if __name__ == "__main__":
    sys.exit(main())
