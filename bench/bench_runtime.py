"""Benchmark: the harness runtime against plain sqlite3, in one process.

    python bench/bench_runtime.py [--count 500] [--steps 3] [--repeat 3]
                                  [--tmp-dir DIR]

Each migration i is CREATE TABLE t_i + CREATE INDEX + one INSERT, as three
schema steps (--steps 3, the default) or as one three-statement schema step
(--steps 1). Three ways of applying them to a fresh SQLite file each:

  baseline  stdlib sqlite3, one connection: per migration BEGIN, the SQL,
            one history INSERT, COMMIT (no checks, events, lock or savepoints)
  run       run_migration(...) per migration, as `harness.py up` or the
            harness's run(...) does: lock + connect + apply + close each time
  session   one open_session(...) and apply_up(...) per migration, as the
            orchestrator (`contractspec migrate up`) does

Prints wall times (best of --repeat), ratios to the baseline (target <= 1.3x)
and the runtime's overhead per step in microseconds.

A fresh connection has to read and parse the whole schema again before its
first statement (hundreds of tables and indexes here), so `run` can come no
closer to the one-connection baseline than `baseline_reconnect` does: compare
`run` with both. On a disk every COMMIT waits for fsync; `--tmp-dir /dev/shm`
(tmpfs) leaves mostly CPU, where the runtime's own overhead shows.
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from contractspec import runtime as rt  # noqa: E402


def statements(i: int) -> list[str]:
    return [
        f"CREATE TABLE t_{i} (id INTEGER PRIMARY KEY, name TEXT NOT NULL, n INTEGER)",
        f"CREATE INDEX t_{i}_name ON t_{i} (name)",
        f"INSERT INTO t_{i} (name, n) VALUES ('row {i}', {i})",
    ]


def migrations(count: int, steps: int) -> list[dict]:
    result = []
    for i in range(count):
        sqls = statements(i) if steps == 3 else [";\n".join(statements(i)) + ";"]
        up = [
            {
                "kind": "schema",
                "description": None,
                "sql": sql,
                "timeout_ms": None,
                "retries": 0,
                "pre_checks": [],
                "post_checks": [],
            }
            for sql in sqls
        ]
        name = f"bench.db.m{i:05d}"
        result.append(
            {
                "key": f"{name}.v1",
                "name": name,
                "version": 1,
                "title": f"bench {i}",
                "spec_path": f"migrations/m{i:05d}.py",
                "spec_fingerprint": f"sha256:{i:064x}",
                "generator_version": "0.1.0",
                "dependencies": [],
                "up": up,
                "down": None,
            }
        )
    return result


def baseline(path: str, count: int, reconnect: bool = False) -> None:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute(
        "CREATE TABLE IF NOT EXISTS contractspec_history (key TEXT PRIMARY KEY, name TEXT, version INTEGER,"
        " spec_fingerprint TEXT, harness_fingerprint TEXT, applied_at TEXT, duration_ms INTEGER,"
        " applied_by TEXT)"
    )
    for i in range(count):
        started = time.monotonic()
        if reconnect:  # what a standalone script per migration pays: a fresh
            conn.close()  # connection re-reads the (growing) schema
            conn = sqlite3.connect(path, isolation_level=None)
        conn.execute("BEGIN IMMEDIATE")
        for sql in statements(i):
            conn.execute(sql)
        conn.execute(
            "INSERT INTO contractspec_history VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                f"bench.db.m{i:05d}.v1",
                f"bench.db.m{i:05d}",
                1,
                f"sha256:{i:064x}",
                "sha256:x",
                time.strftime("%Y-%m-%dT%H:%M:%SZ"),
                int((time.monotonic() - started) * 1000),
                "me@host",
            ),
        )
        conn.execute("COMMIT")
    conn.close()


def baseline_reconnect(path: str, count: int) -> None:
    baseline(path, count, reconnect=True)


def through_run(path: str, items: list[dict]) -> None:
    url = f"sqlite:///{path}"
    for m in items:
        rt.run_migration(m, "up", url)


def through_session(path: str, items: list[dict]) -> None:
    with rt.open_session(f"sqlite:///{path}") as session:
        for m in items:
            rt.apply_up(session, m)


def timed(fn, *args, tmp_dir: str | None = None) -> float:
    with tempfile.TemporaryDirectory(prefix="contractspec-bench-", dir=tmp_dir) as tmp:
        path = os.path.join(tmp, "bench.db")
        started = time.perf_counter()
        fn(path, *args)
        elapsed = time.perf_counter() - started
        check = sqlite3.connect(path)
        applied = check.execute("SELECT count(*) FROM contractspec_history").fetchone()[
            0
        ]
        check.close()
    expected = args[0] if isinstance(args[0], int) else len(args[0])
    assert applied == expected, (fn.__name__, applied, expected)
    return elapsed


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=500)
    parser.add_argument("--steps", type=int, choices=(1, 3), default=3)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--tmp-dir", help="where the databases go (default: the system temp folder)"
    )
    args = parser.parse_args(argv)
    items = migrations(args.count, args.steps)
    runs = {
        "baseline": (baseline, args.count),
        "baseline_reconnect": (baseline_reconnect, args.count),
        "run": (through_run, items),
        "session": (through_session, items),
    }
    best = dict.fromkeys(runs, float("inf"))
    for _ in range(args.repeat):  # interleaved, so drift in disk speed hits all
        for name, (fn, arg) in runs.items():
            best[name] = min(best[name], timed(fn, arg, tmp_dir=args.tmp_dir))
    total_steps = args.count * args.steps
    print(
        f"{args.count} migrations x {args.steps} schema step(s) (CREATE TABLE + CREATE INDEX"
        f" + INSERT), SQLite {sqlite3.sqlite_version}, best of {args.repeat},"
        f" in {args.tmp_dir or tempfile.gettempdir()}"
    )
    rows = [
        ("sqlite3, one connection", "baseline", None),
        ("sqlite3, connection per migration", "baseline_reconnect", None),
        ("open_session + apply_up x N", "session", "baseline"),
        ("run_migration x N", "run", "baseline"),
        ("run_migration x N", "run", "baseline_reconnect"),
    ]
    for label, key, against in rows:
        line = f"  {label:<34} {best[key] * 1000:8.1f} ms"
        if against:
            extra = best[key] - best[against]
            line += (
                f"  {best[key] / best[against]:4.2f}x {against:<18}"
                f" overhead {extra / total_steps * 1e6:6.1f} us/step,"
                f" {extra / args.count * 1e6:7.1f} us/migration"
            )
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
