"""`contractspec lint` and build's refusal, on real parsers, a real squawk and real databases.

The corpus under tests/data/lint/<dialect>/ holds bad and good specs per rule.
Each file ends with what lint must report, exactly, in
`# expect: <path>:<line>:<col>: <severity> <rule> @ <text>` lines: the path is
relative to the corpus folder, and <text> is what the file holds at that
position, checked independently of the linter.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
from click.testing import CliRunner
from support import expected

from contractspec.cli import root
from contractspec.config import Config, load_config
from contractspec.errors import SpecError
from contractspec.lint import RULES, lint_specs
from contractspec.lint.rules import sql_findings
from contractspec.lint.sources import STATEMENTS, SqlText
from contractspec.loader import load_file
from contractspec.sql import parse

DATA = Path(__file__).parent / "data" / "lint"
CORPUS = sorted(
    (dialect, path)
    for dialect in ("postgresql", "sqlite")
    for path in (DATA / dialect).glob("[!_]*.py")
)


def corpus_config(dialect: str) -> Config:
    """The corpus is linted for a project with a protected environment (see in-creation)."""
    folder = DATA / dialect
    return Config(
        folder,
        folder,
        folder / "_harnesses",
        "sqlite:///x.db",
        dialect,
        protected_environments=("production",),
    )


@pytest.mark.parametrize(
    "dialect,path", CORPUS, ids=[f"{d}/{p.name}" for d, p in CORPUS]
)
def test_corpus_reports_exactly(dialect, path):
    report = lint_specs(
        [load_file(path, path.name)], corpus_config(dialect), use_squawk=False
    )
    got = [f"{f.path}:{f.line}:{f.col}: {f.severity} {f.rule}" for f in report.findings]
    assert got == [where for where, _ in expected(path)]


@pytest.mark.parametrize(
    "dialect,path", CORPUS, ids=[f"{d}/{p.name}" for d, p in CORPUS]
)
def test_corpus_positions_point_at_the_statement(dialect, path):
    """Each expected position holds the text the expectation names."""
    for where, text in expected(path):
        file, line, col = where.split(":")[:3]
        source = (DATA / dialect / file).read_text().splitlines()[int(line) - 1]
        assert source[int(col) - 1 :].startswith(text), (where, source)


def test_corpus_covers_every_own_rule_and_has_clean_specs():
    rules = {
        dialect: {
            where.split()[2]
            for _, p in CORPUS
            if _ == dialect
            for where, _t in expected(p)
        }
        for dialect in ("postgresql", "sqlite")
    }
    # lint-incomplete's inputs (statements 3,000 deep, 200,000 terms long) are
    # made by tests/test_lint_live.py
    assert rules["postgresql"] == set(RULES) - {"lint-incomplete"}
    both = {
        "syntax-error",
        "transaction-control",
        "non-transactional-statement",
        "query-not-read-only",
    }
    assert both <= rules["sqlite"]
    for dialect in ("postgresql", "sqlite"):
        assert not expected(DATA / dialect / "good.py")


# -- the parsers agree with the databases -----------------------------------------

OUTSIDE = [
    "CREATE INDEX CONCURRENTLY t_a ON t (a)",
    "DROP INDEX CONCURRENTLY t_b",
    "REINDEX INDEX CONCURRENTLY t_b",
    "VACUUM t",
    "ALTER SYSTEM SET work_mem = '64MB'",
    "CREATE DATABASE lint_other",
    "DROP DATABASE lint_other",
    "CLUSTER",
    "REINDEX SCHEMA public",
]
INSIDE = [
    "CREATE INDEX t_c ON t (a)",
    "CLUSTER t USING t_b",
    "ANALYZE t",
    "DROP INDEX t_b",
    "REINDEX INDEX t_b",
]


def test_postgresql_refuses_in_a_transaction_exactly_what_lint_flags(pg_db):
    import psycopg

    with psycopg.connect(pg_db, autocommit=True) as conn:
        conn.execute("CREATE TABLE t (a int); CREATE INDEX t_b ON t (a)")
        for sql in OUTSIDE + INSIDE:
            flagged = parse(sql, "postgresql").statements[0].outside_transaction
            conn.execute("BEGIN")
            try:
                conn.execute(sql)
                refused = False
            except psycopg.Error as exc:
                assert exc.sqlstate == "25001", (sql, exc)  # active_sql_transaction
                refused = True
            finally:
                conn.execute("ROLLBACK")
            assert bool(flagged) == refused == (sql in OUTSIDE), sql


READS = [
    "SELECT 1",
    "SELECT 1 UNION SELECT 2",
    "WITH c AS (SELECT a FROM t) SELECT count(*) FROM c",
]
WRITES = [
    "SELECT a FROM t FOR UPDATE",
    "SELECT 1 INTO copy_of_one",
    "WITH d AS (DELETE FROM t RETURNING a) SELECT count(*) FROM d",
    "DELETE FROM t",
]


def test_postgresql_read_only_queries_are_those_a_read_only_transaction_allows(pg_db):
    import psycopg

    with psycopg.connect(pg_db, autocommit=True) as conn:
        conn.execute("CREATE TABLE t (a int)")
        for sql in READS + WRITES:
            read_only = parse(sql, "postgresql").statements[0].read_only
            conn.execute("BEGIN READ ONLY")
            try:
                conn.execute(sql)
                allowed = True
            except psycopg.Error as exc:
                assert exc.sqlstate == "25006", (sql, exc)  # read_only_sql_transaction
                allowed = False
            finally:
                conn.execute("ROLLBACK")
            assert read_only == allowed == (sql in READS), sql


def test_sqlite_vacuum_fails_and_pragmas_do_nothing_inside_a_transaction(tmp_path):
    conn = sqlite3.connect(tmp_path / "t.db", isolation_level=None)
    conn.execute("BEGIN")
    with pytest.raises(sqlite3.OperationalError, match="within a transaction"):
        conn.execute("VACUUM")
    conn.execute("PRAGMA foreign_keys = ON")
    assert conn.execute("PRAGMA foreign_keys").fetchone() == (0,)
    conn.execute("ROLLBACK")
    flagged = [
        s.outside_transaction
        for s in parse(
            "VACUUM; PRAGMA foreign_keys = ON; PRAGMA foreign_keys", "sqlite"
        ).statements
    ]
    assert flagged == ["VACUUM", "PRAGMA foreign_keys", None]


def test_a_step_outside_the_transaction_may_hold_what_a_transaction_refuses():
    """`transactional=False` (issue 12) is read with getattr: a step without it is transactional."""
    text = "CREATE INDEX CONCURRENTLY t_a ON t (a)"

    def findings(step):
        item = SqlText(
            text, "spec.py", STATEMENTS, "up[0]", step, "k.v1", lambda o: (1, o + 1)
        )
        return [f.rule for f in sql_findings(item, parse(text, "postgresql"))]

    assert findings(SimpleNamespace(transactional=False)) == []
    assert findings(SimpleNamespace()) == ["non-transactional-statement"]


# -- squawk ---------------------------------------------------------------------------

SQUAWK_SPEC = '''from contractspec import MigrationMeta, MigrationPlan, MigrationSpec, SchemaStep

spec = MigrationSpec(
    meta=MigrationMeta(name="app.db.{name}", version=1, title="T", owners=["t"]),
    plan=MigrationPlan(
        up=[
            SchemaStep("CREATE TABLE t (id bigint PRIMARY KEY)"),
            SchemaStep(
                """
ALTER TABLE accounts
    ADD COLUMN note text NOT NULL;
CREATE INDEX accounts_note ON accounts (note);
"""{options}
            ),
        ],
        down=[],
    ),
)
'''


def make_project(tmp_path: Path, dialect: str, **specs: str) -> Path:
    (tmp_path / "migrations").mkdir(parents=True)
    url = (
        "postgresql://localhost/app" if dialect == "postgresql" else "sqlite:///app.db"
    )
    (tmp_path / "pyproject.toml").write_text(
        f'[tool.contractspec]\ndatabase = "{url}"\n'
    )
    for name, source in specs.items():
        (tmp_path / "migrations" / f"{name}.py").write_text(source)
    return tmp_path


def lint_cli(project: Path, *args: str):
    return CliRunner().invoke(root, ["lint", "-C", str(project), *args])


def test_squawk_findings_point_into_the_spec(tmp_path):
    project = make_project(
        tmp_path, "postgresql", one=SQUAWK_SPEC.format(name="one", options="")
    )
    result = lint_cli(project)
    assert result.exit_code == 1, result.output  # hazards on a live table: errors
    lines = [line for line in result.stdout.splitlines() if not line.startswith("    ")]
    assert lines == [
        "migrations/one.py:11:5: error adding-required-field: up[1]: a NOT NULL column"
        " without a default: adding it fails once accounts has a row, and running"
        " code that inserts without it fails too",
        "migrations/one.py:12:1: error require-concurrent-index-creation: up[1]:"
        " CREATE INDEX without CONCURRENTLY holds a SHARE lock on accounts while it"
        " builds: every write waits",
    ]
    assert (
        "    hint: add it nullable (or NOT NULL with a constant DEFAULT), backfill it"
        " in batches, then make it NOT NULL\n" in result.stdout
    )
    assert result.stderr == "contractspec: error: 2 errors, 0 warnings in 1 spec\n"


def test_squawk_positions_count_characters_not_bytes(tmp_path):
    sql = "UPDATE t SET a = 'é€'; ALTER TABLE accounts ADD COLUMN note text NOT NULL"
    spec = BROKEN.format(name="one", sql=sql, down="[]")
    result = lint_cli(make_project(tmp_path, "postgresql", one=spec))
    assert (
        f"migrations/one.py:{at(spec, 'ADD COLUMN')}: error adding-required-field:"
        in result.stdout
    )


def test_timeouts_are_the_runtimes_not_lints(tmp_path):
    """squawk asks every slow-lock statement for lock_timeout and statement_timeout;
    the runtime sets them on every statement (docs/runtime.md), so lint never does."""
    from contractspec.lint.squawk import squawk_binary

    spec = SQUAWK_SPEC.format(name="one", options="")
    project = make_project(tmp_path, "postgresql", one=spec)
    sql = project / "alone.sql"
    sql.write_text("CREATE INDEX accounts_note ON accounts (note);\n")
    alone = subprocess.run(
        [squawk_binary(), "--reporter", "json", str(sql)],
        capture_output=True,
        text=True,
    )
    asked = {violation["rule_name"] for violation in json.loads(alone.stdout)}
    assert {"require-lock-timeout", "require-statement-timeout"} <= asked
    result = lint_cli(project)
    assert "require-concurrent-index-creation" in result.stdout
    assert "timeout" not in result.stdout
    assert "prefer-robust-stmts" not in result.stdout  # a failed step rolls back


def test_lint_ignore_accepts_a_squawk_rule(tmp_path):
    options = ',\n                lint_ignore={"require-concurrent-index-creation": "accounts has 12 rows"},'
    result = lint_cli(
        make_project(
            tmp_path, "postgresql", one=SQUAWK_SPEC.format(name="one", options=options)
        )
    )
    assert "adding-required-field" in result.stdout
    assert "require-concurrent-index-creation" not in result.stdout


def test_an_unused_acceptance_of_a_squawk_rule_is_reported_where_squawk_runs(
    tmp_path,
):
    options = ',\n                lint_ignore={"renaming-table": "no rename here"},'
    spec = SQUAWK_SPEC.format(name="one", options=options)
    unused = "warning unused-suppression: lint_ignore accepts renaming-table"
    assert (
        unused in lint_cli(make_project(tmp_path / "p", "postgresql", one=spec)).stdout
    )
    # SQLite, or --no-squawk: squawk did not run, so nobody can tell
    sqlite = lint_cli(make_project(tmp_path / "s", "sqlite", one=spec))
    assert "unused-suppression" not in sqlite.stdout
    no_squawk = lint_cli(tmp_path / "p", "--no-squawk")
    assert "unused-suppression" not in no_squawk.stdout


def test_project_wide_lint_ignore(tmp_path):
    project = make_project(
        tmp_path, "postgresql", one=SQUAWK_SPEC.format(name="one", options="")
    )
    with (project / "pyproject.toml").open("a") as config:
        config.write('lint_ignore = ["adding-required-field", "syntax-error"]\n')
    result = lint_cli(project)
    assert "adding-required-field" not in result.stdout
    assert "require-concurrent-index-creation" in result.stdout


def test_without_squawk_lint_says_so_and_runs_its_own_rules(tmp_path, monkeypatch):
    spec = SQUAWK_SPEC.format(name="one", options="").replace(
        "CREATE TABLE t", "BEGIN; CREATE TABLE t"
    )
    project = make_project(tmp_path, "postgresql", one=spec)
    monkeypatch.setattr(sys, "executable", str(tmp_path / "no-venv" / "python"))
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    result = lint_cli(project)
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [  # one line says it, not silence
        "contractspec: note: squawk is not installed: PostgreSQL migration rules were not run; install them with: pip install 'contractspec[lint]'",
        "contractspec: error: 1 error, 0 warnings in 1 spec",
    ]
    assert "error transaction-control: up[0]: BEGIN inside a step" in result.stdout
    assert "adding-required-field" not in result.stdout
    github = lint_cli(project, "--format", "github")
    assert "::notice title=contractspec lint::squawk is not installed" in github.stdout


def test_squawk_is_not_run_on_sqlite(tmp_path):
    result = lint_cli(
        make_project(tmp_path, "sqlite", one=SQUAWK_SPEC.format(name="one", options=""))
    )
    assert result.exit_code == 0, result.output  # both statements are SQLite too
    assert result.stdout == ""


# -- the command ------------------------------------------------------------------------

BROKEN = """from contractspec import MigrationMeta, MigrationPlan, MigrationSpec, SchemaStep

spec = MigrationSpec(
    meta=MigrationMeta(name="app.db.{name}", version=1, title="T", owners=["t"]),
    plan=MigrationPlan(up=[SchemaStep("{sql}")], down={down}),
)
"""


def at(spec: str, text: str, nth: int = 0) -> str:
    """`line:col` of the nth occurrence of text in a spec's source (found without the linter)."""
    index = -1
    for _ in range(nth + 1):
        index = spec.index(text, index + 1)
    line = spec.count("\n", 0, index) + 1
    return f"{line}:{index - (spec.rfind(chr(10), 0, index) + 1) + 1}"


def test_exit_codes_and_strict(tmp_path):
    warn = BROKEN.format(name="warn", sql="SELECT 1", down="None")
    project = make_project(tmp_path, "sqlite", warn=warn)
    result = lint_cli(project)
    assert result.exit_code == 0
    assert result.stdout.startswith(
        f"migrations/warn.py:{at(warn, 'None')}: warning irreversible-without-reason:"
    )
    assert result.stderr == "0 errors, 1 warning in 1 spec\n"

    strict = lint_cli(project, "--strict")
    assert strict.exit_code == 1
    assert strict.stdout.startswith(
        f"migrations/warn.py:{at(warn, 'None')}: error irreversible-without-reason:"
    )
    assert strict.stderr == "contractspec: error: 1 error, 0 warnings in 1 spec\n"

    bad = BROKEN.format(name="bad", sql="SELEC 1", down="[]")
    (project / "migrations" / "bad.py").write_text(bad)
    both = lint_cli(project)
    assert both.exit_code == 1
    assert (
        f"migrations/bad.py:{at(bad, 'SELEC')}: error syntax-error: up[0]: near \"SELEC\": syntax error\n"
        in both.stdout
    )
    only = lint_cli(project, "app.db.warn")
    assert only.exit_code == 0 and "bad.py" not in only.stdout


ENVIRONMENTS = """
[tool.contractspec.environments.staging]
url = "postgresql://app@staging/app"

[tool.contractspec.environments.production]
url_env = "LINT_TEST_PRODUCTION_URL"
protected = true
"""


def test_in_creation_warns_only_on_the_way_to_a_protected_environment(
    tmp_path, monkeypatch
):
    monkeypatch.delenv("LINT_TEST_PRODUCTION_URL", raising=False)
    new = BROKEN.format(name="new", sql="SELECT 1", down="[]").replace(
        'owners=["t"]', 'owners=["t"], stability="in_creation"'
    )
    project = make_project(tmp_path, "sqlite", new=new)
    assert lint_cli(project).stdout == ""  # nothing is protected: nothing to guard
    with (project / "pyproject.toml").open("a") as config:
        config.write(ENVIRONMENTS)
    where = at(new, '"in_creation"')
    warning = (
        f"migrations/new.py:{where}: warning in-creation: app.db.new.v1"
        " is still in_creation, on its way to protected environment production"
    )
    # production's URL is a secret a pull request's job doesn't hold: lint never connects
    production = lint_cli(project, "--env", "production")
    assert production.exit_code == 0, production.output
    assert production.stdout.splitlines()[0] == warning
    assert lint_cli(project, "--env", "production", "--strict").exit_code == 1
    staging = lint_cli(project, "--env", "staging", "--no-squawk")
    assert staging.exit_code == 0, staging.output
    assert staging.stdout == ""
    # without --env, the specs are on their way to every protected environment
    assert lint_cli(project).stdout.splitlines()[0] == warning
    unknown = lint_cli(project, "--env", "prod")
    assert unknown.exit_code == 3
    assert "unknown environment 'prod'" in unknown.stderr


def test_env_gives_the_dialect_of_its_url(tmp_path):
    cast = BROKEN.format(name="cast", sql="SELECT 1::int", down="[]")
    project = make_project(tmp_path, "sqlite", cast=cast)
    with (project / "pyproject.toml").open("a") as config:
        config.write(ENVIRONMENTS)
    assert "syntax-error" in lint_cli(project).stdout  # SQLite has no :: casts
    assert lint_cli(project, "--env", "staging", "--no-squawk").stdout == ""


def test_json_and_github_formats(tmp_path):
    bad = BROKEN.format(name="bad", sql="SELECT 1; COMMIT", down="[]")
    project = make_project(tmp_path, "sqlite", bad=bad)
    line, col = map(int, at(bad, "COMMIT").split(":"))
    data = json.loads(lint_cli(project, "--format", "json").stdout)
    assert data["errors"] == 1 and data["warnings"] == 0 and data["specs"] == 1
    assert data["findings"] == [
        {
            "path": "migrations/bad.py",
            "line": line,
            "col": col,
            "severity": "error",
            "rule": "transaction-control",
            "message": "up[0]: COMMIT inside a step: the runtime owns the transaction",
            "hint": "remove it: each migration runs in a transaction of its own",
        }
    ]
    github = lint_cli(project, "--format", "github")
    assert github.stdout == (
        f"::error file=migrations/bad.py,line={line},col={col},title=transaction-control::"
        "up[0]: COMMIT inside a step: the runtime owns the transaction"
        " (remove it: each migration runs in a transaction of its own)\n"
    )


def test_changed_since_lints_the_specs_a_change_touches(tmp_path):
    project = make_project(
        tmp_path,
        "sqlite",
        old=BROKEN.format(name="old", sql="SELEC 1", down="[]"),
        new=BROKEN.format(name="new", sql="SELECT 1", down="[]"),
    )
    git = [
        "git",
        "-C",
        str(project),
        "-c",
        "user.name=t",
        "-c",
        "user.email=t@t.invalid",
    ]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "."], check=True)
    subprocess.run([*git, "commit", "-qm", "base"], check=True)
    (project / "migrations" / "new.py").write_text(
        BROKEN.format(name="new", sql="VACUUM", down="[]")
    )
    (project / "migrations" / "added.py").write_text(
        BROKEN.format(name="added", sql="BEGIN", down="[]")
    )

    result = lint_cli(project, "--changed-since", "HEAD")
    assert result.exit_code == 1
    sql_at = at(BROKEN, "{sql}")
    assert [
        line.split(": ")[0:2]
        for line in result.stdout.splitlines()
        if not line.startswith(" ")
    ] == [
        [f"migrations/added.py:{sql_at}", "error transaction-control"],
        [f"migrations/new.py:{sql_at}", "error non-transactional-statement"],
    ]
    unknown = lint_cli(project, "--changed-since", "no-such-ref")
    assert unknown.exit_code == 2
    assert "git diff failed" in unknown.stderr


def test_a_down_plans_findings_are_one_per_migration_except_what_cant_run(tmp_path):
    spec = BROKEN.format(
        name="down",
        sql="SELECT 1",
        down='[DataStep(script="UPDATE t SET a = 0"), DataStep(script="DELETE FROM t"),'
        ' SchemaStep("SELECT 1; COMMIT")]',
    ).replace("SchemaStep\n", "SchemaStep, DataStep\n")
    result = lint_cli(make_project(tmp_path, "sqlite", down=spec), "--format", "json")
    findings = json.loads(result.stdout)["findings"]
    first, second = at(spec, "DataStep("), at(spec, "DataStep(", 1)
    assert [(f["rule"], f"{f['line']}:{f['col']}", f["message"]) for f in findings] == [
        (
            "data-step-without-post-check",
            first,
            "down[0]: data step without a post-check; the down plan has 1 more:"
            f" data-step-without-post-check ({second})",
        ),
        (
            "transaction-control",
            at(spec, "COMMIT"),
            "down[2]: COMMIT inside a step: the runtime owns the transaction",
        ),
    ]


# -- build refuses what can't run ---------------------------------------------------------


def test_build_refuses_sql_that_fights_the_transaction(tmp_path):
    project = make_project(
        tmp_path,
        "postgresql",
        one=BROKEN.format(
            name="one", sql="CREATE INDEX CONCURRENTLY i ON t (a)", down="[]"
        ),
    )
    result = CliRunner().invoke(root, ["build", "--all", "-C", str(project)])
    assert result.exit_code == 3
    assert result.stderr == (
        f"migrations/one.py:{at(BROKEN, '{sql}')}: non-transactional-statement: up[0]: CREATE INDEX CONCURRENTLY"
        " does not work inside a transaction, and this step runs in the migration's transaction;"
        " fix: move it to a step of its own with transactional=False\n"
        "1 problem found\n"
    )
    assert not (project / "generated").exists()


def test_build_refuses_sql_that_does_not_parse_in_the_dialect(tmp_path):
    spec = BROKEN.format(
        name="one", sql="ALTER TABLE t ALTER COLUMN a SET NOT NULL", down="[]"
    )
    sqlite_project = make_project(tmp_path / "s", "sqlite", one=spec)
    result = CliRunner().invoke(root, ["build", "--all", "-C", str(sqlite_project)])
    assert result.exit_code == 3
    assert result.stderr.startswith(
        f'migrations/one.py:{at(spec, "ALTER", 1)}: syntax-error: up[0]: near "ALTER": syntax error; fix:'
    )
    pg_project = make_project(tmp_path / "p", "postgresql", one=spec)
    assert (
        CliRunner().invoke(root, ["build", "--all", "-C", str(pg_project)]).exit_code
        == 0
    )


# -- configuration -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "setting,url,dialect",
    [
        ("", "sqlite:///a.db", "sqlite"),
        ("", "postgresql://h/db", "postgresql"),
        ("", "postgres://h/db", "postgresql"),
        ('dialect = "postgresql"\n', "sqlite:///a.db", "postgresql"),
        ('dialect = "sqlite"\n', "postgresql://h/db", "sqlite"),
    ],
)
def test_dialect_from_config_else_the_database_url(tmp_path, setting, url, dialect):
    (tmp_path / "pyproject.toml").write_text(
        f'[tool.contractspec]\ndatabase = "{url}"\n{setting}'
    )
    assert load_config(tmp_path).dialect == dialect


def test_bad_dialect_and_lint_ignore_are_config_errors(tmp_path):
    (tmp_path / "pyproject.toml").write_text(
        '[tool.contractspec]\ndialect = "mysql"\nlint_ignore = "all"\n'
    )
    with pytest.raises(SpecError) as caught:
        load_config(tmp_path)
    assert [str(d) for d in caught.value.diagnostics] == [
        "pyproject.toml:2:1: dialect must be one of postgresql, sqlite, got 'mysql'",
        "pyproject.toml:3:1: lint_ignore must be a list of rule names",
    ]


def test_lint_ignore_needs_a_reason(tmp_path):
    spec = BROKEN.format(name="one", sql="SELECT 1", down="[]").replace(
        '"SELECT 1")', '"SELECT 1", lint_ignore={"prefer-robust-stmts": ""})'
    )
    project = make_project(tmp_path, "sqlite", one=spec)
    result = lint_cli(project)
    assert result.exit_code == 3
    where = at(spec, '"prefer-robust-stmts')
    assert (
        f"migrations/one.py:{where}: lint_ignore needs a rule name and a reason, got 'prefer-robust-stmts': ''"
        in result.stderr
    )


def test_the_shop_example_lints_clean_of_errors():
    shop = Path(__file__).resolve().parents[1] / "generated_examples" / "shop"
    result = lint_cli(shop)
    assert result.exit_code == 0, result.output
    assert "error" not in result.stdout


# -- contractspec spec lint-ignore ------------------------------------------------------------


def test_spec_lint_ignore_adds_and_extends_a_steps_acceptances(tmp_path):
    spec = SQUAWK_SPEC.format(name="one", options="")
    project = make_project(tmp_path, "postgresql", one=spec)
    path = project / "migrations" / "one.py"

    def edit(*args: str):
        return CliRunner().invoke(
            root, ["spec", "lint-ignore", "app.db.one", "-C", str(project), *args]
        )

    added = edit(
        "--step",
        "2",
        "--rule",
        "adding-required-field",
        "--reason",
        "accounts is empty",
    )
    assert added.exit_code == 0, added.output
    assert (
        'lint_ignore={"adding-required-field": "accounts is empty"},'
        in path.read_text()
    )
    more = edit(
        "--step",
        "2",
        "--rule",
        "require-concurrent-index-creation",
        "--reason",
        "12 rows",
    )
    assert more.exit_code == 0, more.output
    assert (
        'lint_ignore={"adding-required-field": "accounts is empty", "require-concurrent-index-creation": "12 rows"}'
        in path.read_text()
    )
    again = edit(
        "--step",
        "2",
        "--rule",
        "require-concurrent-index-creation",
        "--reason",
        "12 rows",
    )
    assert again.exit_code == 0 and "already accepts" in again.output
    assert edit("--step", "9", "--rule", "x", "--reason", "y").exit_code == 2

    result = lint_cli(project)
    assert result.exit_code == 0, result.output  # both hazards accepted, with reasons
    assert result.stdout == ""


# -- positions inside string literals -------------------------------------------------------

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from contractspec.codegen.literals import string_literal  # noqa: E402
from contractspec.lint.positions import SourceMap  # noqa: E402

TEXT = st.text(alphabet="ab ;'\"\\\n\t\r\x00é€\u2028", max_size=40)


@settings(max_examples=150, deadline=None)
@given(text=TEXT, multiline=st.booleans(), raw_prefix=st.integers(0, 3))
def test_every_value_character_maps_to_the_source_character_it_came_from(
    text, multiline, raw_prefix
):
    """Literals written the ways the project writes them: each position holds that character,
    or the backslash of the escape that makes it; positions only move forward."""
    literal = string_literal(text, multiline=multiline)
    source = f"{'#' * raw_prefix}\nX = 1\nSQL = {literal}\nspec = f(SQL)\n"
    lines = source.split("\n")
    start = (3, len("SQL = ") + 1)
    source_map = SourceMap(source)
    previous = (0, 0)
    for offset, char in enumerate(text):
        line, col = source_map.locate(start, offset)
        at = (
            lines[line - 1][col - 1 : col] or "\n"
        )  # a line break sits past the line's end
        assert at == char or at == "\\", (offset, char, at, literal)
        assert (line, col) > previous
        previous = (line, col)
    # a name bound to the literal leads to the same positions
    use = (source.count("\n", 0, source.index("spec = ")) + 1, len("spec = f(") + 1)
    assert source_map.locate(use, 0) == source_map.locate(start, 0)
