"""`migrate up|down|baseline|status --fleet NAME`: one command over many
SQLite files or PostgreSQL schemas (docs/fleets.md). Real databases: SQLite
files, and the PostgreSQL server the suite starts."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import quote

import psycopg
import pytest
from fleet_kills import check_after, kill_and_rerun, make_fleet
from support import cli

from contractspec import runtime
from contractspec.commands.fleet.targets import (
    Shard,
    Target,
    parse_shard,
    shard_of,
)
from contractspec.config import load_config
from contractspec.errors import SpecError, UsageError

KEYS = ["app.db.m1.v1", "app.db.m2.v1", "app.db.m3.v1"]
SPEC = """\
from contractspec import DataStep, MigrationMeta, MigrationPlan, MigrationSpec, SchemaStep

spec = MigrationSpec(
    meta=MigrationMeta(name={name!r}, version=1, title={title!r}, owners=["qa"]),
    plan=MigrationPlan(up=[{up}], down=[SchemaStep("DROP TABLE t{n}")]),
    dependencies={dependencies!r},
)
"""

# A data step that sleeps $FLEET_TEST_SLEEP seconds, six times as long in a
# database whose file name says slow (SQLite only).
SLOW = """\
import os
import time


def run(conn):
    path = conn.execute("PRAGMA database_list").fetchone()[2]
    pause = float(os.environ.get("FLEET_TEST_SLEEP", "0"))
    time.sleep(pause * 6 if "slow" in path else pause)
"""


def fleet_project(root: Path, fleets: str, first_step: str = "") -> Path:
    """Three chained migrations (m1..m3, each creating t1..t3) and fleets;
    first_step goes in front of m1's table (a slow DataStep, say)."""
    (root / "migrations").mkdir(parents=True)
    (root / "dbs").mkdir()
    (root / "pyproject.toml").write_text(
        '[tool.contractspec]\nharnesses = "harnesses"\n' + fleets
    )
    (root / "migrations" / "_slow.py").write_text(SLOW)
    for n in (1, 2, 3):
        table = f'SchemaStep("CREATE TABLE t{n} (id INTEGER PRIMARY KEY)")'
        up = f"{first_step}, {table}" if n == 1 and first_step else table
        (root / "migrations" / f"m{n}.py").write_text(
            SPEC.format(
                name=f"app.db.m{n}",
                title=f"m{n}",
                up=up,
                n=n,
                dependencies=[f"app.db.m{n - 1}"] if n > 1 else [],
            )
        )
    built = cli(root, "build", "--all")
    assert built.exit_code == 0, built.stderr
    return root


def urls_fleet(name: str, count: int, extra: str = "") -> str:
    urls = ", ".join(f'"sqlite:///dbs/{name}{i}.db"' for i in range(count))
    return f"\n[tool.contractspec.fleets.{name}]\nurls = [{urls}]\n{extra}"


def history(path: Path) -> list[str]:
    conn = sqlite3.connect(path)
    try:
        return [r[0] for r in conn.execute("SELECT key FROM contractspec_history")]
    except sqlite3.OperationalError:
        return []
    finally:
        conn.close()


def applied_runs(path: Path) -> list[str]:
    """The keys of every run that applied a migration (events, not history)."""
    conn = sqlite3.connect(path)
    try:
        return [
            r[0]
            for r in conn.execute(
                "SELECT migration FROM contractspec_events WHERE event = 'run_end'"
                " AND status = 'applied' ORDER BY id"
            )
        ]
    finally:
        conn.close()


def report(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def targets_of(lines: list[dict]) -> dict[str, dict]:
    return {
        line["target"]["target"]: line["target"] for line in lines if "target" in line
    }


# --- the configuration -----------------------------------------------------------


@pytest.mark.parametrize(
    "table, message",
    [
        ('urls = ["sqlite:///a.db"]\nurls_file = "f.txt"', "exactly one of"),
        ('query = "SELECT url FROM t"', "query needs catalog"),
        (
            'catalog = "sqlite:///c.db"\nurls = ["sqlite:///a.db"]',
            "catalog needs query",
        ),
        ('urls = ["postgresql://u:hunter2@db/app"]', "holds a password"),
        (
            'database = "postgresql://u:hunter2@db/app"\nschemas = ["a"]',
            "holds a password",
        ),
        ('urls = ["sqlite:///a.db"]\nwaves = ["rest", "10%"]', "can only be the last"),
        ('urls = ["sqlite:///a.db"]\nwaves = ["canary"]', "not a group of this fleet"),
        ('urls = ["sqlite:///a.db"]\nwaves = ["150%"]', "not a group of this fleet"),
        ('urls = ["sqlite:///a.db"]\nparallel = 3', "unknown key 'parallel'"),
        ("urls = []", "non-empty list"),
        ('database = "postgresql://db/app"\nschemas = 3', "or a query returning"),
    ],
)
def test_a_bad_fleet_is_refused_at_its_position(tmp_path, table, message):
    (tmp_path / "pyproject.toml").write_text(
        f"[tool.contractspec]\n\n[tool.contractspec.fleets.prod]\n{table}\n"
    )
    with pytest.raises(SpecError) as caught:
        load_config(tmp_path)
    found = [str(d) for d in caught.value.diagnostics]
    assert any(message in line for line in found), found
    assert all(line.startswith("pyproject.toml:") for line in found)
    assert not any("hunter2" in line for line in found)


def test_a_group_cannot_be_named_like_a_wave_size(tmp_path):
    (tmp_path / "pyproject.toml").write_text(
        '[tool.contractspec]\n\n[tool.contractspec.fleets.prod]\nurls = ["sqlite:///a.db"]\n'
        '\n[tool.contractspec.fleets.prod.groups]\n"10%" = ["sqlite:///a.db"]\n'
    )
    with pytest.raises(SpecError, match="named like a wave size"):
        load_config(tmp_path)


def test_fleets_as_the_config_reads_them(tmp_path):
    (tmp_path / "pyproject.toml").write_text(
        "[tool.contractspec]\n\n[tool.contractspec.fleets.tenants]\n"
        'database = "env:TENANTS_URL"\n'
        "schemas = \"SELECT nspname FROM pg_namespace WHERE nspname LIKE 't\\\\_%'\"\n"
        'waves = ["canary", "10%", "100", "rest"]\n'
        '\n[tool.contractspec.fleets.tenants.groups]\ncanary = ["acme"]\n'
    )
    fleet = load_config(tmp_path).fleets["tenants"]
    assert fleet.source == "schemas" and fleet.database == "env:TENANTS_URL"
    assert (
        fleet.schemas == "SELECT nspname FROM pg_namespace WHERE nspname LIKE 't\\_%'"
    )
    assert fleet.waves == ("canary", "10%", "100", "rest")
    assert fleet.groups == {"canary": ("acme",)}


# --- shards ------------------------------------------------------------------------


@pytest.mark.parametrize("count", [1, 2, 3, 5, 8, 16])
def test_the_shards_split_the_fleet_exactly(count):
    """Every target in exactly one shard, whatever the order targets are listed in."""
    names = [f"postgresql://app@db/tenants#t{i:04d}" for i in range(1000)]
    targets = [Target(name, "") for name in names]
    shards = [
        {t.name for t in targets if Shard(i, count).holds(t)} for i in range(count)
    ]
    assert set().union(*shards) == set(names)
    assert sum(len(shard) for shard in shards) == len(names)
    again = [
        {t.name for t in reversed(targets) if Shard(i, count).holds(t)}
        for i in range(count)
    ]
    assert again == shards
    if count > 1:  # a stable hash spreads them: no shard empty or holding most
        assert all(0 < len(shard) < 1000 * 2 / count for shard in shards)
    assert shard_of(names[0], count) == shard_of(names[0], count)


def test_shards_are_read_from_the_flags_or_kubernetes(monkeypatch):
    assert parse_shard(None, None) is None
    assert parse_shard("2/5", None) == Shard(2, 5)
    monkeypatch.setenv("JOB_COMPLETION_INDEX", "3")
    assert parse_shard("k8s", 4) == Shard(3, 4)
    for text, shards in [
        ("5/5", None),
        ("-1/3", None),
        ("a/b", None),
        ("k8s", None),
        ("1/2", 2),
        (None, 3),
    ]:
        with pytest.raises(UsageError):
            parse_shard(text, shards)
    monkeypatch.setenv("JOB_COMPLETION_INDEX", "4")
    with pytest.raises(UsageError, match="JOB_COMPLETION_INDEX='4'"):
        parse_shard("k8s", 4)
    monkeypatch.delenv("JOB_COMPLETION_INDEX")
    with pytest.raises(UsageError, match="Indexed Job"):
        parse_shard("k8s", 4)


def test_shards_run_together_migrate_the_whole_fleet_once(tmp_path):
    project = fleet_project(tmp_path / "p", urls_fleet("t", 12))
    seen: list[str] = []
    for index in range(3):
        out = tmp_path / f"shard{index}.jsonl"
        result = cli(
            project,
            "migrate",
            "up",
            "--fleet",
            "t",
            "--shard",
            f"{index}/3",
            "--report",
            str(out),
        )
        assert result.exit_code == 0, result.stderr
        lines = report(out)
        assert lines[0]["run"]["shard"] == f"{index}/3"
        seen += list(targets_of(lines))
    assert len(seen) == len(set(seen)) == 12
    for i in range(12):
        assert history(project / "dbs" / f"t{i}.db") == KEYS
    status = cli(project, "migrate", "status", "--fleet", "t")
    assert status.exit_code == 0, status.stderr
    assert "app.db.m3.v1 (latest)  12" in status.stdout


# --- up and status over SQLite files -------------------------------------------------


def test_up_then_status_over_a_fleet_of_files(tmp_path):
    project = fleet_project(tmp_path / "p", urls_fleet("t", 5))
    status = cli(project, "migrate", "status", "--fleet", "t", "--json")
    assert status.exit_code == 1  # nothing applied yet: not synced
    rows = json.loads(status.stdout)
    assert rows["states"] == {"pending": 5} and len(rows["results"]) == 5
    assert rows["results"][0]["pending"] == KEYS
    out = tmp_path / "up.jsonl"
    up = cli(project, "migrate", "up", "--fleet", "t", "--report", str(out))
    assert up.exit_code == 0, up.stderr
    first = str(project / "dbs" / "t0.db")
    assert f"[1/5] ok          sqlite:///{first} (3 applied," in up.stderr
    assert "total: 5/5 done (0 failed), 0 remaining" in up.stderr
    assert "fleet t: 5 targets: 5 ok" in up.stderr
    lines = report(out)
    assert lines[0]["run"]["targets"] == 5 and lines[-1]["summary"]["ok"] is True
    assert all(
        t["done"] == KEYS and t["state"] == "ok" for t in targets_of(lines).values()
    )
    again = cli(project, "migrate", "up", "--fleet", "t", "--json")
    assert again.exit_code == 0
    assert {r["state"] for r in json.loads(again.stdout)["results"]} == {"ok"}
    for i in range(5):
        assert applied_runs(project / "dbs" / f"t{i}.db") == KEYS  # once each
    status = cli(project, "migrate", "status", "--fleet", "t")
    assert status.exit_code == 0, status.stderr
    assert "app.db.m3.v1 (latest)  5" in status.stdout
    assert "fleet t: 5 targets: 5 synced" in status.stderr


def test_a_person_s_work_leaves_each_target_waiting_and_status_says_so(tmp_path):
    person = 'DataStep(instructions="Ask finance to re-export the March ledger.")'
    project = fleet_project(tmp_path / "p", urls_fleet("t", 3), first_step=person)
    args = ("migrate", "up", "--fleet", "t", "--on-error", "continue", "--json")
    up = cli(project, *args)
    assert up.exit_code == 1, up.stderr  # not synced: each waits for a person
    rows = json.loads(up.stdout)
    assert rows["states"] == {"waiting": 3}
    for row in rows["results"]:
        assert row["done"] == [] and row["pending"] == KEYS
        assert "Ask finance to re-export the March ledger." in row["error"]
    status = cli(project, "migrate", "status", "--fleet", "t", "--json")
    assert status.exit_code == 1
    waiting = json.loads(status.stdout)
    assert waiting["states"] == {"waiting": 3}
    assert all(
        r["error"] == "app.db.m1.v1: a person's work at step 1"
        for r in waiting["results"]
    )
    one = f"sqlite:///{project / 'dbs' / 't0.db'}"
    confirmed = cli(
        project, "migrate", "confirm", "app.db.m1", "--by", "qa", database=one
    )
    assert confirmed.exit_code == 0, confirmed.stderr
    again = cli(
        project, "migrate", "up", "--fleet", "t", "--on-error", "continue", "--json"
    )
    states = {r["target"]: r["state"] for r in json.loads(again.stdout)["results"]}
    assert states[one] == "ok" and list(states.values()).count("waiting") == 2
    assert history(project / "dbs" / "t0.db") == KEYS


def test_status_counts_every_state_and_names_what_is_not_synced(tmp_path):
    """One target in each state status knows: the histogram counts them by
    the migration they are at, the table names each one that is not synced
    and why, --json has every row, and the exit code says not synced."""
    names = ["synced", "pending", "failed", "drifted", "locked", "unknown"]
    urls = ", ".join(f'"sqlite:///dbs/{n}.db"' for n in names)
    project = fleet_project(
        tmp_path / "p",
        f'\n[tool.contractspec.fleets.t]\nurls = [{urls}, "sqlite:///nowhere/u.db"]\n',
    )
    dbs = project / "dbs"
    broken = sqlite3.connect(dbs / "failed.db")
    broken.execute("CREATE TABLE t2 (id INTEGER)")  # m2 fails there
    broken.close()
    for name in ("synced", "failed", "drifted", "unknown"):
        url = f"sqlite:///dbs/{name}.db"
        cli(project, "migrate", "up", "--database", url)
    with sqlite3.connect(dbs / "drifted.db") as conn:
        conn.execute(
            "UPDATE contractspec_history SET spec_fingerprint = 'sha256:0'"
            " WHERE key = 'app.db.m2.v1'"
        )
    with sqlite3.connect(dbs / "unknown.db") as conn:  # applied by a newer project
        columns = [
            row[1] for row in conn.execute("PRAGMA table_info(contractspec_history)")
        ]
        copied = ", ".join("'app.db.m4.v1'" if c == "key" else c for c in columns)
        conn.execute(
            f"INSERT INTO contractspec_history SELECT {copied}"
            " FROM contractspec_history WHERE key = 'app.db.m3.v1'"
        )
    with runtime.open_session(f"sqlite:///{dbs / 'locked.db'}"):  # another runner
        status = cli(project, "migrate", "status", "--fleet", "t", "--check")
        rows = cli(project, "migrate", "status", "--fleet", "t", "--json")
    assert status.exit_code == rows.exit_code == 1
    assert "retried" not in status.stderr  # status says a lock, waits for none
    histogram = [line.split() for line in status.stdout.splitlines()[1:4]]
    assert histogram == [
        ["app.db.m3.v1", "(latest)", "3"],  # synced, drifted, unknown
        ["(none)", "2"],  # pending, locked
        ["app.db.m1.v1", "1"],  # failed at m2
    ]
    why = {
        line.split()[0].rsplit("/", 1)[1]: line.split()[1:]
        for line in status.stdout.splitlines()
        if line.startswith("sqlite:///")
    }
    assert set(why) == {"pending.db", "failed.db", "drifted.db", "locked.db"} | {
        "unknown.db",
        "u.db",
    }
    assert why["failed.db"][:3] == ["failed", "2", "app.db.m2.v1:"]
    assert why["drifted.db"] == ["drifted", "0", "app.db.m2.v1"]
    assert why["unknown.db"] == ["unknown", "0", "app.db.m4.v1"]
    assert why["locked.db"][:4] == ["locked", "3", "held", "by"]
    assert why["u.db"][0] == "unreachable"
    assert "fleet t: 7 targets: 1 synced, 1 pending" in status.stderr
    found = json.loads(rows.stdout)
    assert found["states"] == {state: 1 for state in names} | {"unreachable": 1}
    assert found["heads"] == {"app.db.m3.v1": 3, "(none)": 2, "app.db.m1.v1": 1}
    assert len(found["results"]) == 7 and found["latest"] == "app.db.m3.v1"


def test_a_tenant_that_joins_late_gets_every_migration(tmp_path):
    project = fleet_project(
        tmp_path / "p", '\n[tool.contractspec.fleets.t]\nurls_file = "tenants.txt"\n'
    )
    listed = project / "tenants.txt"
    listed.write_text(
        "# our tenants\nsqlite:///dbs/a.db\nsqlite:///dbs/b.db  # the second\n\n"
    )
    assert cli(project, "migrate", "up", "--fleet", "t").exit_code == 0
    listed.write_text(listed.read_text() + "sqlite:///dbs/late.db\n")
    status = cli(project, "migrate", "status", "--fleet", "t", "--json")
    assert status.exit_code == 1
    states = {
        r["target"].rsplit("/", 1)[1]: r["state"]
        for r in json.loads(status.stdout)["results"]
    }
    assert states == {"a.db": "synced", "b.db": "synced", "late.db": "pending"}
    up = cli(project, "migrate", "up", "--fleet", "t", "--json")
    done = {
        r["target"].rsplit("/", 1)[1]: r["done"]
        for r in json.loads(up.stdout)["results"]
    }
    assert done == {"a.db": [], "b.db": [], "late.db": KEYS}
    assert applied_runs(project / "dbs" / "a.db") == KEYS


def test_a_stale_harness_stops_the_fleet_before_any_target(tmp_path):
    project = fleet_project(tmp_path / "p", urls_fleet("t", 3))
    spec = project / "migrations" / "m2.py"
    spec.write_text(spec.read_text().replace("'m2'", "'m2 renamed'"))
    result = cli(project, "migrate", "up", "--fleet", "t")
    assert result.exit_code == 1
    assert "cannot run" in result.stderr and "contractspec build" in result.stderr
    assert all(history(project / "dbs" / f"t{i}.db") == [] for i in range(3))


# --- failures: continue, stop, the budget -----------------------------------------------


def test_continue_names_each_failed_target_and_its_reason(
    tmp_path, pg_password_url, monkeypatch
):
    """Unreachable, a wrong password, locked and a failing migration: each
    named with its reason; the other targets are migrated."""
    wrong = pg_password_url.replace("@", ":wrong-password@", 1)
    monkeypatch.setenv("WRONG_PASSWORD", wrong)
    project = fleet_project(
        tmp_path / "p",
        '\n[tool.contractspec.fleets.mixed]\nurls = ["sqlite:///dbs/good0.db",'
        ' "sqlite:///missing/x.db", "env:WRONG_PASSWORD", "sqlite:///dbs/locked.db",'
        ' "sqlite:///dbs/broken.db", "sqlite:///dbs/good1.db"]\n',
    )
    broken = sqlite3.connect(project / "dbs" / "broken.db")
    broken.execute("CREATE TABLE t2 (id INTEGER)")  # m2 fails there
    broken.close()
    locked_url = f"sqlite:///{project / 'dbs' / 'locked.db'}"
    out = tmp_path / "r.jsonl"
    with runtime.open_session(locked_url):  # another runner holds its lock
        result = cli(
            project,
            "migrate",
            "up",
            "--fleet",
            "mixed",
            "--on-error",
            "continue",
            "--lock-timeout",
            "0.3",
            "--report",
            str(out),
        )
    assert result.exit_code == 1
    got = targets_of(report(out))
    by_end = {name.rsplit("/", 1)[-1]: row for name, row in got.items()}
    assert by_end["good0.db"]["state"] == by_end["good1.db"]["state"] == "ok"
    assert by_end["x.db"]["state"] == "unreachable"
    assert (
        "folder" in by_end["x.db"]["error"]
        and "does not exist" in by_end["x.db"]["error"]
    )
    wrong_row = next(r for n, r in got.items() if n.startswith("postgresql://"))
    assert wrong_row["state"] == "unreachable"
    assert "password authentication failed" in wrong_row["error"]
    assert by_end["locked.db"]["state"] == "locked"
    assert "held by" in by_end["locked.db"]["error"]
    assert by_end["broken.db"]["state"] == "failed"
    assert by_end["broken.db"]["done"] == ["app.db.m1.v1"]
    assert "app.db.m2.v1 failed" in by_end["broken.db"]["error"]
    assert "retried at the end of wave rest" in result.stderr
    for text in (result.stdout, result.stderr, out.read_text()):
        assert "wrong-password" not in text
    assert history(project / "dbs" / "good1.db") == KEYS
    assert history(project / "dbs" / "broken.db") == ["app.db.m1.v1"]


def test_stop_starts_no_target_after_the_first_failure(tmp_path):
    project = fleet_project(
        tmp_path / "p",
        '\n[tool.contractspec.fleets.t]\nurls = ["sqlite:///dbs/a.db", "sqlite:///nowhere/b.db",'
        ' "sqlite:///dbs/c.db", "sqlite:///dbs/d.db"]\n',
    )
    result = cli(project, "migrate", "up", "--fleet", "t", "--json")
    assert result.exit_code == 1
    states = [r["state"] for r in json.loads(result.stdout)["results"]]
    assert states == ["ok", "unreachable", "not started", "not started"]
    assert not (project / "dbs" / "c.db").exists()


@pytest.mark.slow
def test_stop_lets_a_running_target_finish_its_current_migration(tmp_path, monkeypatch):
    """Two workers: one target is inside a slow migration (3 s) when the
    other's fails (after 0.5 s); it finishes that migration, then starts no
    other, and no new target starts."""
    project = fleet_project(
        tmp_path / "p",
        '\n[tool.contractspec.fleets.t]\nurls = ["sqlite:///dbs/slow.db",'
        ' "sqlite:///dbs/b.db", "sqlite:///dbs/c.db"]\n',
        first_step='DataStep(script="_slow.py:run")',
    )
    broken = sqlite3.connect(project / "dbs" / "b.db")
    broken.execute("CREATE TABLE t1 (id INTEGER)")  # m1 fails there
    broken.close()
    monkeypatch.setenv("FLEET_TEST_SLEEP", "0.5")
    out = tmp_path / "r.jsonl"
    result = cli(
        project,
        "migrate",
        "up",
        "--fleet",
        "t",
        "--parallel",
        "2",
        "--report",
        str(out),
    )
    assert result.exit_code == 1
    got = {n.rsplit("/", 1)[1]: r for n, r in targets_of(report(out)).items()}
    assert got["b.db"]["state"] == "failed" and got["c.db"]["state"] == "not started"
    assert got["slow.db"]["state"] == "stopped"
    assert got["slow.db"]["done"] == ["app.db.m1.v1"]
    assert got["slow.db"]["pending"] == KEYS[1:]
    assert history(project / "dbs" / "slow.db") == ["app.db.m1.v1"]
    assert not (project / "dbs" / "c.db").exists()


def test_the_failure_budget(tmp_path):
    urls = ", ".join(
        f'"sqlite:///{"nowhere" if i in (0, 2, 4) else "dbs"}/t{i}.db"'
        for i in range(7)
    )
    project = fleet_project(
        tmp_path / "p", f"\n[tool.contractspec.fleets.t]\nurls = [{urls}]\n"
    )
    result = cli(
        project, "migrate", "up", "--fleet", "t", "--max-failures", "1", "--json"
    )
    states = [r["state"] for r in json.loads(result.stdout)["results"]]
    # 1 failure is within the budget; the second is over it: nothing new starts
    assert states == [
        "unreachable",
        "ok",
        "unreachable",
        "not started",
        "not started",
        "not started",
        "not started",
    ]
    result = cli(
        project, "migrate", "up", "--fleet", "t", "--on-error", "continue", "--json"
    )
    states = [r["state"] for r in json.loads(result.stdout)["results"]]
    assert states.count("unreachable") == 3 and states.count("ok") == 4


def test_the_next_wave_waits_for_the_last_within_the_budget(tmp_path):
    fleet = urls_fleet(
        "t",
        10,
        'waves = ["canary", "30%", "rest"]\n\n[tool.contractspec.fleets.t.groups]\n'
        'canary = ["sqlite:///dbs/t9.db", "sqlite:///dbs/unknown.db"]\n',
    )
    project = fleet_project(tmp_path / "p", fleet)
    out = tmp_path / "r.jsonl"
    result = cli(
        project,
        "migrate",
        "up",
        "--fleet",
        "t",
        "--pause-seconds",
        "0",
        "--report",
        str(out),
    )
    assert result.exit_code == 0, result.stderr
    lines = report(out)
    assert lines[0]["run"]["waves"] == [["canary", 1], ["30%", 3], ["rest", 6]]
    waves = [
        (r["target"].rsplit("/", 1)[1], r["wave"]) for r in targets_of(lines).values()
    ]
    assert waves[:4] == [
        ("t9.db", "canary"),
        ("t0.db", "30%"),
        ("t1.db", "30%"),
        ("t2.db", "30%"),
    ]
    assert "'sqlite:///dbs/unknown.db' is not in the fleet" in result.stderr
    assert "wave canary done; next: wave 30% (3 targets), in 0 s" in result.stderr
    # a canary that fails stops the rest (on-error stop)
    (project / "dbs" / "t9.db").unlink()
    (project / "dbs" / "t9.db").mkdir()  # not a file: cannot be opened
    result = cli(project, "migrate", "up", "--fleet", "t", "--json")
    states = [r["state"] for r in json.loads(result.stdout)["results"]]
    assert states[0] == "unreachable" and set(states[1:]) == {"not started"}


def test_pause_waits_for_enter_and_end_of_input_stops(tmp_path):
    project = fleet_project(
        tmp_path / "p", urls_fleet("t", 4, 'waves = ["50%", "rest"]\n')
    )
    result = cli(
        project, "migrate", "up", "--fleet", "t", "--pause", "--json", input=""
    )
    states = [r["state"] for r in json.loads(result.stdout)["results"]]
    assert states == ["ok", "ok", "not started", "not started"]
    result = cli(project, "migrate", "up", "--fleet", "t", "--pause", input="\n")
    assert result.exit_code == 0 and "press Enter to start it" in result.stderr


# --- schemas of one PostgreSQL database -----------------------------------------------


def _schemas(url: str, names: list[str]) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        for name in names:
            conn.execute(f'CREATE SCHEMA "{name}"')


def _pg_history(url: str, schema: str) -> list[str]:
    with psycopg.connect(url, autocommit=True) as conn:
        rows = conn.execute(
            f'SELECT key FROM "{schema}".contractspec_history ORDER BY key'
        )
        return [row[0] for row in rows]


SCHEMA_FLEET = """
[tool.contractspec.fleets.tenants]
database = "env:TENANTS_URL"
schemas = "SELECT nspname FROM pg_namespace WHERE nspname LIKE 'tenant\\\\_%' ORDER BY nspname"
waves = ["canary", "rest"]

[tool.contractspec.fleets.tenants.groups]
canary = ["tenant_b"]
"""


def test_a_fleet_of_schemas(tmp_path, pg_db, pg_password_url, pg_password, monkeypatch):
    """Each schema its own history and lock, every statement in it; the
    database's password from the environment, shown nowhere."""
    user, rest = pg_password_url.split("@", 1)
    database = rest.rsplit("/", 1)[0] + "/" + pg_db.rsplit("/", 1)[1]
    url = f"{user}:{quote(pg_password, safe='')}@{database}"
    _schemas(pg_db, ["tenant_a", "tenant_b", "tenant_c", "other"])
    project = fleet_project(tmp_path / "p", SCHEMA_FLEET)
    monkeypatch.setenv("TENANTS_URL", url)
    out = tmp_path / "r.jsonl"
    result = cli(
        project,
        "migrate",
        "up",
        "--fleet",
        "tenants",
        "--parallel",
        "3",
        "--report",
        str(out),
    )
    assert result.exit_code == 0, result.stderr
    shown = f"{user}:***@{database}"
    names = list(targets_of(report(out)))
    assert names[0] == f"{shown}#tenant_b"  # the canary, a wave of its own
    assert set(names[1:]) == {f"{shown}#tenant_a", f"{shown}#tenant_c"}
    for schema in ("tenant_a", "tenant_b", "tenant_c"):
        assert _pg_history(pg_db, schema) == KEYS
    with psycopg.connect(pg_db, autocommit=True) as conn:
        tables = conn.execute(
            "SELECT table_schema, count(*) FROM information_schema.tables"
            " WHERE table_name = 't3' GROUP BY 1 ORDER BY 1"
        ).fetchall()
    assert tables == [("tenant_a", 1), ("tenant_b", 1), ("tenant_c", 1)]
    _schemas(pg_db, ["tenant_d"])  # a tenant that joins late
    status = cli(project, "migrate", "status", "--fleet", "tenants", "--json")
    assert status.exit_code == 1
    rows = {
        r["target"].rsplit("#", 1)[1]: r for r in json.loads(status.stdout)["results"]
    }
    assert (
        rows["tenant_d"]["state"] == "pending" and rows["tenant_a"]["state"] == "synced"
    )
    assert rows["tenant_a"]["head"] == "app.db.m3.v1"
    assert cli(project, "migrate", "up", "--fleet", "tenants").exit_code == 0
    assert _pg_history(pg_db, "tenant_d") == KEYS
    for text in (result.stdout, result.stderr, status.stdout, out.read_text()):
        assert pg_password not in text and quote(pg_password, safe="") not in text


def test_a_locked_schema_is_retried_at_the_end_of_its_wave(
    tmp_path, pg_db, monkeypatch
):
    """Another runner holds tenant_a's lock until tenant_c is done: tenant_a is
    said to be locked, the wave goes on, and its retry at the end succeeds."""
    _schemas(pg_db, ["tenant_a", "tenant_b", "tenant_c"])
    project = fleet_project(tmp_path / "p", SCHEMA_FLEET)
    monkeypatch.setenv("TENANTS_URL", pg_db)
    out = tmp_path / "r.jsonl"

    def hold() -> None:
        with runtime.open_session(pg_db, schema="tenant_a"):
            held.set()
            deadline = time.monotonic() + 60
            while "#tenant_c" not in (out.read_text() if out.exists() else ""):
                assert time.monotonic() < deadline
                time.sleep(0.02)

    held = threading.Event()
    holder = threading.Thread(target=hold)
    holder.start()
    held.wait(30)
    try:
        result = cli(
            project, "migrate", "up", "--fleet", "tenants", "--report", str(out)
        )
    finally:
        holder.join()
    assert result.exit_code == 0, result.stderr
    assert "locked      " in result.stderr and "#tenant_a" in result.stderr
    order = [name.rsplit("#", 1)[1] for name in targets_of(report(out))]
    assert order == ["tenant_b", "tenant_c", "tenant_a"]  # a's retry ends its wave
    assert _pg_history(pg_db, "tenant_a") == KEYS


# --- down and baseline ------------------------------------------------------------------


def test_down_and_baseline_over_a_fleet(tmp_path):
    project = fleet_project(tmp_path / "p", urls_fleet("t", 3))
    assert cli(project, "migrate", "up", "--fleet", "t").exit_code == 0
    refused = cli(
        project, "migrate", "down", "--fleet", "t", "--steps", "2", input="n\n"
    )
    assert refused.exit_code != 0 and "nothing reverted" in refused.stderr
    down = cli(
        project, "migrate", "down", "--fleet", "t", "--steps", "2", "--yes", "--json"
    )
    assert down.exit_code == 0, down.stderr
    assert {tuple(r["done"]) for r in json.loads(down.stdout)["results"]} == {
        ("app.db.m3.v1", "app.db.m2.v1")
    }
    assert all(
        history(project / "dbs" / f"t{i}.db") == ["app.db.m1.v1"] for i in range(3)
    )
    # baseline records what each history lacks; a rerun finds it all recorded
    for _ in range(2):
        result = cli(project, "migrate", "baseline", "--fleet", "t", "--all")
        assert result.exit_code == 0, result.stderr
    assert all(sorted(history(project / "dbs" / f"t{i}.db")) == KEYS for i in range(3))


# --- usage -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "args, message",
    [
        (["migrate", "up", "--parallel", "2"], "--parallel goes with --fleet NAME"),
        (["migrate", "status", "--shard", "0/2"], "--shard goes with --fleet NAME"),
        (
            ["migrate", "up", "--fleet", "t", "--database", "sqlite:///x.db"],
            "--database and --fleet",
        ),
        (
            ["migrate", "up", "--fleet", "t", "--pause", "--pause-seconds", "1"],
            "not both",
        ),
        (
            [
                "migrate",
                "up",
                "--fleet",
                "t",
                "--on-error",
                "stop",
                "--max-failures",
                "2",
            ],
            "--on-error continue",
        ),
        (["migrate", "up", "--fleet", "nope"], "unknown fleet 'nope' (known: t)"),
        (["migrate", "up", "--fleet", "t", "--shard", "2/2"], "i from 0 to N-1"),
        (
            ["migrate", "up", "--fleet", "t", "--single-transaction"],
            "each target commits each migration",
        ),
        (
            ["migrate", "status", "--fleet", "t", "--on-error", "continue"],
            "No such option '--on-error'",
        ),
    ],
)
def test_usage(tmp_path, args, message):
    project = fleet_project(tmp_path / "p", urls_fleet("t", 1))
    result = cli(project, *args)
    assert result.exit_code in (2, 3), result.stderr
    assert message in result.stderr


def test_a_variable_the_fleet_needs_must_be_set(tmp_path, monkeypatch):
    project = fleet_project(
        tmp_path / "p",
        '\n[tool.contractspec.fleets.t]\nurls = ["env:NOT_SET_ANYWHERE"]\n',
    )
    monkeypatch.delenv("NOT_SET_ANYWHERE", raising=False)
    result = cli(project, "migrate", "status", "--fleet", "t")
    assert result.exit_code == 3
    assert "fleet 't': $NOT_SET_ANYWHERE is not set" in result.stderr


def test_a_catalog_lists_the_targets(tmp_path):
    project = fleet_project(
        tmp_path / "p",
        '\n[tool.contractspec.fleets.t]\ncatalog = "sqlite:///catalog.db"\n'
        'query = "SELECT url FROM tenants WHERE active ORDER BY url"\n',
    )
    catalog = sqlite3.connect(project / "catalog.db")
    catalog.execute("CREATE TABLE tenants (url TEXT, active INTEGER)")
    catalog.executemany(
        "INSERT INTO tenants VALUES (?, ?)",
        [
            ("sqlite:///dbs/x.db", 1),
            ("sqlite:///dbs/y.db", 0),
            ("sqlite:///dbs/z.db", 1),
        ],
    )
    catalog.commit()
    catalog.close()
    result = cli(project, "migrate", "up", "--fleet", "t", "--json")
    assert result.exit_code == 0, result.stderr
    ends = [r["target"].rsplit("/", 1)[1] for r in json.loads(result.stdout)["results"]]
    assert ends == ["x.db", "z.db"]
    broken = project / "pyproject.toml"
    broken.write_text(broken.read_text().replace("FROM tenants", "FROM no_such_table"))
    result = cli(project, "migrate", "up", "--fleet", "t")
    assert result.exit_code == 1 and "fleet 't': query on sqlite:///" in result.stderr
    assert "no such table: no_such_table" in result.stderr


@pytest.mark.slow
@pytest.mark.parametrize("parallel", ["1", "3"])
def test_sigterm_rolls_back_what_runs_and_reports_the_rest(tmp_path, parallel):
    """SIGTERM (what Kubernetes sends) mid-rollout: exit 143, the migrations
    running are rolled back or end at a boundary, no new target starts, the
    report says so to its summary; a rerun finishes the job."""
    project = fleet_project(
        tmp_path / "p",
        urls_fleet("t", 10),
        first_step='DataStep(script="_slow.py:run")',
    )
    out = tmp_path / "r.jsonl"
    command = [sys.executable, "-m", "contractspec", "migrate", "up", "--fleet", "t"]
    command += ["--parallel", parallel, "--report", str(out), "-C", str(project)]
    env = dict(os.environ, FLEET_TEST_SLEEP="0.7")
    process = subprocess.Popen(command, env=env, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while '"target"' not in (out.read_text() if out.exists() else ""):
        assert time.monotonic() < deadline and process.poll() is None
        time.sleep(0.05)
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 143, stderr
    lines = report(out)
    assert lines[-1]["summary"]["interrupted"] is True
    states = [t["state"] for t in targets_of(lines).values()]
    assert len(states) == 10 and "not started" in states
    assert set(states) <= {"ok", "stopped", "not started"}
    for i in range(10):  # each at a clean boundary: a prefix of the chain
        done = history(project / "dbs" / f"t{i}.db")
        assert done == KEYS[: len(done)]
    rerun = subprocess.run(
        command, env=dict(env, FLEET_TEST_SLEEP="0"), capture_output=True, text=True
    )
    assert rerun.returncode == 0, rerun.stderr
    assert all(applied_runs(project / "dbs" / f"t{i}.db") == KEYS for i in range(10))


# --- killed at random moments ----------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_a_rollout_killed_at_random_moments_ends_as_a_clean_run(
    kind, tmp_path, request
):
    """SIGKILL of the fleet run, again and again, each followed by a rerun:
    every report a killed run left is true, and at the end every target is
    what a clean run makes, each migration applied once (bench/kill_fleet.py:
    30 kills over 200 targets)."""
    pg_url = request.getfixturevalue("pg_db") if kind == "postgresql" else None
    fleet = make_fleet(kind, tmp_path / "p", 12, pg_url, rows=30_000)
    done = kill_and_rerun(fleet, kills=3, parallel=3, seed=23)
    assert done.kills == 3 and not done.finished_early, done
    check_after(fleet)
