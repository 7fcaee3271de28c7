"""How much a `contractspec spec bump-version` costs beside importing libcst.

Runs, in the same session and interleaved, N times each:

    python -c "import libcst"                                  (the floor: libcst alone)
    contractspec spec bump-version <name> -C <copy of the example project>

and prints the medians and their ratio (target: <= 1.5). The edit writes the
file each time (the version goes up by one per run), on a throwaway copy of
generated_examples/shop.

Bytecode: by default both commands run with a private, warmed-up
PYTHONPYCACHEPREFIX, as on a developer machine where .pyc files exist. With
--no-bytecode they run as the environment says (PYTHONDONTWRITEBYTECODE=1
means every run compiles contractspec's own modules from source; libcst's
.pyc files come with its wheel either way).

    python bench/bench_edit.py [--runs 15] [--no-bytecode] [--strict]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "generated_examples" / "shop"
TARGET = "core.db.2025_03_backfill_display_names"
GOAL = 1.5


def _time(command: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(
        command,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument(
        "--no-bytecode",
        action="store_true",
        help="keep the environment's bytecode setting",
    )
    parser.add_argument(
        "--strict", action="store_true", help=f"exit 1 when the ratio is above {GOAL}"
    )
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="bench_edit_") as scratch:
        project = Path(scratch) / "shop"
        shutil.copytree(EXAMPLE / "migrations", project / "migrations")
        shutil.copy(EXAMPLE / "pyproject.toml", project / "pyproject.toml")
        env = dict(os.environ)
        if not args.no_bytecode:
            env.pop("PYTHONDONTWRITEBYTECODE", None)
            env["PYTHONPYCACHEPREFIX"] = str(Path(scratch) / "pycache")
        cli = shutil.which("contractspec")
        base = [cli] if cli else [sys.executable, "-m", "contractspec"]
        edit = base + ["spec", "bump-version", TARGET, "-C", str(project)]
        floor = [sys.executable, "-c", "import libcst"]

        for command in (floor, edit):  # warm-up: caches, page cache, .pyc files
            _time(command, env)
        floors, edits = [], []
        for _ in range(args.runs):
            floors.append(_time(floor, env))
            edits.append(_time(edit, env))
        version = (
            (project / "migrations/core/2025_03_backfill_display_names.py")
            .read_text()
            .count(f"version={args.runs + 2},")
        )
        assert version == 1, "the edit did not run every time"

    floor_median = statistics.median(floors)
    edit_median = statistics.median(edits)
    ratio = edit_median / floor_median
    mode = "environment as is" if args.no_bytecode else "with .pyc files"
    print(f"runs: {args.runs} each, interleaved ({mode})")
    print(
        f'python -c "import libcst"        median {floor_median * 1000:7.1f} ms  (min {min(floors) * 1000:.1f})'
    )
    print(
        f"contractspec spec bump-version   median {edit_median * 1000:7.1f} ms  (min {min(edits) * 1000:.1f})"
    )
    print(f"ratio {ratio:.2f} (goal <= {GOAL})")
    return 1 if args.strict and ratio > GOAL else 0


if __name__ == "__main__":
    sys.exit(main())
