"""`contractspec lint` on a live PostgreSQL database: what is a hazard, checked.

- The corpus project (tests/data/lint_corpus): tables created by early
  migrations, changed by later ones. Every seeded hazard (a `# expect:`
  line) is an error at its path:line:col; the clean specs stay quiet; and the
  clean specs apply on a real server, so their safe forms are real.
- Every rule's claim about PostgreSQL (the lock it takes, the rewrite, scan
  or index build it does while holding it), checked on the real server
  beside lint's verdict, for the hazard and for its safe form.
- Input that once crashed or hung lint gets a finding or a refusal, in
  bounded time, and squawk never outlives lint.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from support import cli, expected

from contractspec.config import load_config
from contractspec.lint import lint_specs
from contractspec.loader import load_file

CORPUS = Path(__file__).parent / "data" / "lint_corpus"


def _findings(result) -> list[str]:
    return [
        f"{f['path']}:{f['line']}:{f['col']}: {f['severity']} {f['rule']}"
        for f in json.loads(result.stdout)["findings"]
    ]


# -- the corpus project -----------------------------------------------------------


def test_corpus_reports_every_seeded_hazard_as_an_error_and_little_else(capsys):
    specs = sorted((CORPUS / "migrations").rglob("*.py"))
    seeded = dict(item for spec in specs for item in expected(spec))
    clean = [spec for spec in specs if not expected(spec)]
    hazards = [where for where in seeded if " error " in where]
    assert len(specs) >= 30 and len(clean) >= 30 and len(hazards) >= 25

    result = cli(CORPUS, "lint", "--format", "json")
    got = _findings(result)
    found = [where for where in hazards if where in got]
    noise = [where for where in got if where not in seeded]
    with capsys.disabled():  # the figures, to be quoted
        print(
            f"\nlint corpus: {len(found)}/{len(hazards)} seeded hazards reported as"
            f" errors at their path:line:col; {len(noise)} findings not seeded, on"
            f" {len(clean)} clean specs ({len(noise) / len(clean):.2f} per clean spec,"
            " target <= 0.20)"
        )
    assert found == hazards
    assert set(seeded) <= set(got)  # the seeded warnings too
    assert all(" warning " in where for where in noise), noise
    assert 5 * len(noise) <= len(clean), noise
    assert result.exit_code == 1
    for where, text in seeded.items():  # each position holds what it names
        path, line, col = where.split(":")[:3]
        source = (CORPUS / path).read_text().splitlines()[int(line) - 1]
        assert source[int(col) - 1 :].startswith(text), (where, source)
    # a down plan's hazards: one finding for the migration, naming the others
    (down,) = [
        f
        for f in json.loads(result.stdout)["findings"]
        if f["message"].startswith("down[")
    ]
    assert down["path"] == "migrations/hazards/h25_price_type_back.py"
    assert down["message"].endswith(
        "; the down plan has 3 more: prefer-bigint-over-int (23:52),"
        " require-concurrent-index-creation (24:1), constraint-missing-not-valid (25:22)"
    )


def test_corpus_clean_specs_apply_on_postgresql(tmp_path, pg_db):
    """The safe forms lint stays quiet about are migrations that run."""
    project = tmp_path / "corpus"
    shutil.copytree(CORPUS, project)
    clean = 0
    for spec in (project / "migrations").rglob("*.py"):
        if expected(spec):
            spec.unlink()
        else:
            clean += 1
    built = cli(project, "build", "--all")
    assert built.exit_code == 0, built.stderr
    up = cli(project, "migrate", "up", database=pg_db)
    assert up.exit_code == 0, up.stdout + up.stderr
    assert f"{clean} applied" in up.stdout + up.stderr
    linted = cli(project, "lint")
    assert linted.exit_code == 0, linted.stdout


def test_lint_of_one_migration_knows_what_ran_before_it(tmp_path):
    """SET NOT NULL is safe after a validated NOT NULL check in a dependency;
    linting that migration alone (or --changed-since) still knows it."""
    name = "core.db.2025_08_display_name_not_null"
    alone = cli(CORPUS, "lint", name)
    assert alone.exit_code == 0, alone.stdout
    assert alone.stdout == ""
    project = tmp_path / "corpus"
    shutil.copytree(CORPUS, project)
    validate = project / "migrations" / "core" / "2025_07_validate_display_name.py"
    validate.write_text(
        validate.read_text().replace(
            "ALTER TABLE users VALIDATE CONSTRAINT users_display_name_present",
            "SELECT 1",
        )
    )
    unproven = cli(project, "lint", name, "--format", "json")
    assert _findings(unproven) == [
        "migrations/core/2025_08_display_name_not_null.py:17:45: error adding-not-nullable-field"
    ]


# -- every rule's claim, on the real server ---------------------------------------------

LOCKS = [  # PostgreSQL's table lock modes, weakest first
    "AccessShareLock",
    "RowShareLock",
    "RowExclusiveLock",
    "ShareUpdateExclusiveLock",
    "ShareLock",
    "ShareRowExclusiveLock",
    "ExclusiveLock",
    "AccessExclusiveLock",
]
BLOCKS_WRITES = LOCKS.index("ShareLock")
# Live tables with rows, as an earlier migration left them.
LIVE = """
CREATE TABLE r (id bigint PRIMARY KEY);
CREATE TABLE t (id bigint NOT NULL, n bigint);
CREATE INDEX t_n ON t (n);
CREATE MATERIALIZED VIEW mv AS SELECT id FROM t;
CREATE UNIQUE INDEX mv_id ON mv (id);
"""
ROWS = """
INSERT INTO r SELECT generate_series(1, 50);
INSERT INTO t SELECT g, g FROM generate_series(1, 50) g;
REFRESH MATERIALIZED VIEW mv;
"""


# A live table with a column of a domain (for ALTER DOMAIN).
DOMAIN = (
    "CREATE DOMAIN positive AS bigint",
    "CREATE TABLE d AS SELECT n::positive AS v FROM t",
)


@dataclass(frozen=True)
class Claim:
    rule: str | None  # None: a safe form, no error
    sql: str
    lock: str | None = None  # the lock it holds on the relation until commit
    # what takes time under that lock: rewriting, verifying (a scan), building
    # (an index), validated (a foreign key's check); or what breaks: renamed, fails
    effect: str = ""
    relation: str = "t"
    before: tuple[str, ...] = ()  # earlier migrations, one statement each
    same_step: str = ""  # an earlier statement of the same step (transaction)
    transactional: bool = True


def _runs_in_transaction(sql: str) -> bool:
    return not sql.startswith(("VACUUM", "CREATE UNIQUE INDEX CONCURRENTLY"))


AEL = "AccessExclusiveLock"
CLAIMS = [
    Claim(
        "changing-column-type",
        "ALTER TABLE t ALTER COLUMN n TYPE numeric",
        AEL,
        "rewriting",
    ),
    Claim(
        "adding-field-with-default",
        "ALTER TABLE t ADD COLUMN u uuid DEFAULT gen_random_uuid()",
        AEL,
        "rewriting",
    ),
    Claim(
        "adding-field-with-default",
        "ALTER TABLE t ADD COLUMN s timestamptz DEFAULT clock_timestamp()",
        AEL,
        "rewriting",
    ),
    Claim(
        "adding-field-with-default",
        "ALTER TABLE t ADD COLUMN g bigint GENERATED ALWAYS AS (n * 2) STORED",
        AEL,
        "rewriting",
    ),
    Claim(
        "adding-field-with-default",
        "ALTER TABLE t ADD COLUMN i bigint GENERATED ALWAYS AS IDENTITY",
        AEL,
        "rewriting",
    ),
    Claim("table-rewrite", "ALTER TABLE t ADD COLUMN p bigserial", AEL, "rewriting"),
    Claim("table-rewrite", "ALTER TABLE t SET UNLOGGED", AEL, "rewriting"),
    Claim("table-rewrite", "CLUSTER t USING t_n", AEL, "rewriting"),
    Claim("table-rewrite", "REFRESH MATERIALIZED VIEW mv", AEL, "rewriting", "mv"),
    Claim("table-rewrite", "VACUUM FULL t", None, "rewriting", transactional=False),
    Claim(
        "adding-not-nullable-field",
        "ALTER TABLE t ALTER COLUMN n SET NOT NULL",
        AEL,
        "verifying",
    ),
    Claim(
        "constraint-missing-not-valid",
        "ALTER TABLE t ADD CONSTRAINT c CHECK (n > 0)",
        AEL,
        "verifying",
    ),
    Claim(
        "constraint-missing-not-valid",
        "ALTER TABLE t VALIDATE CONSTRAINT c",
        AEL,  # the ADD's, held through the scan
        "verifying",
        same_step="ALTER TABLE t ADD CONSTRAINT c CHECK (n > 0) NOT VALID",
    ),
    Claim(
        "adding-foreign-key-constraint",
        "ALTER TABLE t ADD CONSTRAINT f FOREIGN KEY (n) REFERENCES r (id)",
        "ShareRowExclusiveLock",
        "validated",
    ),
    Claim(
        "disallowed-unique-constraint",
        "ALTER TABLE t ADD CONSTRAINT u UNIQUE (n)",
        AEL,
        "building",
    ),
    Claim(
        "adding-serial-primary-key-field",
        "ALTER TABLE t ADD PRIMARY KEY (id)",
        AEL,
        "building",
    ),
    Claim(
        "require-concurrent-index-creation",
        "CREATE INDEX i ON t (n)",
        "ShareLock",
        "building",
    ),
    Claim("require-concurrent-index-deletion", "DROP INDEX t_n", AEL),
    Claim("require-concurrent-reindex", "REINDEX TABLE t", "ShareLock", "building"),
    Claim(
        "adding-required-field",
        "ALTER TABLE t ADD COLUMN q text NOT NULL",
        effect="fails",
    ),
    Claim("renaming-column", "ALTER TABLE t RENAME COLUMN n TO m", AEL, "renamed"),
    Claim("renaming-table", "ALTER TABLE t RENAME TO t2", AEL, "renamed"),
    Claim(
        "ban-alter-domain-with-add-constraint",
        "ALTER DOMAIN positive ADD CONSTRAINT above_zero CHECK (VALUE > 0)",
        "ShareLock",  # on every table with a column of the domain, while it scans
        relation="d",
        before=DOMAIN,
    ),
    # the safe forms the hints name
    Claim(None, "ALTER TABLE t ADD COLUMN x text"),
    Claim(None, "ALTER TABLE t ADD COLUMN c text NOT NULL DEFAULT 'x'"),
    Claim(None, "ALTER TABLE t ADD COLUMN w timestamptz DEFAULT now()"),
    Claim(None, "ALTER TABLE t ALTER COLUMN n SET DEFAULT 0"),
    Claim(None, "ALTER TABLE t ADD CONSTRAINT c CHECK (n > 0) NOT VALID"),
    Claim(
        None,
        "ALTER TABLE t ADD CONSTRAINT f FOREIGN KEY (n) REFERENCES r (id) NOT VALID",
    ),
    Claim(
        None,
        "ALTER TABLE t VALIDATE CONSTRAINT c",
        before=("ALTER TABLE t ADD CONSTRAINT c CHECK (n > 0) NOT VALID",),
    ),
    Claim(
        None,
        "ALTER TABLE t ALTER COLUMN n SET NOT NULL",
        before=(
            "ALTER TABLE t ADD CONSTRAINT c CHECK (n IS NOT NULL) NOT VALID",
            "ALTER TABLE t VALIDATE CONSTRAINT c",
        ),
    ),
    Claim(
        None,
        "ALTER TABLE t ADD CONSTRAINT t_n_key UNIQUE USING INDEX t_n_unique",
        before=("CREATE UNIQUE INDEX CONCURRENTLY t_n_unique ON t (n)",),
    ),
    Claim(
        None,
        "ALTER TABLE t ADD CONSTRAINT t_pk PRIMARY KEY USING INDEX t_id_unique",
        before=("CREATE UNIQUE INDEX CONCURRENTLY t_id_unique ON t (id)",),
    ),
    Claim(
        None,
        "ALTER DOMAIN positive ADD CONSTRAINT above_zero CHECK (VALUE > 0) NOT VALID",
        relation="d",
        before=DOMAIN,
    ),
    Claim(None, "REFRESH MATERIALIZED VIEW CONCURRENTLY mv", relation="mv"),
    Claim(None, "CREATE INDEX CONCURRENTLY i ON t (n)", transactional=False),
    Claim(None, "DROP INDEX CONCURRENTLY t_n", transactional=False),
    Claim(None, "REINDEX TABLE CONCURRENTLY t", transactional=False),
]
CLAIM_IDS = [f"{c.rule or 'safe'}: {c.sql}" for c in CLAIMS]

SPEC = """from contractspec import MigrationMeta, MigrationPlan, MigrationSpec, SchemaStep

spec = MigrationSpec(
    meta=MigrationMeta(name="claims.db.{name}", version=1, title="{name}", owners=["t"]),
    plan=MigrationPlan(up=[SchemaStep({sql!r}, transactional={transactional})], down=[]),
    dependencies=[{dependencies}],
)
"""


def _write_spec(
    folder: Path, name: str, sql: str, depends: str, transactional: bool
) -> Path:
    path = folder / f"{name}.py"
    path.write_text(
        SPEC.format(
            name=name,
            sql=sql,
            transactional=transactional,
            dependencies=f'"claims.db.{depends}"' if depends else "",
        )
    )
    return path


@pytest.fixture(scope="module")
def verdicts(tmp_path_factory) -> dict[int, list[tuple[str, str]]]:
    """lint's findings, (severity, rule), for each claim's migration: one project."""
    project = tmp_path_factory.mktemp("claims")
    folder = project / "migrations"
    folder.mkdir()
    (project / "pyproject.toml").write_text(
        '[tool.contractspec]\ndatabase = "postgresql://localhost/claims"\n'
    )
    _write_spec(folder, "base", LIVE, "", True)
    for index, claim in enumerate(CLAIMS):
        depends = "base"
        for number, sql in enumerate(claim.before):
            name = f"c{index:02d}_before{number}"
            _write_spec(folder, name, sql, depends, _runs_in_transaction(sql))
            depends = name
        sql = f"{claim.same_step};\n{claim.sql}" if claim.same_step else claim.sql
        _write_spec(folder, f"c{index:02d}", sql, depends, claim.transactional)
    result = cli(project, "lint", "--format", "json")
    by_claim: dict[int, list[tuple[str, str]]] = {i: [] for i in range(len(CLAIMS))}
    for finding in json.loads(result.stdout)["findings"]:
        stem = Path(finding["path"]).stem
        if stem.startswith("c") and "_" not in stem:
            by_claim[int(stem[1:])].append((finding["severity"], finding["rule"]))
    return by_claim


def _observe(conn, claim: Claim) -> tuple[str | None, set[str]]:
    """Run the claim's statement on live tables: the strongest lock it holds on
    the relation until commit, and what it did under it."""
    import psycopg

    conn.execute(LIVE + ROWS)
    for sql in claim.before:
        conn.execute(sql)
    oid = conn.execute("SELECT %s::regclass::oid", [claim.relation]).fetchone()[0]
    node = "SELECT relfilenode FROM pg_class WHERE oid = %s"
    before = conn.execute(node, [oid]).fetchone()[0]
    notes: list[str] = []
    conn.add_notice_handler(lambda notice: notes.append(notice.message_primary))
    effects, lock = set(), None
    try:
        if claim.transactional:
            conn.execute("BEGIN")
        conn.execute("SET client_min_messages = debug1")
        if claim.same_step:
            conn.execute(claim.same_step)
        conn.execute(claim.sql)
        conn.execute("SET client_min_messages = notice")
        if claim.transactional:
            modes = conn.execute(
                "SELECT mode FROM pg_locks WHERE relation = %s AND pid = pg_backend_pid()",
                [oid],
            ).fetchall()
            lock = max((mode for (mode,) in modes), key=LOCKS.index, default=None)
            conn.execute("COMMIT")
    except psycopg.errors.NotNullViolation:
        conn.execute("ROLLBACK")
        return None, {"fails"}
    mine = [note for note in notes if f'table "{claim.relation}"' in note]
    if conn.execute(node, [oid]).fetchone()[0] != before or any(
        note.startswith("rewriting table") for note in mine
    ):
        effects.add("rewriting")
    if any(note.startswith("verifying table") for note in mine):
        effects.add("verifying")
    if any(note.startswith("building index") for note in mine):
        effects.add("building")
    valid = "SELECT convalidated FROM pg_constraint WHERE conname = 'f'"
    if (conn.execute(valid).fetchone() or [False])[0]:
        effects.add("validated")
    for probe in ("SELECT n FROM t", "SELECT 1 FROM t"):
        try:
            conn.execute(probe)
        except (psycopg.errors.UndefinedColumn, psycopg.errors.UndefinedTable):
            effects.add("renamed")
    return lock, effects


@pytest.mark.parametrize("index", range(len(CLAIMS)), ids=CLAIM_IDS)
def test_each_rules_claim_holds_on_postgresql(index, verdicts, pg_db):
    import psycopg

    claim = CLAIMS[index]
    with psycopg.connect(pg_db, autocommit=True) as conn:
        lock, effects = _observe(conn, claim)
    errors = [rule for severity, rule in verdicts[index] if severity == "error"]
    if claim.rule is None:  # no error, and nothing slow under a lock that blocks writes
        assert errors == []
        slow = effects & {"rewriting", "verifying", "building", "validated", "fails"}
        assert not (slow and lock and LOCKS.index(lock) >= BLOCKS_WRITES), (
            lock,
            effects,
        )
        return
    assert errors == [claim.rule]
    assert lock == claim.lock, effects
    if claim.effect:
        assert claim.effect in effects, (lock, effects)


# -- never crash, never hang ----------------------------------------------------------

ONE_STEP = """from contractspec import DataStep, MigrationMeta, MigrationPlan, MigrationSpec, SchemaStep

spec = MigrationSpec(
    meta=MigrationMeta(name="app.db.{name}", version=1, title="T", owners=["t"]),
    plan=MigrationPlan(up=[{step}], down=[]),
)
"""


def _project(tmp_path: Path, **steps: str) -> Path:
    project = tmp_path / "project"
    (project / "migrations").mkdir(parents=True)
    (project / "pyproject.toml").write_text(
        '[tool.contractspec]\ndatabase = "postgresql://localhost/app"\n'
    )
    for name, step in steps.items():
        (project / "migrations" / f"{name}.py").write_text(
            ONE_STEP.format(name=name, step=step)
        )
    return project


def _lint(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The real command in a process of its own, against a hang (timeout)."""
    done = subprocess.run(
        [sys.executable, "-m", "contractspec", "lint", "-C", str(project), *args],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert "Traceback" not in done.stderr and "internal error" not in done.stderr
    return done


def test_a_nul_or_bytes_that_are_not_utf8_are_syntax_errors_where_they_sit(tmp_path):
    nul = 'SchemaStep("SELECT 1;\\x00 DROP TABLE users")'
    junk = 'DataStep(script="junk.sql", post_checks=[])'
    project = _project(tmp_path, nul=nul, junk=junk)
    (project / "migrations" / "junk.sql").write_bytes(
        b"UPDATE t SET a = 1;\n\xff\xfe\x00\x01binary\x9c"
    )
    done = _lint(project)
    assert done.returncode == 1
    assert (
        "migrations/junk.sql:2:1: error syntax-error: up[0]: byte 0xff is not UTF-8 text"
        in done.stdout
    )
    source = (project / "migrations" / "nul.py").read_text()
    index = source.index("\\x00")  # the escape that makes the NUL
    line = source.count("\n", 0, index) + 1
    col = index - source.rfind("\n", 0, index)
    assert (
        f"migrations/nul.py:{line}:{col}: error syntax-error: up[0]: a NUL character"
        in done.stdout
    )
    assert "DROP TABLE" not in done.stdout  # nothing past the NUL is read as SQL
    built = subprocess.run(
        [sys.executable, "-m", "contractspec", "build", "--all", "-C", str(project)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert built.returncode == 3 and "byte 0xff is not UTF-8 text" in built.stderr


@pytest.mark.slow
def test_statements_too_deep_or_too_long_are_reported_not_fatal(tmp_path):
    deep = "SELECT " + "(SELECT " * 3000 + "1" + ")" * 3000  # RecursionError once
    terms = "SELECT " + " + ".join(["1"] * 200_000)  # libpg_query's stack guard
    flat = "SELECT count(*) FROM t WHERE " + " OR ".join(
        f"a = {i}" for i in range(200_000)
    )  # pglast reads it; squawk overflows its stack on it
    project = _project(
        tmp_path,
        deep=f"SchemaStep({deep!r})",
        terms=f"SchemaStep({terms!r})",
        flat=f"SchemaStep({flat!r})",
        hazard='SchemaStep("CREATE INDEX t_a ON t (a)")',
    )
    done = _lint(project, "--format", "json")
    findings = json.loads(done.stdout)["findings"]
    assert sorted(
        (Path(f["path"]).stem, f["severity"], f["rule"]) for f in findings
    ) == [
        ("deep", "warning", "lint-incomplete"),
        ("flat", "warning", "lint-incomplete"),
        (
            "hazard",
            "error",
            "require-concurrent-index-creation",
        ),  # squawk's other texts
        ("terms", "warning", "lint-incomplete"),
    ]
    flat_message = next(f["message"] for f in findings if "flat" in f["path"])
    assert flat_message.startswith("up[0]: squawk stopped on this SQL (")
    assert done.returncode == 1


@pytest.mark.parametrize("kind", ["dev-zero", "dev-urandom", "fifo", "2gb"])
def test_a_sql_file_that_is_no_regular_small_file_is_refused(tmp_path, kind):
    project = _project(tmp_path, data='DataStep(script="data.sql", post_checks=[])')
    target = project / "migrations" / "data.sql"
    if kind == "fifo":
        os.mkfifo(target)
    elif kind == "2gb":
        with open(target, "wb") as sparse:
            sparse.truncate(2 * 1024**3)
    else:
        target.symlink_to("/dev/" + kind.split("-")[1])
    done = _lint(project)
    assert done.returncode == 3, done.stdout + done.stderr
    reason = {
        "2gb": "is 2147483648 bytes, more than the limit of 10485760"
        " (max_file_bytes in [tool.contractspec])",
        "fifo": "is not a regular file",
    }.get(kind, "outside the project")
    first = done.stderr.splitlines()[0]
    assert (
        first.startswith("migrations/data.py:")
        and "script migrations/data.sql" in first
    )
    assert reason in first, first


# -- squawk never outlives lint -------------------------------------------------------

STAND_IN = """#!/bin/sh
# Stands in for squawk: never answers. Its pid and its child's go to {pids}.
sleep 600 &
echo "$$ $!" > {pids}
wait
"""


@pytest.fixture
def slow_squawk(tmp_path) -> Path:
    """A `squawk` that hangs, with a child, beside a stand-in interpreter path
    (lint looks for squawk next to sys.executable first)."""
    folder = tmp_path / "bin"
    folder.mkdir()
    pids = tmp_path / "squawk.pids"
    stand_in = folder / "squawk"
    stand_in.write_text(STAND_IN.format(pids=pids))
    stand_in.chmod(0o755)
    return pids


def _gone(pids: list[int]) -> bool:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        alive = []
        for pid in pids:
            try:
                with open(f"/proc/{pid}/stat") as stat:
                    alive += [pid] if stat.read().split()[2] != "Z" else []
            except FileNotFoundError:
                pass
        if not alive:
            return True
        time.sleep(0.05)
    return False


def _wait_for(path: Path) -> list[int]:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if path.exists() and len(path.read_text().split()) == 2:
            return [int(pid) for pid in path.read_text().split()]
        time.sleep(0.05)
    raise AssertionError("the stand-in squawk never started")


def test_squawk_that_hangs_is_stopped_at_the_deadline(
    tmp_path, slow_squawk, monkeypatch
):
    project = _project(tmp_path, one='SchemaStep("CREATE INDEX t_a ON t (a)")')
    monkeypatch.setattr(sys, "executable", str(slow_squawk.parent / "bin" / "python"))
    config = load_config(project, connecting=False)
    spec = load_file(project / "migrations" / "one.py", "migrations/one.py")
    started = time.monotonic()
    report = lint_specs([spec], config, squawk_timeout=2)
    assert time.monotonic() - started < 20
    assert report.notes == [
        "squawk did not finish within 2 s and was stopped: its rules were not run on 1 SQL text"
    ]
    assert _gone(_wait_for(slow_squawk))


@pytest.mark.parametrize("signum, code", [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_interrupting_lint_stops_squawk_too(tmp_path, slow_squawk, signum, code):
    project = _project(tmp_path, one='SchemaStep("CREATE INDEX t_a ON t (a)")')
    launcher = textwrap.dedent(f"""
        import sys
        sys.executable = {str(slow_squawk.parent / "bin" / "python")!r}
        from contractspec.cli import main
        main(["lint", "-C", {str(project)!r}])
        """)
    lint = subprocess.Popen(
        [sys.executable, "-c", launcher],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        pids = _wait_for(slow_squawk)
        lint.send_signal(signum)
        _, errors = lint.communicate(timeout=30)
    finally:
        lint.kill()
    assert lint.returncode == code, errors
    assert "Traceback" not in errors
    assert _gone(pids)
