"""Benchmark: `contractspec lint` on 500 PostgreSQL specs of 3 statements, beside squawk alone.

    python bench/bench_lint.py [--specs 500] [--runs 3] [--keep DIR]

Generates a project of --specs specs, each with three statements (an added
column, an index, a backfill) in a schema step and a data step, half of
them with timeout_ms, in a temporary folder. Then, in one run, the median of --runs of:

1. lint, cold: `contractspec lint` with no spec cache (every spec parsed;
   Python's own bytecode is compiled once beforehand, as an install has it);
2. lint, warm: the same command again (specs from the cache);
3. squawk alone: `squawk --assume-in-transaction --reporter json` over the
   same statements written one file per spec;
4. for information, `contractspec list` cold: starting Python and loading
   the same specs, what any command pays; lint cold less it is lint's own time;
5. for information, lint on the test corpus (tests/data/lint_corpus: 66
   PostgreSQL specs with seeded hazards) and on the example shop (SQLite),
   warm, with what it found.

Both lints must find what squawk finds (the same number of squawk findings,
less the rules lint never reports). Targets: lint cold <= 2 s, and lint cold
<= 3x squawk alone. Exits 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SCHEMA = """ALTER TABLE {table} ADD COLUMN {column} text;
CREATE INDEX {table}_{column} ON {table} ({column});"""
DATA = "UPDATE {table} SET {column} = 'x' WHERE {column} IS NULL"

SPEC = '''from contractspec import DataStep, MigrationMeta, MigrationPlan, MigrationSpec, SchemaStep

migration = MigrationSpec(
    meta=MigrationMeta(name="bench.db.m{index:04d}", version=1, title="M{index}", owners=["bench"]),
    plan=MigrationPlan(
        up=[
            SchemaStep(
                """
{schema}
""",
                timeout_ms={timeout},
            ),
            DataStep(script="{data}"),
        ],
        down=[],
    ),
)
'''


def make_project(folder: Path, count: int) -> list[str]:
    """The project, and the statements of each spec as one SQL file's text."""
    (folder / "migrations").mkdir(parents=True)
    (folder / "pyproject.toml").write_text(
        '[tool.contractspec]\ndatabase = "postgresql://localhost/bench"\n'
    )
    texts = []
    for index in range(count):
        values = {"table": f"table_{index % 50}", "column": f"col_{index}"}
        schema, data = SCHEMA.format(**values), DATA.format(**values)
        (folder / "migrations" / f"m{index:04d}.py").write_text(
            SPEC.format(
                index=index,
                schema=schema,
                data=data,
                timeout=5000 if index % 2 else "None",
                **values,
            )
        )
        texts.append(f"{schema}\n{data};\n")
    return texts


def timed(command: list[str]) -> tuple[float, subprocess.CompletedProcess]:
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True)
    return time.perf_counter() - start, done


REPO = Path(__file__).resolve().parents[1]
PROJECTS = [  # (what, folder, extra arguments)
    ("test corpus (68 PostgreSQL specs)", REPO / "tests" / "data" / "lint_corpus", []),
    ("example shop (SQLite)", REPO / "generated_examples" / "shop", []),
]


def real_projects(runs: int) -> None:
    """Lint's time on real projects, warm (median), and what it found."""
    for what, folder, extra in PROJECTS:
        command = [sys.executable, "-m", "contractspec", "lint", "-C", str(folder)]
        command += [*extra, "--format", "json"]
        timed(command)  # warm: the spec cache is written
        walls, done = [], None
        for _ in range(runs):
            wall, done = timed(command)
            walls.append(wall)
        report = json.loads(done.stdout) if done else {}
        print(
            f"{'lint, ' + what:<40} {statistics.median(walls):>8.2f}s"
            f"  ({report.get('errors')} errors, {report.get('warnings')} warnings)"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--specs", type=int, default=500)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--keep", type=Path)
    args = parser.parse_args()

    from contractspec.lint.squawk import squawk_binary

    squawk = squawk_binary()
    if squawk is None:
        print("squawk is not installed: pip install 'contractspec[lint]'")
        return 1
    folder = Path(tempfile.mkdtemp(prefix="bench-lint-"))
    try:
        project = folder / "project"
        texts = make_project(project, args.specs)
        sql_dir = folder / "sql"
        sql_dir.mkdir()
        files = []
        for index, text in enumerate(texts):
            (sql_dir / f"{index}.sql").write_text(text)
            files.append(str(sql_dir / f"{index}.sql"))
        lint = [
            sys.executable,
            "-m",
            "contractspec",
            "lint",
            "-C",
            str(project),
            "--format",
            "json",
        ]
        cache = project / ".contractspec_cache"
        # Untimed, bytecode written: an installed contractspec has its modules
        # compiled, while a checkout under PYTHONDONTWRITEBYTECODE would
        # compile every module again on each run.
        compiling = dict(os.environ)
        compiling.pop("PYTHONDONTWRITEBYTECODE", None)
        subprocess.run(lint, capture_output=True, env=compiling)

        listing = [*lint[:3], "list", "-C", str(project), "--json"]

        cold, warm, alone, list_cold = [], [], [], []
        for _ in range(args.runs):
            shutil.rmtree(cache, ignore_errors=True)
            list_cold.append(timed(listing)[0])
            shutil.rmtree(cache, ignore_errors=True)
            wall, done = timed(lint)
            cold.append(wall)
            wall, done = timed(lint)
            warm.append(wall)
            wall, squawked = timed(
                [squawk, "--assume-in-transaction", "--reporter", "json", *files]
            )
            alone.append(wall)
        from contractspec.lint import RULES
        from contractspec.lint.findings import SQUAWK_DROPPED

        ours = json.loads(done.stdout)["findings"]
        theirs = json.loads(squawked.stdout)
        # lint never reports timeouts (the runtime sets them) and the like
        comparable = [v for v in theirs if v["rule_name"] not in SQUAWK_DROPPED]
        ours_comparable = [f for f in ours if f["rule"] not in RULES]

        cold_s, warm_s, alone_s, list_s = (
            statistics.median(x) for x in (cold, warm, alone, list_cold)
        )
        ratio = cold_s / alone_s
        print(
            f"{args.specs} specs, {3 * args.specs} statements, median of {args.runs} runs"
        )
        print(f"{'lint, cold (no spec cache)':<40} {cold_s:>8.2f}s")
        print(f"{'lint, warm':<40} {warm_s:>8.2f}s")
        print(f"{'squawk alone, same statements in files':<40} {alone_s:>8.2f}s")
        print(f"{'contractspec list, cold (start + load)':<40} {list_s:>8.2f}s")
        print(
            f"lint cold / squawk alone: {ratio:.2f}x (target <= 3x); warm: {warm_s / alone_s:.2f}x"
        )
        print(
            f"lint's own time (cold lint - cold list): {cold_s - list_s:.2f}s,"
            f" {(cold_s - list_s) / alone_s:.2f}x squawk alone (information, no target)"
        )
        print(
            f"squawk findings: {len(comparable)} alone, {len(ours_comparable)} through lint"
            " (rules lint never reports aside)"
        )
        real_projects(args.runs)
        ok = cold_s <= 2.0 and ratio <= 3.0 and len(comparable) == len(ours_comparable)
        print("targets met" if ok else "TARGET MISSED")
        return 0 if ok else 1
    finally:
        if args.keep:
            shutil.copytree(folder, args.keep, dirs_exist_ok=True)
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
