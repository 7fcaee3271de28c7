"""Shared fixtures: a real PostgreSQL 15 server started by the test run, fresh
databases of both kinds, and a stand-in harness writer.

PostgreSQL: `CONTRACTSPEC_TEST_PG_URL` (a server URL whose user may CREATE
DATABASE) wins; otherwise a throwaway server is started from the PostgreSQL
binaries (`pg_config --bindir` or /usr/lib/postgresql/*/bin), as the
`postgres` OS user when we run as root. Missing binaries skip the PostgreSQL
tests, except under CI=true, where that is a failure.

The suite runs in parallel (pytest-xdist, configured in pyproject.toml): each
worker is a session of its own, so each starts its own server (its own folder
and port) and every test gets its own databases and tmp_path; nothing is
shared between workers but read-only files.

Hypothesis: the "ci" profile under CI=true runs every property test's full
example count; otherwise "dev" runs a fifth of it (support.examples), for a
quick edit-test loop. `--hypothesis-profile ci` asks for the full run anyway.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from hypothesis import settings

pytest_plugins = ["pytester"]  # for testing the pytest plugin

REPO = Path(__file__).resolve().parents[1]
CI = os.environ.get("CI", "").lower() == "true"

# support.examples scales each property test's full count by max_examples / 100.
settings.register_profile("ci", max_examples=100)
settings.register_profile("dev", max_examples=20)
settings.load_profile("ci" if CI else "dev")


def pytest_collection_modifyitems(items):
    """Slow tests first (stable otherwise): in parallel, the long ones start early
    instead of leaving one worker busy with them after the others are done."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)


# --- PostgreSQL server ---------------------------------------------------------


def _pg_bindir() -> Path | None:
    candidates = []
    if shutil.which("pg_config"):
        try:
            out = subprocess.run(
                ["pg_config", "--bindir"], capture_output=True, text=True, check=True
            ).stdout.strip()
            candidates.append(Path(out))
        except (OSError, subprocess.CalledProcessError):
            pass
    found = glob.glob("/usr/lib/postgresql/*/bin")
    found.sort(
        key=lambda p: int(Path(p).parent.name) if Path(p).parent.name.isdigit() else 0
    )
    candidates += [Path(p) for p in reversed(found)]
    for directory in candidates:
        if (directory / "initdb").exists() and (directory / "pg_ctl").exists():
            return directory
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _as_postgres(cmd: list[str]) -> list[str]:
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *cmd]
    return cmd


def _unavailable(reason: str):
    if CI:
        pytest.fail(f"PostgreSQL is required under CI=true: {reason}")
    pytest.skip(f"PostgreSQL unavailable: {reason}")


@pytest.fixture(scope="session")
def pg_url():
    """URL of a PostgreSQL server (maintenance database `postgres`)."""
    env = os.environ.get("CONTRACTSPEC_TEST_PG_URL")
    if env:
        yield env
        return
    try:
        import psycopg  # noqa: F401
    except ImportError:
        _unavailable("psycopg is not installed")
    bindir = _pg_bindir()
    if bindir is None:
        _unavailable(
            "no PostgreSQL binaries (pg_config --bindir, /usr/lib/postgresql/*/bin)"
        )
    root = Path(tempfile.mkdtemp(prefix="contractspec-pg-"))
    data, sock, log = root / "data", root / "sock", root / "server.log"
    sock.mkdir()
    if os.geteuid() == 0:
        shutil.chown(root, "postgres")
        shutil.chown(sock, "postgres")
    subprocess.run(
        _as_postgres(
            [
                str(bindir / "initdb"),
                "-D",
                str(data),
                "-A",
                "trust",
                "-U",
                "postgres",
                "-E",
                "UTF8",
                "--no-sync",
                "--no-instructions",
            ]
        ),
        check=True,
        capture_output=True,
    )
    for _attempt in range(3):  # a port another worker's server took meanwhile: again
        port = _free_port()
        options = (
            f"-p {port} -k {sock} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
        )
        start = subprocess.run(
            _as_postgres(
                [
                    str(bindir / "pg_ctl"),
                    "-D",
                    str(data),
                    "-l",
                    str(log),
                    "-o",
                    options,
                    "-w",
                    "-t",
                    "60",
                    "start",
                ]
            ),
            capture_output=True,
            text=True,
        )
        if start.returncode == 0:
            break
    else:
        text = log.read_text() if log.exists() else ""
        pytest.fail(f"could not start PostgreSQL: {start.stderr}\n{text}")
    try:
        yield f"postgresql://postgres@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run(
            _as_postgres(
                [
                    str(bindir / "pg_ctl"),
                    "-D",
                    str(data),
                    "-m",
                    "immediate",
                    "-w",
                    "stop",
                ]
            ),
            capture_output=True,
        )
        shutil.rmtree(root, ignore_errors=True)


def _with_dbname(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/" + name))


@pytest.fixture
def pg_db(pg_url):
    """A fresh, empty PostgreSQL database for one test; dropped afterwards."""
    import psycopg

    name = "t_" + uuid.uuid4().hex[:16]
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield _with_dbname(pg_url, name)
    finally:
        with psycopg.connect(pg_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path):
    """A fresh database URL of each kind: a SQLite file or a PostgreSQL db."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'test.db'}"  # absolute: sqlite:////tmp/...
    return request.getfixturevalue("pg_db")


# --- looking at a database from the outside ---------------------------------------


class DB:
    """Independent access to a test database (not through the runtime)."""

    def __init__(self, url: str):
        self.url = url
        self.dialect = "sqlite" if url.startswith("sqlite:") else "postgresql"

    def _connect(self):
        if self.dialect == "sqlite":
            return sqlite3.connect(self.url[len("sqlite:///") :], isolation_level=None)
        import psycopg

        return psycopg.connect(self.url, autocommit=True)

    def rows(self, sql: str, params=()) -> list[tuple]:
        conn = self._connect()
        try:
            if self.dialect == "postgresql":
                sql = sql.replace("?", "%s")
            cur = conn.execute(sql, params)
            return [tuple(r) for r in cur.fetchall()] if cur.description else []
        finally:
            conn.close()

    def scalar(self, sql: str, params=()):
        rows = self.rows(sql, params)
        return rows[0][0] if rows else None

    def execute(self, sql: str) -> None:
        conn = self._connect()
        try:
            if self.dialect == "sqlite":
                conn.executescript(sql)
            else:
                conn.execute(sql)
        finally:
            conn.close()

    def table_exists(self, name: str) -> bool:
        if self.dialect == "sqlite":
            return bool(
                self.scalar(
                    "SELECT count(*) FROM sqlite_master WHERE name = ?", (name,)
                )
            )
        return bool(self.scalar("SELECT to_regclass(?) IS NOT NULL", (name,)))

    def history(self) -> list[tuple]:
        if not self.table_exists("contractspec_history"):
            return []
        return self.rows(
            "SELECT key, spec_fingerprint FROM contractspec_history ORDER BY key"
        )

    def events(self, migration: str | None = None) -> list[dict]:
        if not self.table_exists("contractspec_events"):
            return []
        cols = [
            "id",
            "run_id",
            "migration",
            "step",
            "attempt",
            "event",
            "status",
            "error",
            "detail",
        ]
        sql = f"SELECT {', '.join(cols)} FROM contractspec_events"
        params: tuple = ()
        if migration is not None:
            sql, params = sql + " WHERE migration = ?", (migration,)
        return [
            dict(zip(cols, r, strict=False))
            for r in self.rows(sql + " ORDER BY id", params)
        ]


@pytest.fixture
def db(database_url) -> DB:
    return DB(database_url)


@pytest.fixture(name="DB")
def db_class():
    """The DB inspector class, for URLs other than `database_url`."""
    return DB


# --- a stand-in harness (codegen is built elsewhere) -------------------------------


def write_harness(path: Path, migration: dict) -> Path:
    """Write a harness of the real shape around test MIGRATION data: the header
    (the spec fingerprint, taken out of the data), the real entry points, and
    the shared runtime package beside it."""
    from contractspec.codegen.generate import runtime_sources, tail_source
    from contractspec.codegen.render import RUNTIME_NAME
    from contractspec.runtime import HARNESS_FORMAT, fingerprint_value

    path = Path(path)
    (path.parent / RUNTIME_NAME).mkdir(parents=True, exist_ok=True)
    for name, source in runtime_sources().items():
        (path.parent / RUNTIME_NAME / name).write_text(source, encoding="utf-8")
    data = dict(migration)
    fingerprint = data.pop("spec_fingerprint", "sha256:" + "0" * 64)
    text = (
        "# Code generated by contractspec tests. DO NOT EDIT.\n"
        f"# contractspec-fingerprint: {fingerprint_value(fingerprint, data)}\n"
        f"# contractspec-format: {HARNESS_FORMAT}\n"
        "import os\nimport sys\n\n"
        f"MIGRATION = {data!r}\n" + tail_source()
    )
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture(name="write_harness")
def write_harness_fixture():
    return write_harness


def run_harness(
    path: Path, *args: str, timeout: float = 60, **kwargs
) -> subprocess.CompletedProcess:
    """Run a harness file in a fresh interpreter."""
    return subprocess.run(
        [sys.executable, str(path), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        **kwargs,
    )


@pytest.fixture(name="run_harness")
def run_harness_fixture():
    return run_harness


# --- black as the fallback ---------------------------------------------------------


@pytest.fixture
def black_formats(monkeypatch):
    """Builds as under a black series other than the one codegen emits: every
    harness head goes through black and its cache (format.black_form)."""
    from contractspec import format as fmt

    monkeypatch.setattr(fmt, "EMITTED_STYLE", "another series")


# --- a role that must give its password ------------------------------------------

PG_PASSWORD_USER, PG_PASSWORD = "contractspec_pw", "s3cret-Pw@x:y/z?&%"


@pytest.fixture(scope="session")
def pg_password_url(pg_url):
    """A URL (without the password) of a role the server asks a password of
    (scram-sha-256 over TCP): a wrong password really fails, a right one is
    really used. pg_hba.conf gets one line for that role, then a reload."""
    import psycopg
    from psycopg import sql

    with psycopg.connect(pg_url, autocommit=True) as conn:
        if not conn.execute(
            "SELECT rolsuper FROM pg_roles WHERE rolname = current_user"
        ).fetchone()[0]:
            _unavailable("the test server's user is not a superuser (pg_hba.conf)")
        hba = Path(conn.execute("SHOW hba_file").fetchone()[0])
        line = f"host all {PG_PASSWORD_USER} 127.0.0.1/32 scram-sha-256\n"
        text = hba.read_text()
        if line not in text:
            hba.write_text(line + text)  # first match wins: before the trust lines
        conn.execute(f"DROP ROLE IF EXISTS {PG_PASSWORD_USER}")
        conn.execute(
            sql.SQL("CREATE ROLE {} LOGIN SUPERUSER PASSWORD {}").format(
                sql.Identifier(PG_PASSWORD_USER), sql.Literal(PG_PASSWORD)
            )
        )
        conn.execute("SELECT pg_reload_conf()")
    parts = urlsplit(pg_url)
    return urlunsplit(
        parts._replace(netloc=f"{PG_PASSWORD_USER}@{parts.hostname}:{parts.port}")
    )


@pytest.fixture(scope="session")
def pg_password() -> str:
    """The password of the role of pg_password_url."""
    return PG_PASSWORD


# --- a small project of chained specs -----------------------------------------------


def write_project(
    folder: Path, steps: dict[str, str], files: dict[str, str] | None = None
) -> Path:
    """A project in folder whose specs, in order, each depend on the one
    before: `steps` maps a migration name to its up steps (Python source,
    such as 'SchemaStep("CREATE TABLE t (id INTEGER)")'); `files` are written
    beside the specs (a `_slow.py` a DataStep runs). Harnesses go to
    `harnesses/`; building them is the test's business."""
    migrations = folder / "migrations"
    migrations.mkdir(parents=True)
    (folder / "pyproject.toml").write_text(
        '[tool.contractspec]\nharnesses = "harnesses"\n'
    )
    for name, text in (files or {}).items():
        (migrations / name).write_text(text)
    previous = None
    for number, (name, up) in enumerate(steps.items(), 1):
        dependency = f"dependencies=[{previous!r}]," if previous else ""
        (migrations / f"m{number}.py").write_text(
            "from contractspec import DataStep, MigrationMeta, MigrationPlan,"
            " MigrationSpec, SchemaStep\n\n"
            f"spec = MigrationSpec(meta=MigrationMeta(name={name!r}, version=1,"
            f' title="m{number}", owners=["qa"]), plan=MigrationPlan(up=[{up}],'
            f" down=[]), {dependency})\n"
        )
        previous = name
    return folder


@pytest.fixture(name="write_project", scope="session")
def write_project_fixture():
    return write_project


# --- copies of a checked-in project ----------------------------------------------


def copy_tracked(source: Path, target: Path, *, skip: tuple[str, ...] = ()) -> Path:
    """Copy the files git knows under `source` (tracked, or new and not ignored) to
    `target`, leaving out the top-level entries named in `skip`.

    What a run leaves behind in the checkout (databases, lock files, caches) is
    ignored by git, so it never reaches a test's copy.
    """
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=source,
        capture_output=True,
        check=True,
    ).stdout.decode()
    for name in sorted(set(filter(None, listed.split("\0")))):
        if Path(name).parts[0] in skip or not (source / name).is_file():
            continue  # skipped, or deleted but not yet committed
        (target / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source / name, target / name)
    return target


@pytest.fixture(name="copy_tracked")
def copy_tracked_fixture():
    return copy_tracked


@pytest.fixture(autouse=True)
def _no_platform_database_url(monkeypatch):
    """`$DATABASE_URL` (set by many platforms) would become every test's database."""
    monkeypatch.delenv("DATABASE_URL", raising=False)
