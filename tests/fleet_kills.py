"""SIGKILL a fleet's rollout at random moments, run it again, and check what
issue 23 asks: afterwards every target equals a clean run's, no migration was
applied twice on any target (its history and its events prove it), every
report a killed run left says only what is true, and the last report is
complete. Real SQLite files or schemas of a real PostgreSQL database.

Shared by tests/test_fleet.py (a few kills over a few targets, in every run
of the suite) and bench/kill_fleet.py (30 kills over 200 targets). A plain
module, imported as `from fleet_kills import ...` (tests/ is on sys.path).
"""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

MIGRATIONS, ROWS = 5, 2000
KEYS = [f"kill.db.m{i}.v1" for i in range(1, MIGRATIONS + 1)]
SPEC = """\
from contractspec import DataStep, MigrationMeta, MigrationPlan, MigrationSpec, SchemaStep

spec = MigrationSpec(
    meta=MigrationMeta(name="kill.db.m{i}", version=1, title="t{i}", owners=["qa"]),
    plan=MigrationPlan(
        up=[
            SchemaStep("CREATE TABLE t{i} (id INTEGER PRIMARY KEY, v TEXT)"),
            DataStep(
                script="WITH RECURSIVE c (x) AS (SELECT 1 UNION ALL SELECT x + 1"
                " FROM c WHERE x < {rows}) INSERT INTO t{i} SELECT x, 'v' || x FROM c"
            ),
            SchemaStep("CREATE INDEX t{i}_v ON t{i} (v)"),
        ],
        down=[SchemaStep("DROP TABLE t{i}")],
    ),
    dependencies={dependencies!r},
)
"""
CONTRACTSPEC = [sys.executable, "-m", "contractspec"]


@dataclass
class Fleet:
    """The targets of one kind and how to look at one of them from outside."""

    kind: str  # sqlite or postgresql
    project: Path
    names: list[str]  # SQLite files (relative to project/dbs) or schemas
    pg_url: str | None = None
    env: dict[str, str] = field(default_factory=dict)

    def history(self, name: str) -> list[str]:
        rows = self._rows(name, "SELECT key FROM {s}contractspec_history ORDER BY key")
        return [row[0] for row in rows]

    def applied_runs(self, name: str) -> list[str]:
        """The key of every run that applied a migration, as the events say."""
        query = (
            "SELECT migration FROM {s}contractspec_events WHERE event = 'run_end'"
            " AND status = 'applied' ORDER BY migration"
        )
        return [row[0] for row in self._rows(name, query)]

    def contents(self, name: str) -> list[tuple[object, ...]]:
        """Its tables, columns, indexes and rows per table (ours left out)."""
        if self.kind == "sqlite":
            found = self._rows(
                name,
                "SELECT m.type, m.name, m.tbl_name, p.name, p.type FROM sqlite_master m"
                " LEFT JOIN pragma_table_info(m.name) p WHERE m.name NOT LIKE"
                " 'contractspec%' AND m.name NOT LIKE 'sqlite%' ORDER BY 1, 2, 4",
            )
        else:
            found = self._rows(
                name,
                "SELECT 'column', table_name, column_name, data_type FROM"
                " information_schema.columns WHERE table_schema = %s AND table_name NOT"
                " LIKE 'contractspec%%' UNION ALL SELECT 'index', tablename, indexname,"
                " '' FROM pg_indexes WHERE schemaname = %s AND tablename NOT LIKE"
                " 'contractspec%%' ORDER BY 1, 2, 3",
                (name, name),
            )
        tables = sorted({str(row[1]) for row in found if row[0] in ("table", "column")})
        counts = [
            (t, *self._rows(name, f"SELECT count(*), max(v) FROM {{s}}{t}"))
            for t in tables
        ]
        return [*found, *counts]

    def _rows(
        self, name: str, query: str, params: tuple[object, ...] = ()
    ) -> list[tuple[object, ...]]:
        if self.kind == "sqlite":
            conn = sqlite3.connect(self.project / "dbs" / name)
            try:
                return conn.execute(query.format(s=""), params).fetchall()
            except sqlite3.OperationalError:
                return []
            finally:
                conn.close()
        import psycopg

        with psycopg.connect(self.pg_url or "", autocommit=True) as conn:
            try:
                return conn.execute(query.format(s=f'"{name}".'), params).fetchall()
            except psycopg.errors.UndefinedTable:
                return []


def make_fleet(
    kind: str, root: Path, count: int, pg_url: str | None = None, rows: int = ROWS
) -> Fleet:
    """A project of MIGRATIONS chained migrations (each inserting `rows` rows),
    a fleet `roll` of count targets of kind, and a fleet `ref` of one target
    for the clean run."""
    (root / "migrations").mkdir(parents=True)
    (root / "dbs").mkdir()
    for i in range(1, MIGRATIONS + 1):
        dependencies = [f"kill.db.m{i - 1}"] if i > 1 else []
        text = SPEC.format(i=i, rows=rows, dependencies=dependencies)
        (root / "migrations" / f"m{i}.py").write_text(text)
    if kind == "sqlite":
        names = [f"k{n:04d}.db" for n in range(count)]
        (root / "targets.txt").write_text(
            "".join(f"sqlite:///dbs/{n}\n" for n in names)
        )
        fleets = (
            '[tool.contractspec.fleets.roll]\nurls_file = "targets.txt"\n\n'
            '[tool.contractspec.fleets.ref]\nurls = ["sqlite:///dbs/ref.db"]\n'
        )
    else:
        import psycopg

        names = [f"k_{n:04d}" for n in range(count)]
        with psycopg.connect(pg_url or "", autocommit=True) as conn:
            conn.execute("".join(f'CREATE SCHEMA "{n}";' for n in [*names, "ref"]))
        fleets = (
            '[tool.contractspec.fleets.roll]\ndatabase = "env:KILL_PG_URL"\n'
            "schemas = \"SELECT nspname FROM pg_namespace WHERE nspname LIKE 'k\\\\_%'"
            ' ORDER BY nspname"\n\n'
            '[tool.contractspec.fleets.ref]\ndatabase = "env:KILL_PG_URL"\n'
            'schemas = ["ref"]\n'
        )
    (root / "pyproject.toml").write_text(
        f'[tool.contractspec]\nharnesses = "harnesses"\n\n{fleets}'
    )
    env = dict(os.environ, KILL_PG_URL=pg_url or "")
    subprocess.run(
        [*CONTRACTSPEC, "build", "--all", "-C", str(root)],
        env=env,
        check=True,
        capture_output=True,
    )
    return Fleet(kind, root, names, pg_url, env)


def _up(fleet: Fleet, name: str, parallel: int, report: Path) -> subprocess.Popen[str]:
    command = [
        *CONTRACTSPEC,
        "migrate",
        "up",
        "--fleet",
        name,
        "-C",
        str(fleet.project),
    ]
    command += ["--parallel", str(parallel), "--report", str(report)]
    return subprocess.Popen(
        command,
        env=fleet.env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )


def report_lines(report: Path) -> list[dict[str, dict[str, object]]]:
    """Every line of a report, each one whole JSON (a killed run's too)."""
    return [json.loads(line) for line in report.read_text().splitlines()]


@dataclass
class Rollout:
    kills: int = 0  # landed while the run was running
    runs: int = 0
    finished_early: bool = False
    seconds: float = 0.0
    partial_reports: int = 0  # reports of killed runs, each checked true
    finished_before: int = 0  # targets done before the last run


def kill_and_rerun(fleet: Fleet, kills: int, parallel: int, seed: int) -> Rollout:
    """Start the rollout, SIGKILL it at a random moment, check the report it
    left, again and again: `kills` times, each while the run runs; then run
    it to the end. The moments are spread over the rollout by its progress:
    a kill waits for a random number of targets to finish (up to twice the
    share of the rest per kill left; none: during the start or the first
    targets), then a random part of the time a target takes, so that it lands
    inside a migration as often as between two."""
    rng, done = random.Random(seed), Rollout()
    report = fleet.project / "report.jsonl"
    started, per_target = time.monotonic(), 0.2
    while done.kills < kills:
        finished = sum(1 for n in fleet.names if fleet.history(n) == KEYS)
        share = (len(fleet.names) - finished) / (kills - done.kills)
        wait_for = rng.randint(0, max(1, round(2 * share)))
        report.unlink(missing_ok=True)
        process, t0 = _up(fleet, "roll", parallel, report), time.monotonic()
        done.runs += 1
        while process.poll() is None and _targets_in(report) < wait_for:
            time.sleep(0.01)
        seen = _targets_in(report)
        if seen:
            per_target = (time.monotonic() - t0) / seen
        time.sleep(rng.uniform(0, per_target))
        if process.poll() is not None:  # it ended first: the rollout is done
            _, error = process.communicate()
            assert process.returncode == 0, error[-2000:]
            done.finished_early = True
            break
        process.send_signal(signal.SIGKILL)
        process.communicate()
        done.kills += 1
        check_partial(fleet, report)
        done.partial_reports += 1
    done.finished_before = sum(1 for n in fleet.names if fleet.history(n) == KEYS)
    final = _up(fleet, "roll", parallel, report)
    _, error = final.communicate(timeout=600)
    done.runs += 1
    assert final.returncode == 0, error[-2000:]
    done.seconds = time.monotonic() - started
    return done


def _targets_in(report: Path) -> int:
    try:
        return report.read_text().count('{"target":')
    except FileNotFoundError:
        return 0


def check_partial(fleet: Fleet, report: Path) -> None:
    """A killed run's report: whole lines, each target line true of its target."""
    if not report.exists():
        return  # killed before it began
    lines = report_lines(report)
    for line in lines:
        if "summary" in line:  # killed after its last line: then it is complete
            assert line["summary"]["targets"] == len(fleet.names) == len(lines) - 2
        target = line.get("target")
        if target is not None:
            name = str(target["target"]).rsplit(
                "/" if fleet.kind == "sqlite" else "#", 1
            )[1]
            assert target["state"] == "ok", target
            assert fleet.history(name) == KEYS, (name, target)


def check_after(fleet: Fleet) -> None:
    """Every target as the clean run left `ref`; each migration applied once."""
    clean = subprocess.run(
        [*CONTRACTSPEC, "migrate", "up", "--fleet", "ref", "-C", str(fleet.project)],
        env=fleet.env,
        capture_output=True,
        text=True,
    )
    assert clean.returncode == 0, clean.stderr
    reference = fleet.contents("ref.db" if fleet.kind == "sqlite" else "ref")
    assert len(reference) > MIGRATIONS
    for name in fleet.names:
        assert fleet.history(name) == KEYS, name
        assert fleet.applied_runs(name) == KEYS, name  # each applied exactly once
        assert fleet.contents(name) == reference, name
    lines = report_lines(fleet.project / "report.jsonl")
    assert lines[0]["run"]["targets"] == len(fleet.names)
    targets = [line["target"] for line in lines if "target" in line]
    assert len(targets) == len(fleet.names) and {t["state"] for t in targets} == {"ok"}
    assert lines[-1]["summary"]["ok"] is True
