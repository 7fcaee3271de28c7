"""Benchmark: `contractspec migrate status|up --fleet` against plain loops.

    python bench/bench_fleet.py [--sizes 500,1000] [--repeat 3] [--rollout 200]
                                [--pending 5] [--parallel 1,2,4,8]
                                [--skip-postgres] [--instructions] [--tmp-dir DIR]

Issue 23, Performance. The project: --pending migrations in a chain (the
shape of bench_migrate.py's: a table, its index, one row each). Every
command runs as a subprocess (interpreter start, imports, loading and
checking the project once, the targets, the output), median of --repeat
runs, interleaved with its baseline so that a change in load falls on both.

1. An up-to-date fleet, every target synced, at each of --sizes targets:
   `migrate status --fleet` and `migrate up --fleet` (--parallel 1). The
   figure is the cost per target: the slope between the two sizes (so the
   fixed part, the interpreter and the project, falls out), against the
   slope of a plain loop in one Python process that opens each target and
   reads its history table (one query). Targets: <= 1.5x on SQLite files,
   <= 2x on schemas of one PostgreSQL database (the loop: a psycopg
   connection per schema and one query on "schema".contractspec_history).
   The fixed part (the intercept: the interpreter, loading and checking the
   project once) is printed beside the same command on one database.
2. A rollout: --rollout schemas of one PostgreSQL database, each with every
   migration pending. `migrate up --fleet --parallel 1` against a loop in one
   process applying them through the runtime (open_session(url,
   schema=...), read_history, apply_up each): target <= 1.3x. Then the curve
   for --parallel 1, 2, 4, 8 (threads, as the command runs them) beside as
   many processes each running one shard (`--shard i/N`, started together),
   with the CPU seconds of our processes and of the PostgreSQL server's
   backends (when this bench started the server): what the shape comes from.
   Each run gets a fresh database with its schemas created.

--instructions also counts CPU instructions with callgrind (valgrind) for
the commands of part 1, where wall time on a shared machine is noisy: the
same slopes, in instructions. On PostgreSQL that counts the client only
(the server is not traced), which is what our code costs.

PostgreSQL: $CONTRACTSPEC_BENCH_PG_URL, else a throwaway PostgreSQL 15 as in
bench_migrate.py (root and the binaries needed; --skip-postgres leaves it out).
A report, not a test: prints figures, ratios and MISSED next to a missed
target, and exits 0.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from bench_migrate import (  # noqa: E402
    CommandFailed,
    FreshDatabases,
    ThrowawayPostgres,
    contractspec_exe,
    load,
    run,
    write_project,
)

TARGET_SQLITE, TARGET_PG, TARGET_ROLLOUT = 1.5, 2.0, 1.3
BASELINE = "baseline loop"
UP_ROLLOUT = ["migrate", "up", "--fleet", "rollout"]
ONE = "one database: "  # the same command on the fleet's first target, alone
HISTORY = (
    "SELECT key, name, version, spec_fingerprint, harness_fingerprint, applied_at,"
    " duration_ms, applied_by FROM {table} ORDER BY applied_at, key"
)

# --- the baselines: plain loops, run as subprocesses ------------------------------

SQLITE_LOOP = f"""
import sqlite3, sys
query = {HISTORY.format(table="contractspec_history")!r}
for line in open(sys.argv[1]):
    conn = sqlite3.connect(line.strip()[len("sqlite:///"):])
    conn.execute(query).fetchall()
    conn.close()
"""

PG_LOOP = f"""
import psycopg, sys
url, prefix, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
for i in range(count):
    conn = psycopg.connect(url, autocommit=True)
    table = '"' + f"{{prefix}}{{i:05d}}" + '".contractspec_history'
    conn.execute({HISTORY!r}.format(table=table)).fetchall()
    conn.close()
"""

ROLLOUT_LOOP = """
import glob, importlib.util, os, sys
from contractspec import runtime
url, prefix, count, harnesses = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
migrations = []
for path in sorted(glob.glob(os.path.join(harnesses, "*.py"))):
    spec = importlib.util.spec_from_file_location("h", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    migrations.append(runtime.harness_migration(path, module.MIGRATION))
for i in range(count):
    with runtime.open_session(url, schema=f"{prefix}{i:05d}") as session:
        runtime.read_history(session)
        for migration in migrations:
            runtime.apply_up(session, migration, base_dir=harnesses)
"""


# --- the project -------------------------------------------------------------------


def fleets_config(sizes: list[int], pg: bool) -> str:
    text = ""
    for size in sizes:
        text += f'\n[tool.contractspec.fleets.sqlite{size}]\nurls_file = "sqlite{size}.txt"\n'
        if pg:
            text += (
                f"\n[tool.contractspec.fleets.schemas{size}]\n"
                'database = "env:BENCH_PG_SYNCED"\n'
                f"schemas = \"SELECT nspname FROM pg_namespace WHERE nspname LIKE 's{size}\\\\_%'"
                ' ORDER BY nspname"\n'
            )
    if pg:
        text += (
            "\n[tool.contractspec.fleets.rollout]\n"
            'database = "env:BENCH_PG_ROLLOUT"\n'
            "schemas = \"SELECT nspname FROM pg_namespace WHERE nspname LIKE 'r\\\\_%'"
            ' ORDER BY nspname"\n'
        )
    return text


def make_schemas(url: str, prefix: str, count: int) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("".join(f'CREATE SCHEMA "{prefix}{i:05d}";' for i in range(count)))


# --- measuring ---------------------------------------------------------------------


def instructions(cmd: list[str], cwd: Path, env: dict[str, str]) -> int:
    """CPU instructions of cmd and every process it starts (callgrind), on tmpfs."""
    out = Path(tempfile.mkdtemp(prefix="fleet-callgrind-", dir="/dev/shm"))
    try:
        proc = subprocess.run(
            [
                "valgrind",
                "--tool=callgrind",
                "--trace-children=yes",
                f"--callgrind-out-file={out}/cg.%p",
            ]
            + cmd,
            cwd=cwd,
            env=dict(env, PYTHONHASHSEED="0"),
            capture_output=True,
            text=True,
        )
        if proc.returncode != 0:
            raise CommandFailed(proc.stderr[-1500:])
        total = 0
        for path in out.iterdir():
            for line in path.read_text(errors="replace").splitlines():
                if line.startswith("totals:"):
                    total += int(line.split()[1])
        return total
    finally:
        shutil.rmtree(out, ignore_errors=True)


class Slopes:
    """Commands timed at each size, interleaved; slopes between the sizes."""

    def __init__(self, args: argparse.Namespace, cwd: Path, env: dict[str, str]):
        self.args, self.cwd, self.env = args, cwd, env

    def measure(
        self, commands: dict[str, Callable[[int], list[str]]]
    ) -> dict[str, dict[int, float]]:
        times: dict[str, dict[int, list[float]]] = {
            n: {s: [] for s in self.args.sizes} for n in commands
        }
        for _ in range(self.args.repeat):
            for size in self.args.sizes:
                for name, command in commands.items():
                    times[name][size].append(run(command(size), self.cwd, self.env)[0])
        return {
            n: {s: statistics.median(v) for s, v in by.items()}
            for n, by in times.items()
        }

    def count(
        self, commands: dict[str, Callable[[int], list[str]]]
    ) -> dict[str, dict[int, float]]:
        return {
            name: {
                size: float(instructions(command(size), self.cwd, self.env))
                for size in self.args.sizes
            }
            for name, command in commands.items()
        }

    def report(
        self, title: str, figures: dict[str, dict[int, float]], target: float, unit: str
    ) -> None:
        """Per target: each fleet command's slope against the baseline loop's.
        The fixed part (the intercept: interpreter, loading and checking the
        project once) against the same command on one database."""
        small, large = self.args.sizes[0], self.args.sizes[-1]
        slope = {n: (f[large] - f[small]) / (large - small) for n, f in figures.items()}
        base = slope[BASELINE]
        scale, shown = (1e3, "ms") if unit == "s" else (1e-3, "k instr")

        def amount(value: float) -> str:
            return f"{value:.3f} s" if unit == "s" else f"{value / 1e6:.0f} M"

        print(f"\n{title}")
        print(
            f"  {'':<26}{small:>10} targets{large:>10} targets"
            f"   per target ({shown})   ratio"
        )
        for name, by in figures.items():
            if name.startswith(ONE):
                continue
            verdict = ""
            if name != BASELINE:
                ratio = slope[name] / base
                met = "pass" if ratio <= target else "MISSED"
                verdict = f"{ratio:6.2f}x  {met} (<= {target:g}x)"
            print(
                f"  {name:<26}{amount(by[small]):>17}{amount(by[large]):>18}"
                f"   {slope[name] * scale:>12.3f}   {verdict}"
            )
        print("  the fixed part (the intercept), against the command on one database:")
        for name, by in figures.items():
            one = figures.get(f"{ONE}{name.removesuffix(' --fleet')}")
            if one is None:
                continue
            fixed = by[small] - slope[name] * small
            alone = statistics.median(one.values())
            print(
                f"  {name:<26}{amount(fixed):>17}  one database {amount(alone)}"
                f"  ({fixed / alone:.2f}x)"
            )


def bench_synced(
    args: argparse.Namespace, project: Path, cs: list[str], env: dict[str, str]
) -> None:
    slopes = Slopes(args, project, env)

    def commands(
        baseline: Callable[[int], list[str]],
        fleet: Callable[[int], str],
        one: str,
    ) -> dict[str, Callable[[int], list[str]]]:
        """The baseline loop, then status and up over the fleet and over one
        database alone (one: its URL)."""
        found = {BASELINE: baseline}
        for verb in ("status", "up"):
            found[f"migrate {verb} --fleet"] = lambda n, v=verb: cs + [
                *("migrate", v, "--fleet", fleet(n))
            ]
            found[f"{ONE}migrate {verb}"] = lambda n, v=verb: cs + [
                *("migrate", v, "--database", one)
            ]
        return found

    def both(
        title: str,
        found: dict[str, Callable[[int], list[str]]],
        target: float,
        counted: str = "instructions (callgrind)",
    ) -> None:
        print(f"\n== 1. {title} (median of {args.repeat}); load {load()}")
        slopes.report("wall time", slopes.measure(found), target, "s")
        if args.instructions:
            slopes.report(counted, slopes.count(found), target, "instructions")

    sqlite_loop = [sys.executable, "-c", SQLITE_LOOP]
    both(
        "an up-to-date fleet of SQLite files",
        commands(
            lambda n: [*sqlite_loop, str(project / f"sqlite{n}.abs")],
            lambda n: f"sqlite{n}",
            f"sqlite:///{project / 'dbs' / 'one.db'}",
        ),
        TARGET_SQLITE,
    )
    if args.pg is None:
        return
    pg_loop = [sys.executable, "-c", PG_LOOP, env["BENCH_PG_SYNCED"]]
    both(
        "an up-to-date fleet of schemas in one PostgreSQL database",
        commands(
            lambda n: [*pg_loop, f"s{n}_", str(n)],
            lambda n: f"schemas{n}",
            env["BENCH_PG_ONE"],
        ),
        TARGET_PG,
        "instructions (callgrind; the client's: the server is not traced)",
    )


def server_cpu(server: ThrowawayPostgres) -> float | None:
    """CPU seconds the PostgreSQL server's finished processes used (its
    backends: a connection's backend is reaped by the postmaster when it
    closes); None for a server this bench did not start."""
    if server.dir is None:
        return None
    pid = (server.dir / "data" / "postmaster.pid").read_text().split()[0]
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    # after the name: state is field 3; cutime and cstime are fields 16 and 17
    return (int(fields[13]) + int(fields[14])) / os.sysconf("SC_CLK_TCK")


Commands = Callable[[dict[str, str]], list[list[str]]]


def bench_rollout(
    args: argparse.Namespace,
    project: Path,
    cs: list[str],
    env: dict[str, str],
    fresh: FreshDatabases,
    server: ThrowawayPostgres,
) -> None:
    count = args.rollout
    print(
        f"\n== 2. a rollout: {count} schemas x {args.pending} pending migrations"
        f" (median of {args.repeat}); load {load()}"
    )

    def timed(make: Commands) -> tuple[float, float, float | None]:
        """The commands make gives, started together, on a fresh database: wall
        time to the last one's end, their CPU time, the server's CPU time."""
        url = fresh.new("rollout")
        make_schemas(url, "r_", count)
        run_env = dict(env, BENCH_PG_ROLLOUT=url)
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        served = server_cpu(server)
        started = time.perf_counter()
        procs = [
            subprocess.Popen(
                c,
                cwd=project,
                env=run_env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                text=True,
            )
            for c in make(run_env)
        ]
        for proc in procs:
            _, err = proc.communicate()
            if proc.returncode != 0:
                raise CommandFailed(err[-1500:])
        wall = time.perf_counter() - started
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        ours = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
        now = server_cpu(server)
        return wall, ours, None if now is None or served is None else now - served

    def loop(run_env: dict[str, str]) -> list[list[str]]:
        url, harnesses = run_env["BENCH_PG_ROLLOUT"], str(project / "harnesses")
        return [[sys.executable, "-c", ROLLOUT_LOOP, url, "r_", str(count), harnesses]]

    def threads(n: int) -> Commands:
        return lambda _: [cs + [*UP_ROLLOUT, "--parallel", str(n)]]

    def processes(n: int) -> Commands:
        return lambda _: [cs + [*UP_ROLLOUT, "--shard", f"{i}/{n}"] for i in range(n)]

    def medians(runs: list[tuple[float, float, float | None]]) -> list[float | None]:
        columns = list(zip(*runs, strict=True))
        return [
            None if None in column else statistics.median(column)  # type: ignore
            for column in columns
        ]

    base, ours = [], []
    for _ in range(args.repeat):  # interleaved: a change of load falls on both
        base.append(timed(loop))
        ours.append(timed(threads(1)))
    (b, b_cpu, b_server), (o, o_cpu, o_server) = medians(base), medians(ours)
    assert b is not None and o is not None and b_cpu is not None and o_cpu is not None
    ratio = o / b
    met = "pass" if ratio <= TARGET_ROLLOUT else "MISSED"

    def cpu(client: float, server: float | None) -> str:
        return f"cpu {client:.1f} + {'n/a' if server is None else f'{server:.1f}'} s"

    print(
        f"  baseline loop (runtime, one process)   {b:.3f} s ({b / count * 1e3:.2f}"
        f" ms a schema)  {cpu(b_cpu, b_server)}"
    )
    print(
        f"  migrate up --fleet --parallel 1        {o:.3f} s  {ratio:.2f}x  {met}"
        f" (<= {TARGET_ROLLOUT:g}x)  {cpu(o_cpu, o_server)}"
        f" (our CPU {o_cpu / b_cpu:.2f}x)"
    )

    print(
        f"\n  the curve ({os.cpu_count()} cores): wall time (speed-up over 1), the"
        " CPU seconds of our processes and of the PostgreSQL server"
    )
    print(
        f"  {'N':>3}  {'--parallel N (threads)':<34}  {'N processes (--shard i/N)':<34}"
    )
    curve: dict[int, dict[str, list[tuple[float, float, float | None]]]] = {
        n: {"threads": [], "processes": []} for n in args.parallel
    }
    for _ in range(args.repeat):
        for n in args.parallel:
            curve[n]["threads"].append(timed(threads(n)))
            curve[n]["processes"].append(timed(processes(n)))
    first: float | None = None
    for n in args.parallel:
        cells = []
        for kind in ("threads", "processes"):
            wall, client, served = medians(curve[n][kind])
            assert wall is not None and client is not None
            first = first or wall
            cells.append(f"{wall:6.2f} s ({first / wall:4.2f}x) {cpu(client, served)}")
        print(f"  {n:>3}  {cells[0]:<34}  {cells[1]:<34}")


def sync_fleets(
    args: argparse.Namespace,
    project: Path,
    cs: list[str],
    env: dict[str, str],
    fresh: FreshDatabases | None,
) -> None:
    """Part 1's targets, every one synced (not timed), and the database the
    one-database commands run on."""
    alone = [f"sqlite:///{project / 'dbs' / 'one.db'}"]
    fleets = [f"sqlite{size}" for size in args.sizes]
    if fresh is not None:
        env["BENCH_PG_SYNCED"] = fresh.new("synced")
        for size in args.sizes:
            make_schemas(env["BENCH_PG_SYNCED"], f"s{size}_", size)
        env["BENCH_PG_ONE"] = fresh.new("one")
        alone.append(env["BENCH_PG_ONE"])
        fleets += [f"schemas{size}" for size in args.sizes]
    for url in alone:
        run(cs + ["migrate", "up", "--database", url], project, env)
    for fleet in fleets:
        run(cs + ["migrate", "up", "--fleet", fleet, "--parallel", "4"], project, env)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--sizes", default="500,1000", help="fleet sizes (default 500,1000)"
    )
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--rollout", type=int, default=200, help="schemas in the rollout"
    )
    parser.add_argument(
        "--pending", type=int, default=5, help="migrations (all pending in the rollout)"
    )
    parser.add_argument(
        "--parallel", default="1,2,4,8", help="the curve's worker counts"
    )
    parser.add_argument("--skip-postgres", action="store_true")
    parser.add_argument("--skip-rollout", action="store_true")
    parser.add_argument(
        "--skip-synced", action="store_true", help="only the rollout (part 2)"
    )
    parser.add_argument(
        "--instructions",
        action="store_true",
        help="also count CPU instructions (callgrind)",
    )
    parser.add_argument(
        "--tmp-dir",
        default=None,
        help="where files go (/dev/shm: no fsync in the figures)",
    )
    args = parser.parse_args(argv)
    args.sizes = sorted(int(s) for s in args.sizes.split(","))
    args.parallel = [int(n) for n in args.parallel.split(",")]
    if len(args.sizes) < 2:
        parser.error("--sizes needs two sizes (the slope is between them)")
    if args.instructions and not shutil.which("valgrind"):
        parser.error("--instructions needs valgrind (apt-get install valgrind)")
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)  # as installed: bytecode cached

    cs = contractspec_exe()
    tmp = tempfile.TemporaryDirectory(
        prefix="contractspec-bench-fleet-", dir=args.tmp_dir
    )
    work = Path(tmp.name)
    project = work / "project"
    project.mkdir()
    server = ThrowawayPostgres(args.tmp_dir)
    fresh: FreshDatabases | None = None
    args.pg = None
    env = dict(os.environ)
    try:
        if not args.skip_postgres:
            try:
                import psycopg  # noqa: F401

                args.pg = os.environ.get("CONTRACTSPEC_BENCH_PG_URL") or server.start()
            except (ImportError, RuntimeError) as exc:
                print(f"PostgreSQL: skipped ({exc})")
        write_project(project, args.pending, 1)
        with open(project / "pyproject.toml", "a", encoding="utf-8") as pyproject:
            pyproject.write(fleets_config(args.sizes, args.pg is not None))
        run(cs + ["build", "--all"], project)
        (project / "dbs").mkdir()
        for size in args.sizes:
            names = [f"dbs/f{size}_{i:05d}.db" for i in range(size)]
            (project / f"sqlite{size}.txt").write_text(
                "".join(f"sqlite:///{n}\n" for n in names)
            )
            (project / f"sqlite{size}.abs").write_text(
                "".join(f"sqlite:///{project / n}\n" for n in names)
            )
        if args.pg is not None:
            fresh = FreshDatabases(args.pg)
        started = time.perf_counter()
        if not args.skip_synced:
            sync_fleets(args, project, cs, env, fresh)
        print(
            f"contractspec fleet bench: {args.pending} migrations; Python {sys.version.split()[0]};"
            f" files in {work}; {os.cpu_count()} cores; setup {time.perf_counter() - started:.1f} s"
        )
        if not args.skip_synced:
            bench_synced(args, project, cs, env)
        if args.pg is not None and fresh is not None and not args.skip_rollout:
            bench_rollout(args, project, cs, env, fresh, server)
    finally:
        if fresh is not None:
            fresh.drop_all()
        server.stop()
        tmp.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
