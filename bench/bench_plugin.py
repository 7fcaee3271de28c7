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
"""

from __future__ import annotations

import argparse
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
from bench_migrate import write_project  # noqa: E402  (the same project)

TARGET = 1.3

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


def timed(command: list[str], cwd: Path, tmp: Path) -> tuple[float, str]:
    t0 = time.perf_counter()
    env = dict(os.environ, TMPDIR=str(tmp))  # both sides' databases on one disk
    result = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - t0
    if result.returncode != 0:
        sys.exit(f"{' '.join(command)} failed:\n{result.stdout}\n{result.stderr}")
    return elapsed, result.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--tmp-dir", default=None)
    args = parser.parse_args()

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
