"""Every command's failures reach the user as one line (or path:line:col
lines) with the documented exit code, and as one JSON object under --json;
never a traceback. The databases are real: a SQLite file, a folder, the
PostgreSQL server of conftest.py."""

from __future__ import annotations

import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

import pytest
from support import SHOP, cli

COMMANDS = [["migrate", "up"], ["migrate", "down"], ["migrate", "status"]]
# Blocks `import psycopg` the way a missing package does, then runs the CLI.
WITHOUT_PSYCOPG = (
    "import sys; sys.modules['psycopg'] = None; "
    "from contractspec.cli import main; main(sys.argv[1:])"
)


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    target = tmp_path_factory.mktemp("failures") / "shop"
    shutil.copytree(
        SHOP, target, ignore=shutil.ignore_patterns("*.db", "*.lock", "__pycache__")
    )
    assert cli(target, "build", "--all").exit_code == 0
    return target


def _with_password(url: str, password: str) -> str:
    parts = urlsplit(url)
    user = parts.username
    netloc = f"{user}:{quote(password, safe='')}@{parts.hostname}:{parts.port}"
    return urlunsplit(parts._replace(netloc=netloc, path="/postgres"))


def _read_only_folder(project: Path) -> str:
    folder = project.parent / "read-only"
    folder.mkdir(exist_ok=True)
    folder.chmod(0o555)
    return f"sqlite:///{folder / 'x.db'}"


def _not_a_database(project: Path) -> str:
    path = project.parent / "garbage.db"
    path.write_bytes(b"this is not a SQLite database, just some bytes\n" * 100)
    return f"sqlite:///{path}"


# case -> (database URL maker, exit code, message pattern, how to run)
CASES = {
    "missing SQLite folder": (
        lambda p, pw: "sqlite:////nonexistent/dir/x.db",
        3,
        r"cannot open /nonexistent/dir/x\.db: folder /nonexistent/dir does not exist",
        "in-process",
    ),
    "malformed URL": (
        lambda p, pw: "postgresql://u:hunter2@localhost:notaport/db",
        3,
        r"malformed PostgreSQL URL 'postgresql://u:\*\*\*@localhost:notaport/db'",
        "in-process",
    ),
    "unsupported URL": (
        lambda p, pw: "mysql://u:hunter2@localhost/db",
        3,
        r"unsupported database URL 'mysql://u:\*\*\*@localhost/db'",
        "in-process",
    ),
    "wrong password": (
        lambda p, pw: _with_password(pw, "wrong-password"),
        1,
        r"cannot connect to .*password authentication failed",
        "in-process",
    ),
    "unreachable host": (
        lambda p, pw: "postgresql://u:hunter2@127.0.0.1:1/db?connect_timeout=2",
        1,
        r"cannot connect to postgresql://u:\*\*\*@127\.0\.0\.1:1/db.*Connection refused",
        "in-process",
    ),
    "read-only folder": (
        lambda p, pw: _read_only_folder(p),
        3,
        r"(cannot create lock file .*x\.db\.lock: Permission denied"
        r"|cannot open .*x\.db: OperationalError: unable to open database file)",
        "without write access",
    ),
    "not a database": (
        lambda p, pw: _not_a_database(p),
        3,
        r"cannot open .*garbage\.db: DatabaseError: file is not a database",
        "in-process",
    ),
    "psycopg missing": (
        lambda p, pw: "postgresql://u:hunter2@127.0.0.1:1/db",
        3,
        r"postgresql:// URLs need psycopg 3: pip install 'contractspec\[postgres\]'",
        "without psycopg",
    ),
}


def _run(how: str, project: Path, argv: list[str]) -> tuple[int, str, str]:
    if how == "in-process":
        result = cli(project, *argv)
        return result.exit_code, result.stdout, result.stderr
    if how == "without psycopg":
        command = [sys.executable, "-c", WITHOUT_PSYCOPG, *argv, "-C", str(project)]
        done = subprocess.run(command, capture_output=True, text=True, timeout=120)
        return done.returncode, done.stdout, done.stderr
    # A read-only folder: root writes anywhere, so drop the capability to.
    command = [sys.executable, "-m", "contractspec", *argv, "-C", str(project)]
    if os.geteuid() == 0:
        caps = "-dac_override,-dac_read_search"
        command = [
            "setpriv",
            f"--inh-caps={caps}",
            f"--bounding-set={caps}",
            "--",
        ] + command
    done = subprocess.run(command, capture_output=True, text=True, timeout=120)
    return done.returncode, done.stdout, done.stderr


@pytest.mark.parametrize("as_json", [False, True], ids=["text", "json"])
@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c[1])
@pytest.mark.parametrize("case", list(CASES))
def test_bad_database(project, pg_password_url, pg_password, case, command, as_json):
    make_url, code, pattern, how = CASES[case]
    url = make_url(project, pg_password_url)
    argv = [*command, "--database", url] + (["--json"] if as_json else [])
    exit_code, stdout, stderr = _run(how, project, argv)
    assert exit_code == code, stderr
    assert "Traceback" not in stdout + stderr
    assert stderr.count("\n") == 1 and stderr.startswith("contractspec: error: ")
    assert re.search(pattern, stderr), stderr
    for secret in ("hunter2", pg_password, "wrong-password", quote(pg_password)):
        assert secret not in stdout + stderr
    if as_json:
        failure = json.loads(stdout)
        assert failure["ok"] is False and failure["exit_code"] == code
        assert re.search(pattern, failure["error"])
    else:
        assert stdout == ""


def test_usage_error_under_json_is_a_json_object(project):
    result = cli(project, "migrate", "up", "--json", "--no-such-option")
    assert result.exit_code == 2
    failure = json.loads(result.stdout)
    assert failure["exit_code"] == 2 and "No such option" in failure["error"]
    assert "Traceback" not in result.output


def test_status_attention_gate_exits_1_with_its_table_only(project, tmp_path):
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    result = cli(project, "migrate", "status", "--check", "--json", database=url)
    assert result.exit_code == 1
    rows = json.loads(result.stdout)  # one JSON document: the rows, no error object
    assert {row["state"] for row in rows} == {"pending"}


def test_down_checks_drift_for_everything_it_will_revert_before_starting(
    project, tmp_path, DB
):
    url = f"sqlite:///{tmp_path / 'drift.db'}"
    assert cli(project, "migrate", "up", database=url).exit_code == 0
    dry_run = cli(project, "migrate", "down", "--steps", "3", "--dry-run", database=url)
    last = dry_run.stdout.splitlines()[-1].removeprefix("would revert ")
    name = last.rsplit(".v", 1)[0]
    originals = {p: p.read_bytes() for p in (project / "migrations").rglob("*.py")}
    edited = cli(project, "spec", "set", name, "title", "Edited after it was applied")
    assert edited.exit_code == 0, edited.stderr
    try:
        assert cli(project, "build", "--all").exit_code == 0
        down = cli(project, "migrate", "down", "--steps", "3", database=url)
        assert down.exit_code == 1
        assert "drift" in down.stderr and last in down.stderr
        assert len(DB(url).history()) == 6  # the two before it were not reverted
    finally:  # the module's project is shared: put the spec back
        for path, data in originals.items():
            path.write_bytes(data)
        assert cli(project, "build", "--all").exit_code == 0


def _without_write_access(command: list[str]) -> list[str]:
    """command, unable to write what its permissions forbid (root included)."""
    if os.geteuid() != 0:
        return command
    caps = "-dac_override,-dac_read_search"
    return ["setpriv", f"--inh-caps={caps}", f"--bounding-set={caps}", "--", *command]


def test_a_read_only_sqlite_file_is_a_configuration_error(project, tmp_path):
    """A runner must write the file: exit 3 (as docs/runtime.md says), before
    anything runs; `migrate status` only reads it and works."""
    path = tmp_path / "ro.db"
    sqlite3.connect(path).execute("CREATE TABLE kept (x INTEGER)").connection.close()
    path.chmod(0o444)
    before = path.read_bytes()
    url = f"sqlite:///{path}"
    harness = sorted((project / "harnesses").glob("core__db__2025_01_add_accounts*"))[0]
    runs = {
        "migrate up": [sys.executable, "-m", "contractspec", "migrate", "up"],
        "migrate down": [sys.executable, "-m", "contractspec", "migrate", "down"],
        "harness up": [sys.executable, str(harness), "up"],
    }
    for what, command in runs.items():
        if what.startswith("migrate"):
            command += ["-C", str(project)]
        done = subprocess.run(
            _without_write_access([*command, "--database", url]),
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 3, (what, done.stderr)
        assert "Traceback" not in done.stderr
        assert re.search(
            r"cannot write .*ro\.db: the file is read-only; make it writable",
            done.stderr,
        ), (what, done.stderr)
    assert path.read_bytes() == before
    status = subprocess.run(
        _without_write_access(
            [
                sys.executable,
                "-m",
                "contractspec",
                "migrate",
                "status",
                "-C",
                str(project),
            ]
            + ["--database", url]
        ),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert status.returncode == 0, status.stderr
