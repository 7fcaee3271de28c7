"""Benchmark: the pytest plugin's round-trip tests on a chain of migrations.

    python bench/bench_plugin.py [--count 500] [--repeat 3] [--tmp-dir DIR]

Issue 15, Benchmark. The project is bench_migrate.py's: --count migrations,
each depending on the previous one, each creating a table and an index and
inserting a row, with a DROP TABLE down plan; harnesses built by
`contractspec build --all` (not timed). Two subprocesses, median of
--repeat runs, interleaved:

1. `pytest --contractspec -k roundtrip`: one test item per migration, each
   up -> down -> up with the schema catalogue compared after down and after
   the second up (on one SQLite file, walked in dependency order);
2. the baseline: a loop over the standalone harnesses in the same order,
   importing each and calling its `run("up")`, `run("down")`, `run("up")`
   on one SQLite file, comparing nothing.

Target: (1) <= 1.3x (2). A report, not a test: prints figures, the ratio and
MISSED next to a missed target, and exits 0.

    python bench/bench_plugin.py --templates [--count 500] [--copies 20]
                                 [--migrations 3] [--skip-postgres] [--tmp-dir DIR]

Issue 24, item 3: a fresh, fully migrated database per test. One pytest
session in the project per database kind, its tests timed one by one
(setup + call + teardown, as pytest reports them):

1. `contractspec_database` --copies times: a copy of the session's template
   (the first test also migrates the template: shown apart, as information);
2. the baseline, --migrations times: `contractspec_empty_database` migrated
   in the test by `migrate up` (a transaction per migration), what a test
   without templates does; and, as information, by `migrate up
   --single-transaction`.

Target: the median of (1) >= 20x faster than (2) on SQLite files, >= 10x on
PostgreSQL (a server of the bench's own, fsync on, as bench_migrate.py
starts it; or $CONTRACTSPEC_BENCH_PG_URL). Keep --tmp-dir on a disk.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_migrate import (  # noqa: E402  (the same project and server)
    ThrowawayPostgres,
    filesystem,
    load,
    write_project,
)

TARGET = 1.3
TARGETS_TEMPLATES = {"sqlite": 20.0, "postgresql": 10.0}  # times faster, at least

BASELINE = """\
import importlib.util, sys
from pathlib import Path

from contractspec.project import open_project
from contractspec.codegen.naming import harness_path

project = open_project(Path(sys.argv[1]))
url = sys.argv[2]
paths = [harness_path(project.config, s.key) for s in project.registry.order()]
sys.path.insert(0, str(paths[0].parent))  # where a harness finds what it imports
t0 = __import__("time").perf_counter()
for path in paths:
    spec = importlib.util.spec_from_file_location(path.stem, path)
    harness = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(harness)
    for command in ("up", "down", "up"):
        result = harness.run(command, url)
        assert result["status"] in ("applied", "reverted"), result
print(f"loop {__import__('time').perf_counter() - t0:.3f}")
"""


def timed(
    command: list[str], cwd: Path, tmp: Path, env: dict[str, str] | None = None
) -> tuple[float, str]:
    t0 = time.perf_counter()
    env = dict(os.environ, **(env or {}), TMPDIR=str(tmp))  # one disk for all
    result = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - t0
    if result.returncode != 0:
        sys.exit(f"{' '.join(command)} failed:\n{result.stdout}\n{result.stderr}")
    return elapsed, result.stdout


# --- --templates --------------------------------------------------------------

# The inner session's conftest: each test's setup + call + teardown, in seconds.
TIMES_CONFTEST = """\
import json, os

SPENT = {}


def pytest_runtest_logreport(report):
    SPENT[report.nodeid] = SPENT.get(report.nodeid, 0.0) + report.duration
    if report.when == "teardown":
        with open(os.environ["BENCH_TIMES"], "a") as out:
            out.write(json.dumps([report.nodeid, SPENT.pop(report.nodeid)]) + "\\n")
"""

# The inner session's tests. The first and last of each kind check what they got.
TEMPLATE_TESTS = """\
import os

import pytest

from contractspec.commands.migrate import up

COUNT = int(os.environ["BENCH_COUNT"])
COPIES, MIGRATIONS = int(os.environ["BENCH_COPIES"]), int(os.environ["BENCH_MIGRATIONS"])


def check(url, n, last):
    assert url.startswith(os.environ["BENCH_SCHEME"]), url
    if n not in (0, last - 1):
        return
    if url.startswith("sqlite:///"):
        import sqlite3

        conn = sqlite3.connect(url[len("sqlite:///"):])
    else:
        import psycopg

        conn = psycopg.connect(url)
    try:
        found = conn.execute("SELECT count(*) FROM contractspec_history").fetchone()[0]
    finally:
        conn.close()
    assert found == COUNT, (found, COUNT)


@pytest.mark.parametrize("n", range(COPIES))
def test_copy(contractspec_database, n):
    check(contractspec_database, n, COPIES)


@pytest.mark.parametrize("n", range(MIGRATIONS))
@pytest.mark.parametrize("one", [False, True], ids=["each", "one"])
def test_migrate(contractspec_project, contractspec_empty_database, one, n):
    root = contractspec_project.config.root
    up(root, contractspec_empty_database, single_transaction=one).raise_for_failure()
    check(contractspec_empty_database, n, MIGRATIONS)
"""


def bench_templates(args, root: Path, project: Path) -> None:
    (project / "conftest.py").write_text(TIMES_CONFTEST, encoding="utf-8")
    (project / "test_fresh.py").write_text(TEMPLATE_TESTS, encoding="utf-8")
    # No database URL, so no dialect: SQLite files, or the server when named.
    config = project / "pyproject.toml"
    lines = config.read_text().splitlines(keepends=True)
    config.write_text("".join(x for x in lines if not x.startswith("database =")))
    print(f"files in {root} ({filesystem(root)}); load average {load()}")
    kinds: list[tuple[str, list[str]]] = [("sqlite", [])]
    server = ThrowawayPostgres(args.tmp_dir)
    try:
        if not args.skip_postgres:
            url = os.environ.get("CONTRACTSPEC_BENCH_PG_URL") or server.start()
            kinds.append(("postgresql", ["--contractspec-postgres", url]))
        for kind, options in kinds:
            templates_case(args, root, project, kind, options)
    finally:
        server.stop()


def templates_case(
    args, root: Path, project: Path, kind: str, options: list[str]
) -> None:
    times = root / f"times-{kind}.jsonl"
    env = {
        "BENCH_TIMES": str(times),
        "BENCH_COUNT": str(args.count),
        "BENCH_COPIES": str(args.copies),
        "BENCH_MIGRATIONS": str(args.migrations),
        "BENCH_SCHEME": kind,
    }
    command = [sys.executable, "-m", "pytest", "test_fresh.py", "-q", *options]
    command += ["-p", "no:cacheprovider", "-p", "no:hypothesispytest"]
    command += ["-p", "no:randomly", "-p", "no:xdist"]  # in order, in this process
    timed(command, project, root, env)
    spent: dict[str, list[float]] = {"copy": [], "each": [], "one": []}
    for line in times.read_text().splitlines():
        nodeid, seconds = json.loads(line)
        which = "copy" if "test_copy" in nodeid else nodeid.split("[")[1].split("-")[0]
        spent[which].append(seconds)
    first, copies = spent["copy"][0], spent["copy"][1:]
    copy, each, one = (
        statistics.median(v) for v in (copies, spent["each"], spent["one"])
    )
    target = TARGETS_TEMPLATES[kind]
    verdict = "ok" if each / copy >= target else "MISSED"
    print(
        f"\n== a fresh database with {args.count} migrations applied, per test:"
        f" {kind} (median of {len(copies)} copies, {len(spent['each'])} migrations)"
    )
    print(f"  contractspec_database (a copy)              {copy * 1000:9.1f} ms")
    print(
        f"  migrate up in the test (a transaction each) {each * 1000:9.1f} ms"
        f"   {each / copy:6.1f}x slower (target >= {target:.0f}x) {verdict}"
    )
    print(
        f"  migrate up --single-transaction in the test {one * 1000:9.1f} ms"
        f"   {one / copy:6.1f}x slower (information)"
    )
    print(
        f"  the first test: the template migrated, then copied {first * 1000:9.1f} ms"
        " (once per session; information)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--tmp-dir", default=None)
    parser.add_argument(
        "--templates",
        action="store_true",
        help="time a fresh migrated database per test: a template's copy against"
        " migrating one in the test (issue 24)",
    )
    parser.add_argument("--copies", type=int, default=20, help="--templates: copies")
    parser.add_argument(
        "--migrations", type=int, default=3, help="--templates: tests that migrate"
    )
    parser.add_argument("--skip-postgres", action="store_true")
    args = parser.parse_args()
    if args.templates and (args.copies < 2 or args.migrations < 1):
        parser.error("--templates needs --copies >= 2 and --migrations >= 1")

    from contractspec.commands.build import build

    root = Path(tempfile.mkdtemp(prefix="bench-plugin-", dir=args.tmp_dir))
    try:
        project = root / "project"
        write_project(project, args.count, 1)
        t0 = time.perf_counter()
        build(all_=True, project=project)
        print(
            f"{args.count} migrations, harnesses built in {time.perf_counter() - t0:.1f} s"
        )
        if args.templates:
            bench_templates(args, root, project)
            return
        baseline_script = root / "baseline.py"
        baseline_script.write_text(BASELINE, encoding="utf-8")
        plugin_cmd = [
            sys.executable,
            "-m",
            "pytest",
            "--contractspec",
            "-k",
            "roundtrip",
        ]
        # Only this plugin: others installed beside it (hypothesis...) are not ours.
        plugin_cmd += ["-q", "-p", "no:cacheprovider", "-p", "no:hypothesispytest"]

        plugin_times, baseline_times = [], []
        for run in range(args.repeat):
            seconds, out = timed(plugin_cmd, project, root)
            passed = re.search(r"(\d+) passed", out)
            if not passed or int(passed[1]) != args.count:
                sys.exit(f"the plugin did not pass {args.count} round trips:\n{out}")
            plugin_times.append(seconds)
            database = root / f"baseline-{run}.db"
            seconds, _ = timed(
                [
                    sys.executable,
                    str(baseline_script),
                    str(project),
                    f"sqlite:///{database}",
                ],
                project,
                root,
            )
            baseline_times.append(seconds)

        plugin, baseline = statistics.median(plugin_times), statistics.median(
            baseline_times
        )
        ratio = plugin / baseline
        print(
            f"pytest --contractspec -k roundtrip   {plugin:7.2f} s  ({args.count} items)"
        )
        print(f"standalone harnesses up/down/up       {baseline:7.2f} s")
        verdict = "ok" if ratio <= TARGET else "MISSED"
        print(f"ratio {ratio:.2f}x (target <= {TARGET}x) {verdict}")
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
