"""Database URLs and the harness command line (runtime_main)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from rtkit import make_migration, make_step


@pytest.mark.parametrize(
    "url, dialect, target",
    [
        ("sqlite:///relative.db", "sqlite", "relative.db"),
        ("sqlite:////abs/path.db", "sqlite", "/abs/path.db"),
        ("sqlite:///:memory:", "sqlite", ":memory:"),
        ("postgresql://u:p@h:5432/db", "postgresql", "postgresql://u:p@h:5432/db"),
        ("postgres://u@h/db", "postgresql", "postgres://u@h/db"),
    ],
)
def test_url_forms(rt, url, dialect, target):
    assert rt.parse_database_url(url) == (dialect, target)


@pytest.mark.parametrize(
    "url, needle",
    [
        ("sqlite://x.db", "malformed SQLite URL"),
        ("sqlite:///", "malformed SQLite URL"),
        ("mysql://u@h/db", "unsupported database URL"),
        ("just-a-file.db", "unsupported database URL"),
        ("postgresql://u:secret@h:notaport/db", "malformed PostgreSQL URL"),
        ("", "no database URL"),
    ],
)
def test_bad_urls_are_config_errors(rt, url, needle):
    with pytest.raises(rt.MigrationError) as info:
        rt.run_migration(make_migration(), "up", url)
    assert info.value.exit_code == 3 and needle in str(info.value)
    assert "secret" not in str(info.value) and "\n" not in str(info.value)


def test_relative_sqlite_url_is_relative_to_cwd(rt, tmp_path, monkeypatch, DB):
    monkeypatch.chdir(tmp_path)
    rt.run_migration(make_migration(), "up", "sqlite:///rel.db")
    assert (tmp_path / "rel.db").exists() and DB(
        f"sqlite:///{tmp_path / 'rel.db'}"
    ).table_exists("t1")


def test_sqlite_missing_folder(rt, tmp_path):
    with pytest.raises(rt.MigrationError, match="does not exist") as info:
        rt.run_migration(
            make_migration(), "up", f"sqlite:///{tmp_path / 'nope' / 'x.db'}"
        )
    assert info.value.exit_code == 3


def test_postgresql_unreachable(rt):
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(rt.MigrationError) as info:
        rt.run_migration(
            make_migration(), "up", f"postgresql://me:hunter2@127.0.0.1:{port}/db"
        )
    text = str(info.value)
    assert text.startswith(f"cannot connect to postgresql://me:***@127.0.0.1:{port}/db")
    assert "hunter2" not in text and "\n" not in text and info.value.exit_code == 1


def test_psycopg_missing_and_preview_needs_no_psycopg(tmp_path, write_harness):
    harness = write_harness(tmp_path / "h.py", make_migration())
    blocker = tmp_path / "block" / "psycopg"
    blocker.mkdir(parents=True)
    (blocker / "__init__.py").write_text("raise ImportError('blocked for the test')\n")
    env = dict(os.environ, PYTHONPATH=str(tmp_path / "block"))
    run = subprocess.run(
        [
            sys.executable,
            str(harness),
            "up",
            "--database",
            "postgresql://u@127.0.0.1/db",
        ],
        capture_output=True,
        text=True,
        env=env,
    )
    assert (
        run.returncode == 3
        and "need psycopg 3" in run.stderr
        and "Traceback" not in run.stderr
    )
    # A harness folder runs without contractspec: psycopg itself is the fix.
    assert "pip install 'psycopg[binary]'" in run.stderr
    # contractspec's own runtime names its extra.
    installed = subprocess.run(
        [
            sys.executable,
            "-c",
            "from contractspec import runtime\n"
            "try:\n"
            "    runtime.Session('postgresql://u@127.0.0.1/db')\n"
            "except runtime.MigrationError as exc:\n"
            "    print(exc.exit_code, exc)\n",
        ],
        capture_output=True,
        text=True,
        env=env,
    )
    assert installed.stdout == (
        "3 postgresql:// URLs need psycopg 3: pip install 'contractspec[postgres]'\n"
    ), installed.stderr
    plan = subprocess.run(
        [sys.executable, str(harness), "plan", "--database", "postgresql://u@h/db"],
        capture_output=True,
        text=True,
        env=env,
    )
    assert plan.returncode == 0 and "plan for app.db.2025_01_test.v1" in plan.stdout


def test_cli_up_down_json_and_exit_codes(tmp_path, write_harness, run_harness, DB):
    m = make_migration(
        up=[
            make_step("schema", "CREATE TABLE c (x INTEGER)"),
            make_step("data", "INSERT INTO c VALUES (1)"),
        ],
        down=[make_step("schema", "DROP TABLE c")],
    )
    harness = write_harness(tmp_path / "h.py", m)
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    audit = tmp_path / "audit.jsonl"
    up = run_harness(
        harness, "up", "--database", url, "--json", "--audit-log", str(audit)
    )
    assert up.returncode == 0, up.stderr
    result = json.loads(up.stdout)
    assert (
        result["status"] == "applied"
        and result["key"] == m["key"]
        and result["steps"] == 2
    )
    assert up.stderr.startswith(f"applied {m['key']} in ") and up.stderr.endswith(
        "(2 steps)\n"
    )
    # The audit log has every event as it happened; the table keeps a clean
    # run's step_end and run_end rows, which repeat the rest.
    audited = [json.loads(line) for line in audit.read_text().splitlines()]
    stored = [(e["event"], e["step"]) for e in DB(url).events()]
    assert stored == [("step_end", 1), ("step_end", 2), ("run_end", None)]
    assert [(e["event"], e["step"]) for e in audited if e["event"] != "attempt"] == [
        ("run_start", None),
        ("step_start", 1),
        ("step_end", 1),
        ("step_start", 2),
        ("step_end", 2),
        ("run_end", None),
    ]
    rehearse = run_harness(harness, "down", "--database", url, "--rehearse")
    assert (
        rehearse.returncode == 0
        and "rehearsed" in rehearse.stderr
        and "would revert 1 step" in rehearse.stderr
    )
    down = run_harness(harness, "down", "--database", url)
    assert down.returncode == 0 and down.stderr.startswith(f"reverted {m['key']}")
    again = run_harness(harness, "down", "--database", url)
    assert again.returncode == 0 and "nothing to revert" in again.stderr
    assert not DB(url).table_exists("c")


def test_cli_failure_is_one_line_without_traceback(
    tmp_path, write_harness, run_harness
):
    m = make_migration(
        up=[
            make_step("schema", "CREATE TABLE c (x INTEGER)"),
            make_step("schema", "SELEC 1"),
        ]
    )
    harness = write_harness(tmp_path / "h.py", m)
    run = run_harness(
        harness, "up", "--database", f"sqlite:///{tmp_path / 'db.sqlite'}", "--json"
    )
    assert run.returncode == 1
    assert run.stderr.startswith(
        f"error: {m['key']} failed: up step 2/2 (schema): OperationalError"
    )
    assert run.stderr.count("\n") == 1 and "Traceback" not in run.stderr
    assert json.loads(run.stdout)["status"] == "failed"


def test_cli_irreversible_usage_and_default_database(
    tmp_path, write_harness, run_harness
):
    harness = write_harness(tmp_path / "h.py", make_migration(down=None))
    env_url = f"sqlite:///{tmp_path / 'env.db'}"
    env = dict(os.environ, CONTRACTSPEC_DATABASE_URL=env_url)
    up = run_harness(harness, "up", env=env)
    assert up.returncode == 0 and (tmp_path / "env.db").exists()
    down = run_harness(harness, "down", env=env)
    assert down.returncode == 1 and "irreversible" in down.stderr
    usage = run_harness(harness, "sideways")
    assert usage.returncode == 2 and "invalid choice" in usage.stderr
    bad = run_harness(harness, "up", "--database", "oracle://x")
    assert bad.returncode == 3 and bad.stderr.startswith(
        "error: unsupported database URL"
    )
    env.pop("CONTRACTSPEC_DATABASE_URL")
    default = run_harness(harness, "up", cwd=tmp_path, env=env)
    assert default.returncode == 0 and (tmp_path / "contractspec.db").exists()


def test_runtime_main_in_process(rt, tmp_path, capsys):
    m = make_migration()
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    assert rt.runtime_main(m, ["plan"]) == 0
    assert capsys.readouterr().out == rt.plan_text(m)
    assert rt.runtime_main(m, ["up", "--database", url]) == 0
    assert rt.runtime_main(m, ["up", "--database", url, "--lock-timeout", "-1"]) == 2
    assert rt.runtime_main(m, ["--help"]) == 0


def test_harness_base_dir_is_the_harness_folder(
    tmp_path, write_harness, run_harness, DB
):
    """script_path is relative to the harness file, whatever the cwd."""
    from rtkit import file_step

    folder = tmp_path / "harnesses"
    step = file_step(
        folder, "data/fill.sql", "CREATE TABLE filled (x INTEGER);", "sql_file"
    )
    harness = write_harness(folder / "h.py", make_migration(up=[step]))
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    run = run_harness(harness, "up", "--database", url, cwd=Path("/"))
    assert run.returncode == 0, run.stderr
    assert DB(url).table_exists("filled")
