"""No password in any output: every form libpq accepts, through every channel
(stdout, stderr, --json, the audit log, the logging module, the events and
history tables, and a standalone harness). The password is real: the role of `pg_password_url`
must give it, so the forms that connect prove they were read right."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote, urlsplit

import pytest
from click.testing import CliRunner

from contractspec.cli import root

WRONG = "Wr0ngPass@Word9"  # the password of the forms that must not connect
SPACED = "Wr0ng Pa55 w0rd:x/y%z"  # a password libpq can't read unquoted or unencoded


def _forms(url: str, dbname: str, password: str) -> dict[str, tuple[str, bool]]:
    """name -> (database URL, whether it connects): the password in the URL."""
    parts = urlsplit(url)
    u, h, p, d = parts.username, parts.hostname, parts.port, dbname
    e, ew = quote(password, safe=""), quote(WRONG, safe="")
    partly = (  # only what must be encoded in userinfo: ':' and '&' stay
        password.replace("%", "%25").replace("@", "%40").replace("/", "%2F")
    ).replace("?", "%3F")
    return {
        "userinfo": (f"postgresql://{u}:{e}@{h}:{p}/{d}", True),
        "postgres scheme": (f"postgres://{u}:{e}@{h}:{p}/{d}", True),
        "upper-case scheme": (f"POSTGRESQL://{u}:{e}@{h}:{p}/{d}", True),
        "mixed-case scheme": (f"PostgreS://{u}:{e}@{h}:{p}/{d}", True),
        "query password": (f"postgresql://{u}@{h}:{p}/{d}?password={e}", True),
        "query user and password": (
            f"postgresql://{h}:{p}/{d}?user={u}&password={e}&sslmode=disable",
            True,
        ),
        "host in the query": (
            f"postgresql:///{d}?host={h}&port={p}&user={u}&password={e}",
            True,
        ),
        "more parameters": (
            f"postgresql://{u}:{e}@{h}:{p}/{d}?connect_timeout=5&application_name=x",
            True,
        ),
        "partly encoded": (f"postgresql://{u}:{partly}@{h}:{p}/{d}", True),
        "keyword/value": (
            f"host={h} port={p} dbname={d} user={u} password='{password}'",
            True,
        ),
        "keyword/value with spaces": (
            f"host = {h} port = {p} dbname = {d} user = {u} password = '{password}'",
            True,
        ),
        "keyword/value, password first": (
            f"password='{password}' host={h} port={p} dbname={d} user={u}",
            True,
        ),
        "unencoded @": (f"postgresql://{u}:{WRONG}@{h}:{p}/{d}", False),
        "unencoded @, upper case": (f"POSTGRESQL://{u}:{WRONG}@{h}:{p}/{d}", False),
        "wrong password": (f"postgresql://{u}:{ew}@{h}:{p}/{d}", False),
        "wrong password, keyword": (
            f"host={h} port={p} dbname={d} user={u} password={WRONG}",
            False,
        ),
        "unencoded @ in the query": (
            f"postgresql://{u}@{h}:{p}/{d}?password={WRONG}",
            False,
        ),
        "bad port": (f"postgresql://{u}:{ew}@{h}:notaport/{d}", False),
        "unreachable, keyword": (
            f"host=127.0.0.1 port=1 user={u} password={WRONG} connect_timeout=2",
            False,
        ),
        "unreachable": (f"postgresql://{u}:{ew}@127.0.0.1:1/{d}", False),
        # Refused before libpq reads them: its messages quote what follows a
        # space, an '@' or a '/' (the tail of the password) as a host, a
        # database or a word without "=".
        "space in the password": (f"postgresql://{u}:{SPACED}@{h}:{p}/{d}", False),
        "space in the query password": (
            f"postgresql://{u}@{h}:{p}/{d}?password={SPACED}&sslmode=disable",
            False,
        ),
        "unencoded @ and /": (f"postgresql://{u}:Wr0ng@Pa55/w0rd@{h}:{p}/{d}", False),
        "unencoded /": (f"postgresql://{u}:Wr0ng/Pa55w0rd@{h}:{p}/{d}", False),
        "keyword/value, unquoted space": (
            f"host={h} port={p} dbname={d} user={u} password={SPACED}",
            False,
        ),
        "SQLite URL with a password": (f"sqlite://{u}:{WRONG}@{h}/x.db", False),
    }


def _from_libpq(
    url: str, dbname: str, password: str, folder: Path
) -> dict[str, tuple[str, dict[str, str], bool]]:
    """name -> (database URL, environment, whether it connects): the password
    where libpq finds it besides the URL (the files of _password_files)."""
    parts = urlsplit(url)
    u, h, p, d = parts.username, parts.hostname, parts.port, dbname
    plain = f"postgresql://{u}@{h}:{p}/{d}"
    services = {"PGSERVICEFILE": str(folder / "pg_service.conf")}
    return {
        "PGPASSWORD": (plain, {"PGPASSWORD": password}, True),
        "PGPASSWORD, keyword/value": (
            f"host={h} port={p} dbname={d} user={u}",
            {"PGPASSWORD": password},
            True,
        ),
        "password file": (plain, {"PGPASSFILE": str(folder / "pgpass")}, True),
        "service file": (f"postgresql:///{d}?service=app", services, True),
        "service file, keyword/value": (f"service=app dbname={d}", services, True),
        "wrong PGPASSWORD": (plain, {"PGPASSWORD": WRONG}, False),
    }


def _password_files(url: str, password: str, folder: Path) -> None:
    """A password file and a service file (service `app`) for the role of url."""
    parts = urlsplit(url)
    u, h, p = parts.username, parts.hostname, parts.port
    pgpass = folder / "pgpass"  # `:` and `\` escaped, as libpq reads it
    escaped = password.replace("\\", "\\\\").replace(":", "\\:")
    pgpass.write_text(f"{h}:{p}:*:{u}:{escaped}\n")
    pgpass.chmod(0o600)  # libpq ignores a password file others may read
    (folder / "pg_service.conf").write_text(
        f"[app]\nhost={h}\nport={p}\nuser={u}\npassword={password}\n"
    )


FORMS = list(_forms("postgresql://u@h:1/d", "d", "x"))
LIBPQ_FORMS = list(_from_libpq("postgresql://u@h:1/d", "d", "x", Path(".")))


@pytest.fixture(scope="module")
def project(tmp_path_factory, write_project) -> Path:
    """m1 applies; m2's Python step fails quoting the database URL it was given."""
    leak = (  # a real SQL error that quotes the URL and the password libpq used
        "import os\n\ndef run(conn):\n"
        "    url = os.environ['CONTRACTSPEC_DATABASE_URL']\n"
        "    said = 'cannot reach ' + url + ' as ' + (conn.info.password or '')\n"
        "    conn.execute('SELECT %s::int', [said])\n"
    )
    project = write_project(
        tmp_path_factory.mktemp("redaction") / "leak",
        {
            "leak.db.m1": 'SchemaStep("CREATE TABLE t1 (id INTEGER)")',
            "leak.db.m2": 'DataStep(script="_leak.py:run")',
        },
        {"_leak.py": leak},
    )
    result = CliRunner().invoke(root, ["build", "--all", "-C", str(project)])
    assert result.exit_code == 0, result.output
    return project


@pytest.mark.parametrize("form", FORMS + LIBPQ_FORMS)
def test_no_password_in_any_output(
    tmp_path, project, pg_db, pg_password_url, pg_password, DB, form, caplog
):
    caplog.set_level(logging.DEBUG, logger="contractspec")  # the logging channel
    dbname = urlsplit(pg_db).path.lstrip("/")
    if form in FORMS:
        url, connects = _forms(pg_password_url, dbname, pg_password)[form]
        env = {}
    else:
        _password_files(pg_password_url, pg_password, tmp_path)
        forms = _from_libpq(pg_password_url, dbname, pg_password, tmp_path)
        url, env, connects = forms[form]
    audit = tmp_path / "audit.jsonl"
    env["CONTRACTSPEC_DATABASE_URL"] = url  # what the failing step quotes
    runner = CliRunner()
    seen: list[str] = []
    for argv in (
        ["migrate", "up", "--audit-log", str(audit)],
        ["migrate", "up", "--json", "--audit-log", str(audit)],
        ["migrate", "status"],
        ["migrate", "status", "--json"],
    ):
        result = runner.invoke(root, [*argv, "-C", str(project)], env=env)
        seen += [result.stdout, result.stderr]
        assert "Traceback" not in result.stdout + result.stderr
        if connects:  # up: m1 applies, m2 fails; status: no --check
            assert result.exit_code == (1 if "up" in argv else 0), result.stderr
        else:
            assert result.exit_code in (1, 3), result.stderr
        if "--json" in argv:
            json.loads(result.stdout)
    harness = project / "harnesses" / "leak__db__m2__v1.py"
    done = subprocess.run(
        [sys.executable, str(harness), "up", "--json", "--audit-log", str(audit)],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, **env},
    )
    seen += [done.stdout, done.stderr]
    assert "Traceback" not in done.stderr and done.returncode in (1, 3)
    if audit.exists():
        seen.append(audit.read_text())
    seen += [caplog.text, repr([r.__dict__ for r in caplog.records])]
    db = DB(pg_db)
    if connects:  # it really connected: m1 applied, m2's failure recorded
        assert [key for key, _ in db.history()] == ["leak.db.m1.v1"]
        events = db.rows("SELECT * FROM contractspec_events")
        history = db.rows("SELECT * FROM contractspec_history")
        assert any("cannot reach" in str(row) for row in events)
        seen += [repr(events), repr(history)]
        said = "".join(seen)  # the server's own message got out, masked:
        assert "invalid input syntax for type integer" in said
        assert " as ***" in said  # the password libpq used, wherever it was found
        assert "cannot reach" in caplog.text  # logged too
    else:
        assert not db.table_exists("contractspec_history")
    text = "\n".join(seen)
    if os.environ.get("SHOW_REDACTED"):
        print(text)
    for secret in (pg_password, quote(pg_password, safe=""), quote(pg_password)):
        assert secret not in text
    for fragment in ("s3cret", "Wr0ng", "Word9", "Pw%40x", "Pw@x", "Pa55", "w0rd"):
        assert fragment not in text, fragment
    if connects or form in FORMS:  # a wrong PGPASSWORD is in no text to mask
        assert "***" in text or "(not shown: it may hold a password)" in text
