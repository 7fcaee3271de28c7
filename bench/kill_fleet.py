"""Reliability: 30 SIGKILLs of `migrate up --fleet` at random moments of a
200-target rollout, each followed by a rerun (issue 23, Reliability).

    python bench/kill_fleet.py [--targets 200] [--kills 30] [--parallel 4]
                               [--rows 2000] [--seed 23] [--skip-postgres]
                               [--tmp-dir DIR]

Over SQLite files, then over schemas of one PostgreSQL database
($CONTRACTSPEC_BENCH_PG_URL, else a throwaway server as in bench_migrate.py).
After each kill, the report the killed run left is checked true (every
target it names as done has every migration); after the last rerun, every
target must equal a target migrated by one clean run, with each migration
applied exactly once (its history and its events), and the last report must
be complete. The checks are tests/fleet_kills.py's, which the suite runs
with a few kills (tests/test_fleet.py). Prints what it did; exits 1 if a
check failed.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import traceback
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "tests"))

from bench_migrate import FreshDatabases, ThrowawayPostgres, load  # noqa: E402
from fleet_kills import check_after, kill_and_rerun, make_fleet  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--targets", type=int, default=200)
    parser.add_argument("--kills", type=int, default=30)
    parser.add_argument("--parallel", type=int, default=4)
    parser.add_argument(
        "--rows", type=int, default=2000, help="rows each migration inserts"
    )
    parser.add_argument("--seed", type=int, default=23)
    parser.add_argument("--skip-postgres", action="store_true")
    parser.add_argument("--tmp-dir", default=None)
    args = parser.parse_args(argv)
    kinds = ["sqlite"] + ([] if args.skip_postgres else ["postgresql"])
    server = ThrowawayPostgres(args.tmp_dir)
    fresh = None
    failed = False
    with tempfile.TemporaryDirectory(
        prefix="contractspec-kill-", dir=args.tmp_dir
    ) as tmp:
        try:
            for kind in kinds:
                url = None
                if kind == "postgresql":
                    admin = (
                        os.environ.get("CONTRACTSPEC_BENCH_PG_URL") or server.start()
                    )
                    fresh = FreshDatabases(admin)
                    url = fresh.new("kill")
                print(
                    f"\n== {kind}: {args.targets} targets, {args.kills} kills,"
                    f" --parallel {args.parallel}; load {load()}",
                    flush=True,
                )
                fleet = make_fleet(kind, Path(tmp) / kind, args.targets, url, args.rows)
                try:
                    done = kill_and_rerun(fleet, args.kills, args.parallel, args.seed)
                    check_after(fleet)
                except AssertionError:
                    failed = True
                    traceback.print_exc()
                    continue
                print(
                    f"  {done.kills} kills landed during the rollout, {done.runs} runs"
                    f" ({done.seconds:.1f} s); {done.partial_reports} killed runs'"
                    f" reports checked true; {done.finished_before} of {args.targets}"
                    " targets done before the last run"
                )
                if done.finished_early:
                    print(
                        f"  (the rollout ended before kill {done.kills + 1}: raise --rows)"
                    )
                print(
                    f"  after the last run: all {args.targets} targets equal the clean"
                    " run's, each migration applied once (history and events), the"
                    " last report complete"
                )
        finally:
            if fresh is not None:
                fresh.drop_all()
            server.stop()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
