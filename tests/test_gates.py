"""Environment gates (`min_stability`, `max_risk`) and `--accept-risk`, on
real SQLite and PostgreSQL databases: refused before anything runs, let
through one migration at a time, recorded in the events with who ran it."""

from __future__ import annotations

import getpass
import json
import socket
from pathlib import Path

import pytest
from support import cli

from contractspec import api
from contractspec.errors import MigrationFailed

SPEC = """from contractspec import DataStep, MigrationCheck, MigrationMeta, MigrationPlan, MigrationSpec, SchemaStep

spec = MigrationSpec(
    meta=MigrationMeta(name={name!r}, version=1, title={name!r}, owners=["team-shop"], stability={stability!r}),
    plan=MigrationPlan(up=[{up}], down=[{down}]),
    dependencies={dependencies!r},
)
"""
# In order: low, high (destructive), medium (experimental)
MIGRATIONS = {
    "shop.db.m1_orders": dict(
        stability="stable",
        up='SchemaStep("CREATE TABLE orders (id INTEGER PRIMARY KEY, note TEXT)")',
        down='SchemaStep("DROP TABLE orders")',
    ),
    "shop.db.m2_drop_note": dict(
        stability="stable",
        up='SchemaStep("ALTER TABLE orders DROP COLUMN note")',
        down='SchemaStep("ALTER TABLE orders ADD COLUMN note TEXT")',
    ),
    "shop.db.m3_index": dict(
        stability="experimental",
        up='SchemaStep("CREATE INDEX orders_id ON orders (id)")',
        down='SchemaStep("DROP INDEX orders_id")',
    ),
}
M1, M2, M3 = (f"{name}.v1" for name in MIGRATIONS)
WHO = f"{getpass.getuser()}@{socket.gethostname()}"


def make_project(folder: Path, url: str, gates: str) -> Path:
    (folder / "migrations").mkdir(parents=True)
    (folder / "pyproject.toml").write_text(
        '[tool.contractspec]\nharnesses = "harnesses"\n\n'
        f"[tool.contractspec.environments.prod]\nurl = {json.dumps(url)}\n{gates}\n"
        "[tool.contractspec.environments.dev]\n"
        f"url = {json.dumps(url)}\n"
    )
    previous: list[str] = []
    for number, (name, parts) in enumerate(MIGRATIONS.items(), 1):
        (folder / "migrations" / f"m{number}.py").write_text(
            SPEC.format(name=name, dependencies=previous, **parts)
        )
        previous = [name]
    built = cli(folder, "build", "--all")
    assert built.exit_code == 0, built.stderr
    return folder


BOTH = 'min_stability = "beta"\nmax_risk = "medium"\n'


def test_gates_refuse_before_anything_runs_naming_gate_and_override(tmp_path, db):
    project = make_project(tmp_path / "p", db.url, BOTH)
    for args in (["--dry-run"], ["--rehearse"], []):
        result = cli(project, "migrate", "up", "--env", "prod", *args)
        assert result.exit_code == 1, result.stderr
        assert db.history() == []  # not even m1, which passes
        error = result.stderr
        assert "environment 'prod' refuses 2 migration(s); nothing was applied" in error
        assert (
            f"{M2}: risk high (destructive: up step 1: ALTER TABLE orders DROP COLUMN note)"
            " is above max_risk = 'medium'"
        ) in error
        assert f"{M3}: stability experimental is below min_stability = 'beta'" in error
        assert M1 + ":" not in error
        assert "[tool.contractspec.environments.prod] in pyproject.toml" in error
        assert (
            f"contractspec migrate up --env prod --accept-risk {M2} --accept-risk {M3}"
            in error
        )
    assert db.events() == []
    # an environment without gates runs them all
    assert cli(project, "migrate", "up", "--env", "dev", "--dry-run").exit_code == 0


@pytest.mark.parametrize("together", [(), ("--single-transaction",)])
def test_accept_risk_lets_each_through_and_its_run_start_says_who(
    tmp_path, db, together
):
    project = make_project(tmp_path / "p", db.url, BOTH)
    only_one = cli(project, "migrate", "up", "--env", "prod", "--accept-risk", M2)
    assert only_one.exit_code == 1
    assert f"--accept-risk {M3}" in only_one.stderr and M2 + ":" not in only_one.stderr
    assert db.history() == []
    both = cli(
        project,
        "migrate",
        "up",
        "--env",
        "prod",
        "--accept-risk",
        "shop.db.m2_drop_note",  # a bare name is its highest version
        "--accept-risk",
        M3,
        *together,  # one transaction for all: the same acceptances recorded
    )
    assert both.exit_code == 0, both.stderr
    assert [key for key, _ in db.history()] == sorted([M1, M2, M3])
    starts = {
        e["migration"]: e["detail"] for e in db.events() if e["event"] == "run_start"
    }
    assert starts == {
        M2: f"--accept-risk by {WHO} in environment 'prod': risk high (destructive:"
        " up step 1: ALTER TABLE orders DROP COLUMN note) is above max_risk = 'medium'",
        M3: f"--accept-risk by {WHO} in environment 'prod': stability experimental"
        " is below min_stability = 'beta'",
    }  # m1 passed the gates: a clean run stores no run_start
    applied_by = db.rows("SELECT key, applied_by FROM contractspec_history")
    assert {by for _, by in applied_by} == {WHO}


@pytest.mark.parametrize(
    "gates,refused",
    [
        ('min_stability = "beta"\n', [M3]),
        ('min_stability = "experimental"\n', []),
        ('min_stability = "stable"\n', [M3]),
        ('max_risk = "low"\n', [M2, M3]),
        ('max_risk = "medium"\n', [M2]),
        ('max_risk = "high"\n', []),
    ],
)
def test_each_gate_alone(tmp_path, db, gates, refused):
    project = make_project(tmp_path / "p", db.url, gates)
    result = cli(project, "migrate", "up", "--env", "prod", "--json")
    if not refused:
        assert result.exit_code == 0, result.stderr
        assert len(db.history()) == 3
        return
    assert result.exit_code == 1
    error = json.loads(result.stdout)
    assert error["kind"] == "MigrationFailed" and error["ok"] is False
    named = [key for key in (M1, M2, M3) if f"{key}: " in error["error"]]
    assert named == refused
    assert db.history() == []


def test_a_deprecated_migration_passes_min_stability(tmp_path, db):
    MIGRATIONS["shop.db.m3_index"]["stability"] = "deprecated"
    try:
        project = make_project(tmp_path / "p", db.url, 'min_stability = "stable"\n')
    finally:
        MIGRATIONS["shop.db.m3_index"]["stability"] = "experimental"
    assert cli(project, "migrate", "up", "--env", "prod").exit_code == 0


def test_an_accepted_migration_that_fails_keeps_its_acceptance_in_the_events(
    tmp_path, db
):
    project = make_project(tmp_path / "p", db.url, BOTH)
    spec = project / "migrations" / "m3.py"
    spec.write_text(
        spec.read_text().replace(
            '"CREATE INDEX orders_id ON orders (id)")',
            '"CREATE INDEX orders_id ON orders (id)", post_checks=['
            'MigrationCheck(description="never", expression="SELECT 1 = 0")])',
        )
    )
    assert cli(project, "build", "--all").exit_code == 0
    result = cli(
        project,
        "migrate",
        "up",
        "--env",
        "prod",
        "--accept-risk",
        M2,
        "--accept-risk",
        M3,
    )
    assert result.exit_code == 1
    assert "post-check 'never' failed" in result.stderr
    assert [key for key, _ in db.history()] == [M1, M2]
    events = db.events(M3)
    assert [e["event"] for e in events][0] == "run_start"
    assert events[0]["detail"].startswith(
        f"--accept-risk by {WHO} in environment 'prod'"
    )
    assert events[-1]["event"] == "run_end" and events[-1]["status"] == "failed"


def test_accept_risk_needs_an_environment_with_gates(tmp_path, db):
    project = make_project(tmp_path / "p", db.url, BOTH)
    without_env = cli(project, "migrate", "up", "--accept-risk", M2, database=db.url)
    assert without_env.exit_code == 2
    assert "without --env NAME there are no gates" in without_env.stderr
    ungated = cli(project, "migrate", "up", "--env", "dev", "--accept-risk", M2)
    assert ungated.exit_code == 2
    assert "environment 'dev' has neither min_stability nor max_risk" in ungated.stderr
    unknown = cli(project, "migrate", "up", "--env", "prod", "--accept-risk", "no.such")
    assert unknown.exit_code == 3
    assert db.history() == []


def test_gates_in_the_python_api(tmp_path, db):
    project = make_project(tmp_path / "p", db.url, BOTH)
    with pytest.raises(MigrationFailed, match="refuses 2 migration"):
        api.migrate_up(project, environment="prod")
    plan = api.migrate_up(
        project, environment="prod", accept_risk=[M2, M3], dry_run=True
    )
    assert plan.not_attempted == (M1, M2, M3)
    assert {key: risk.level for key, risk in plan.risk.items()} == {
        M1: "low",
        M2: "high",
        M3: "medium",
    }
    run = api.migrate_up(project, environment="prod", accept_risk=[M2, M3])
    assert run.ok and [r.key for r in run.applied] == [M1, M2, M3]


def test_gate_values_are_checked_at_their_line(tmp_path):
    project = tmp_path / "p"
    project.mkdir()
    (project / "pyproject.toml").write_text(
        "[tool.contractspec]\n\n[tool.contractspec.environments.prod]\n"
        'url = "sqlite:///x.db"\nmin_stability = "ready"\nmax_risk = "severe"\n'
    )
    result = cli(project, "list")
    assert result.exit_code == 3
    assert result.stderr.splitlines()[:2] == [
        "pyproject.toml:5:1: min_stability must be one of idea, in_creation,"
        " experimental, beta, stable, deprecated, got 'ready'",
        "pyproject.toml:6:1: max_risk must be one of low, medium, high, got 'severe'",
    ]
