"""A data step whose SQL is a pointer (issue 22): an https:// or file:// URL
pinned by sha256. Build never fetches; a run fetches (timeout, size cap,
proxy variables), refuses other bytes, keeps what it fetched in the
project's cache by its hash, and reads --scripts-dir on a machine without
network; lint --fetch lints it; a token in the URL is masked everywhere.

The server is http.server in a thread behind real TLS: a certificate made
here by openssl, trusted through SSL_CERT_FILE as a team trusts its own CA."""

from __future__ import annotations

import hashlib
import http.server
import json
import shutil
import ssl
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from support import cli, status

SQL = b"INSERT INTO ledger (id, cents) VALUES (1, 500), (2, -500);\n"
PIN = hashlib.sha256(SQL).hexdigest()
TOKEN = "tok-8f3a9c2e51d7"
KEY = "app.db.m1_ledger.v1"


@pytest.fixture(scope="session")
def certificate(tmp_path_factory) -> Path:
    """A self-signed certificate for 127.0.0.1 (key and certificate in one file)."""
    folder = tmp_path_factory.mktemp("tls")
    openssl = shutil.which("openssl")
    assert openssl, "the pointer tests need the openssl command to make a certificate"
    subprocess.run(
        [
            openssl,
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1,DNS:localhost",
            "-keyout",
            str(folder / "key.pem"),
            "-out",
            str(folder / "cert.pem"),
        ],
        check=True,
        capture_output=True,
    )
    return folder


class Server:
    """An HTTPS file server: `files` by path; `token`, when set, is required
    (as ?token= or a basic-auth password); `delay` before answering; `drip`
    seconds between chunks of 1 KiB; `length` whether to send Content-Length;
    `moved` paths answered with a redirect to another URL."""

    def __init__(self, tls: Path):
        self.files: dict[str, bytes] = {}
        self.token: str | None = None
        self.delay = self.drip = 0.0
        self.length = True
        self.moved: dict[str, str] = {}
        self.requests: list[tuple[str, str | None]] = []  # (target, Authorization)
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                server.requests.append((self.path, self.headers.get("Authorization")))
                parts = urlsplit(self.path)
                if parts.path in server.moved:
                    self.send_response(302)
                    self.send_header("Location", server.moved[parts.path])
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                given = parse_qs(parts.query).get("token", [None])[0]
                auth = self.headers.get("Authorization") or ""
                if (
                    server.token
                    and given != server.token
                    and server.token not in (_basic_password(auth))
                ):
                    self.send_error(403)
                    return
                body = server.files.get(parts.path)
                if body is None:
                    self.send_error(404)
                    return
                time.sleep(server.delay)
                self.send_response(200)
                if server.length:
                    self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                for start in range(0, len(body), 1024):
                    self.wfile.write(body[start : start + 1024])
                    self.wfile.flush()
                    time.sleep(server.drip)

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = _Quiet(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(tls / "cert.pem", tls / "key.pem")
        self.httpd.socket = context.wrap_socket(self.httpd.socket, server_side=True)
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path: str) -> str:
        return f"https://127.0.0.1:{self.port}{path}"

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


class _Quiet(http.server.ThreadingHTTPServer):
    def handle_error(self, request: object, client_address: object) -> None:
        pass  # a client that gave up (a timeout, a size cap): what the tests do


def _basic_password(header: str) -> str:
    import base64

    if not header.startswith("Basic "):
        return ""
    return base64.b64decode(header[6:]).decode().partition(":")[2]


@pytest.fixture
def server(certificate, monkeypatch):
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate / "cert.pem"))
    for name in ("https_proxy", "HTTPS_PROXY", "no_proxy", "NO_PROXY"):
        monkeypatch.delenv(name, raising=False)
    running = Server(certificate)
    running.files["/ledger.sql"] = SQL
    yield running
    running.stop()


def project(
    tmp_path: Path, url: str, pin: str = PIN, settings: str = "", extra: str = ""
) -> Path:
    root = tmp_path / "app"
    (root / "migrations").mkdir(parents=True, exist_ok=True)
    (root / "pyproject.toml").write_text(
        f'[tool.contractspec]\nharnesses = "harnesses"\n{settings}'
    )
    (root / "migrations" / "m1.py").write_text(
        "from contractspec import DataStep, MigrationCheck, MigrationMeta,"
        " MigrationPlan, MigrationSpec, SchemaStep\n\n"
        "spec = MigrationSpec(\n"
        "    meta=MigrationMeta(name='app.db.m1_ledger', version=1, title='ledger',"
        " owners=['qa']),\n"
        "    plan=MigrationPlan(up=[\n"
        "        SchemaStep('CREATE TABLE ledger (id INTEGER PRIMARY KEY, cents INTEGER)'),\n"
        f"        DataStep({url!r}, sha256={pin!r}{extra},\n"
        "            post_checks=[MigrationCheck('balanced', 'SELECT SUM(cents) = 0"
        " FROM ledger')]),\n"
        "    ], down=[SchemaStep('DROP TABLE ledger')]),\n"
        ")\n"
    )
    built = cli(root, "build", "--all")
    assert built.exit_code == 0, built.stderr
    return root


def cached(root: Path) -> Path:
    return root / ".contractspec_cache" / "scripts" / PIN


def test_build_never_fetches_and_the_harness_holds_url_and_pin(tmp_path, server):
    url = server.url("/ledger.sql")
    root = project(tmp_path, url)
    assert server.requests == []
    text = (root / "harnesses" / "app__db__m1_ledger__v1.py").read_text()
    assert f'            "script": "{url}",\n' in text
    assert '            "script_type": "url",\n' in text
    assert f'            "script_sha256": "{PIN}",\n' in text
    assert cli(root, "build", "--check").exit_code == 0
    # The pin is part of the spec's fingerprint: another pin, another harness.
    other = project(tmp_path / "other", url, "0" * 64)
    line = text.splitlines()[1]
    assert (other / "harnesses" / "app__db__m1_ledger__v1.py").read_text().splitlines()[
        1
    ] != line
    assert server.requests == []


def test_a_run_fetches_verifies_caches_and_then_needs_no_server(
    tmp_path, server, database_url, db
):
    root = project(tmp_path, server.url("/ledger.sql"))
    run = cli(root, "migrate", "up", database=database_url)
    assert run.exit_code == 0, run.stderr
    assert db.rows("SELECT id, cents FROM ledger ORDER BY id") == [(1, 500), (2, -500)]
    assert len(server.requests) == 1
    assert cached(root).read_bytes() == SQL
    assert (root / ".contractspec_cache" / ".gitignore").exists()
    # The server is gone: the cache has it, checked by its hash.
    server.stop()
    assert cli(root, "migrate", "down", database=database_url).exit_code == 0
    again = cli(root, "migrate", "up", database=database_url)
    assert again.exit_code == 0, again.stderr
    assert db.scalar("SELECT COUNT(*) FROM ledger") == 2


def test_other_bytes_than_the_pin_are_refused_and_nothing_runs(
    tmp_path, server, database_url, db
):
    server.files["/ledger.sql"] = SQL.replace(b"-500", b"-400")
    root = project(tmp_path, server.url("/ledger.sql"))
    run = cli(root, "migrate", "up", database=database_url)
    assert run.exit_code == 1
    actual = hashlib.sha256(server.files["/ledger.sql"]).hexdigest()
    assert (
        f"up step 2/2 (data): {server.url('/ledger.sql')}: sha256 {actual},"
        f" pinned {PIN}: refused"
    ) in run.stderr
    assert not db.table_exists("ledger") and db.history() == []
    assert not cached(root).exists()
    # A cache entry that is not what its name says is not trusted either.
    cached(root).parent.mkdir(parents=True)
    cached(root).write_bytes(server.files["/ledger.sql"])
    assert cli(root, "migrate", "up", database=database_url).exit_code == 1
    assert not db.table_exists("ledger")


def test_scripts_dir_serves_a_machine_without_network(tmp_path, server):
    url = server.url("/ledger.sql")
    server.stop()
    root = project(tmp_path, url)
    database = f"sqlite:///{tmp_path / 'app.db'}"
    offline = cli(root, "migrate", "up", database=database)
    assert offline.exit_code == 1
    assert f"--scripts-dir DIR holding the file named {PIN}" in offline.stderr
    folder = tmp_path / "carried"
    folder.mkdir()
    (folder / PIN).write_bytes(SQL.replace(b"500", b"501"))  # not what its name says
    wrong = cli(root, "migrate", "up", "--scripts-dir", str(folder), database=database)
    assert wrong.exit_code == 1
    assert f"{folder / PIN} does not hold the pinned bytes (ignored)" in wrong.stderr
    (folder / PIN).write_bytes(SQL)
    run = cli(root, "migrate", "up", "--scripts-dir", str(folder), database=database)
    assert run.exit_code == 0, run.stderr
    assert cached(root).read_bytes() == SQL  # kept for the next run


def test_the_size_cap_and_the_timeout_stop_a_fetch(tmp_path, server):
    database = f"sqlite:///{tmp_path / 'app.db'}"
    big = b"INSERT INTO ledger (id, cents) VALUES (1, 0);\n" + b"-- pad\n" * 400
    server.files["/big.sql"] = big
    pin = hashlib.sha256(big).hexdigest()
    capped = project(
        tmp_path / "capped", server.url("/big.sql"), pin, "fetch_max_bytes = 1024\n"
    )
    run = cli(capped, "migrate", "up", database=database)
    assert run.exit_code == 1
    assert (
        f"{len(big)} bytes: more than the 1024 bytes a pointer may hold"
        " (fetch_max_bytes)"
    ) in run.stderr
    server.length = False  # no Content-Length: the cap holds while reading
    run = cli(capped, "migrate", "up", database=database)
    assert run.exit_code == 1 and "more than the 1024 bytes" in run.stderr
    server.length = True
    slow = project(
        tmp_path / "slow", server.url("/big.sql"), pin, "fetch_timeout = 0.5\n"
    )
    server.delay = 2.0  # the answer comes too late
    t0 = time.monotonic()
    run = cli(slow, "migrate", "up", database=database)
    assert run.exit_code == 1 and "timed out" in run.stderr
    assert time.monotonic() - t0 < 1.9
    server.delay, server.drip = 0.0, 0.3  # each chunk in time, the whole too late
    t0 = time.monotonic()
    run = cli(slow, "migrate", "up", database=database)
    assert run.exit_code == 1 and "timed out after 0.5 s" in run.stderr
    assert time.monotonic() - t0 < 1.5
    import sqlite3

    with sqlite3.connect(tmp_path / "app.db") as conn:  # nothing ran
        found = "SELECT name FROM sqlite_master WHERE name = 'ledger'"
        assert conn.execute(found).fetchall() == []


def test_a_token_in_the_url_is_masked_everywhere(tmp_path, server, monkeypatch):
    server.token = TOKEN
    monkeypatch.setenv("SCRIPTS_TOKEN", TOKEN)
    database = f"sqlite:///{tmp_path / 'app.db'}"
    audit = tmp_path / "audit.jsonl"
    # The token from the environment: never in the spec, the harness, the output.
    root = project(tmp_path, server.url("/ledger.sql") + "?token=${SCRIPTS_TOKEN}")
    run = cli(
        root, "migrate", "up", "--audit-log", str(audit), "--json", database=database
    )
    assert run.exit_code == 0, run.stderr
    assert server.requests[-1][0] == f"/ledger.sql?token={TOKEN}"
    # The token in the URL itself (a user name and password), and a 404: the
    # failure names the URL, masked.
    written = project(
        tmp_path / "written",
        server.url("/missing.sql").replace("://", f"://reader:{TOKEN}@"),
    )
    failed = cli(
        written,
        "migrate",
        "up",
        "--audit-log",
        str(audit),
        "--json",
        database=f"sqlite:///{tmp_path / 'other.db'}",
    )
    assert failed.exit_code == 1
    error = json.loads(failed.stdout)["failed"]["error"]
    assert "HTTP 404" in error and "cannot fetch https://***@127.0.0.1" in error
    assert server.requests[-1][1] is not None  # sent as basic authentication
    # A token written as a query parameter: masked by its name.
    plan = subprocess.run(
        [
            sys.executable,
            str(
                project(
                    tmp_path / "query", server.url("/ledger.sql") + f"?token={TOKEN}"
                )
                / "harnesses"
                / "app__db__m1_ledger__v1.py"
            ),
            "plan",
        ],
        capture_output=True,
        text=True,
    )
    assert plan.returncode == 0 and "?token=***" in plan.stdout
    seen = [
        run.stdout,
        run.stderr,
        failed.stdout,
        failed.stderr,
        plan.stdout,
        audit.read_text(),
        json.dumps(status(root, database)),
        (root / "harnesses" / "app__db__m1_ledger__v1.py").read_text(),
    ]
    import sqlite3

    for name in ("app.db", "other.db"):
        with sqlite3.connect(tmp_path / name) as conn:
            seen += [repr(conn.execute("SELECT * FROM contractspec_events").fetchall())]
    assert all(TOKEN not in text for text in seen)
    assert "${SCRIPTS_TOKEN}" in seen[-3]  # the harness holds the reference only


def test_a_redirect_is_not_given_the_password(tmp_path, server):
    # An artifact server that sends the download elsewhere (a signed URL):
    # the credentials were for it, not for where it points.
    server.moved["/latest.sql"] = server.url("/ledger.sql")
    root = project(
        tmp_path, server.url("/latest.sql").replace("://", f"://reader:{TOKEN}@")
    )
    run = cli(root, "migrate", "up", database=f"sqlite:///{tmp_path / 'app.db'}")
    assert run.exit_code == 0, run.stderr
    [(first, sent), (second, followed)] = server.requests
    assert (first, second) == ("/latest.sql", "/ledger.sql")
    assert _basic_password(sent or "") == TOKEN and followed is None


def test_the_proxy_variables_are_honoured(tmp_path, server, monkeypatch):
    root = project(tmp_path, server.url("/ledger.sql"))
    database = f"sqlite:///{tmp_path / 'app.db'}"
    with __import__("socket").socket() as closed:  # a port nobody listens on
        closed.bind(("127.0.0.1", 0))
        dead = closed.getsockname()[1]
    monkeypatch.setenv("https_proxy", f"http://127.0.0.1:{dead}")
    run = cli(root, "migrate", "up", database=database)
    assert run.exit_code == 1 and "cannot fetch" in run.stderr
    assert server.requests == []  # it went to the proxy, not to the server
    monkeypatch.setenv("no_proxy", "127.0.0.1")
    run = cli(root, "migrate", "up", database=database)
    assert run.exit_code == 0, run.stderr


def test_file_urls_and_the_standalone_harness(tmp_path, server):
    shared = tmp_path / "share" / "ledger.sql"
    shared.parent.mkdir()
    shared.write_bytes(SQL)
    root = project(tmp_path, shared.as_uri())
    harness = root / "harnesses" / "app__db__m1_ledger__v1.py"
    database = f"sqlite:///{tmp_path / 'app.db'}"
    run = subprocess.run(
        [sys.executable, str(harness), "up", "--database", database],
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, run.stderr
    # Over https, from a harness: no cache of its own; --scripts-dir serves it.
    other = project(tmp_path / "https", server.url("/ledger.sql"))
    harness = other / "harnesses" / "app__db__m1_ledger__v1.py"
    server.stop()
    args = [sys.executable, str(harness), "up", "--database", database + "2"]
    offline = subprocess.run(args, capture_output=True, text=True)
    assert offline.returncode == 1 and "cannot fetch" in offline.stderr
    folder = tmp_path / "carried"
    folder.mkdir()
    (folder / PIN).write_bytes(SQL)
    run = subprocess.run(
        [*args, "--scripts-dir", str(folder)], capture_output=True, text=True
    )
    assert run.returncode == 0, run.stderr


def test_lint_fetch_lints_the_pointed_sql(tmp_path, server):
    bad = b"INSERT INTO ledger (id, cents) VALUES (1, 0);\nCOMMIT;\n"
    server.files["/bad.sql"] = bad
    pin = hashlib.sha256(bad).hexdigest()
    root = project(tmp_path, server.url("/bad.sql") + "?token=" + TOKEN, pin)
    server.token = TOKEN
    plain = cli(root, "lint")
    assert plain.exit_code == 0
    assert "1 pointer script(s) not linted: `lint --fetch` fetches them" in (
        plain.stderr
    )
    assert server.requests == []
    fetched = cli(root, "lint", "--fetch")
    assert fetched.exit_code == 1
    masked = server.url("/bad.sql") + "?token=***"
    assert f"{masked}:2:1: error transaction-control: up[1]: COMMIT" in fetched.stdout
    assert TOKEN not in fetched.stdout + fetched.stderr
    server.files["/bad.sql"] = b"SELECT 1;\n"  # changed since it was pinned
    (root / ".contractspec_cache" / "scripts" / pin).unlink()
    changed = cli(root, "lint", "--fetch")
    assert changed.exit_code == 3
    assert "migrations/m1.py:" in changed.stderr and "refused" in changed.stderr


@pytest.mark.parametrize(
    "script, pin, message",
    [
        ("http://example.com/x.sql", PIN, "must be an https:// or file:// URL"),
        ("https://example.com/x.sql", None, "a pointer needs its pin"),
        ("https://example.com/x.sql", "abc", "sha256 must be 64 lower-case hex"),
        ("UPDATE t SET a = 1", PIN, "sha256 pins a pointer"),
        ("file://share/x.sql", PIN, "a file:// pointer names an absolute path"),
    ],
)
def test_a_pointer_without_its_pin_or_over_http_is_refused(
    tmp_path, script, pin, message
):
    root = tmp_path / "app"
    (root / "migrations").mkdir(parents=True)
    (root / "pyproject.toml").write_text("[tool.contractspec]\n")
    pinned = "" if pin is None else f", sha256={pin!r}"
    (root / "migrations" / "m.py").write_text(
        "from contractspec import DataStep, MigrationMeta, MigrationPlan, MigrationSpec\n"
        "spec = MigrationSpec(meta=MigrationMeta(name='app.db.m', version=1, title='m',"
        f" owners=['qa']), plan=MigrationPlan(up=[DataStep({script!r}{pinned})]))\n"
    )
    refused = cli(root, "build", "--all")
    assert refused.exit_code == 3
    assert refused.stderr.startswith("migrations/m.py:2:") and message in refused.stderr


def test_add_step_pins_a_pointer(tmp_path, server):
    root = project(tmp_path, server.url("/ledger.sql"))
    url = server.url("/more.sql")
    added = cli(
        root, "spec", "add-step", "app.db.m1_ledger", "--script", url, "--sha256", PIN
    )
    assert added.exit_code == 0, added.stderr
    assert f'DataStep("{url}", sha256="{PIN}")' in (
        root / "migrations" / "m1.py"
    ).read_text().replace("'", '"')
    refused = cli(
        root, "spec", "add-step", "app.db.m1_ledger", "--sql", "X", "--sha256", PIN
    )
    assert refused.exit_code == 2 and "--sha256 pins a --script" in refused.stderr


@pytest.mark.parametrize(
    "setting, message",
    [
        ("fetch_timeout = 0", "fetch_timeout must be a number of seconds, more than 0"),
        ("fetch_timeout = 7200", "and at most 3600"),
        ("fetch_timeout = 'soon'", "fetch_timeout must be a number of seconds"),
        ("fetch_max_bytes = 0", "fetch_max_bytes must be an integer from 1 to"),
        ("fetch_max_bytes = 268435457", "fetch_max_bytes must be an integer from 1 to"),
    ],
)
def test_fetch_settings_are_bounded(tmp_path, setting, message):
    root = tmp_path / "app"
    (root / "migrations").mkdir(parents=True)
    (root / "pyproject.toml").write_text(f"[tool.contractspec]\n{setting}\n")
    refused = cli(root, "list")
    assert refused.exit_code == 3
    assert (
        refused.stderr.startswith("pyproject.toml:2:1: ") and message in refused.stderr
    )


def test_the_harness_refuses_unbounded_fetch_options(tmp_path, server):
    root = project(tmp_path, server.url("/ledger.sql"))
    harness = root / "harnesses" / "app__db__m1_ledger__v1.py"
    for option in (["--fetch-timeout", "0"], ["--fetch-max-bytes", "0"]):
        run = subprocess.run(
            [sys.executable, str(harness), "up", *option],
            capture_output=True,
            text=True,
        )
        assert run.returncode == 2 and "error: --fetch-" in run.stderr
    assert server.requests == []
