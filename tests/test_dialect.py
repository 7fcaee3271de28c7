"""One SQL dialect, decided once (`Config.declared_dialect`, `Config.dialect_for`):
what decides it, and `build` and `lint` refusing to guess when nothing does
and the SQL can only be meant for one dialect. On real projects, built and
run on SQLite files and the suite's PostgreSQL server."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from support import cli

from contractspec.config import ENV_DATABASE, load_config
from contractspec.errors import ConfigError
from contractspec.sql import written_for


@pytest.fixture(autouse=True)
def no_env_database(monkeypatch):
    monkeypatch.delenv(ENV_DATABASE, raising=False)


def project(
    folder: Path, table: str, up: str, down: str = "DROP TABLE accounts"
) -> Path:
    """A project with one migration whose up step is `up`."""
    (folder / "migrations").mkdir(parents=True)
    (folder / "pyproject.toml").write_text(
        f'[tool.contractspec]\nharnesses = "harnesses"\n{table}'
    )
    (folder / "migrations" / "accounts.py").write_text(textwrap.dedent(f"""\
        from contractspec import MigrationMeta, MigrationPlan, MigrationSpec, SchemaStep

        migration = MigrationSpec(
            meta=MigrationMeta(name="app.db.0001_accounts", version=1, title="t", owners=["team"]),
            plan=MigrationPlan(up=[SchemaStep({up!r})], down=[SchemaStep({down!r})]),
        )
        """))
    return folder


SERIAL = "CREATE TABLE accounts (id SERIAL PRIMARY KEY, email TEXT NOT NULL)"
AUTOINCREMENT = "CREATE TABLE accounts (id INTEGER PRIMARY KEY AUTOINCREMENT)"
NEUTRAL = "CREATE TABLE accounts (id INTEGER PRIMARY KEY, email TEXT NOT NULL)"


# --- what decides it -------------------------------------------------------------


@pytest.mark.parametrize(
    "table, env, declared",
    [
        ('dialect = "postgresql"\n', {}, "postgresql"),
        ('dialect = "sqlite"\ndatabase = "postgresql://app@db/app"\n', {}, "sqlite"),
        ('database = "postgresql://app@db/app"\n', {}, "postgresql"),
        ('database = "sqlite:///app.db"\n', {}, "sqlite"),
        ("", {ENV_DATABASE: "postgres://app@db/app"}, "postgresql"),
        ("", {"DATABASE_URL": "postgresql://app@db/app"}, "postgresql"),
        ("", {}, None),  # the built-in default URL
        (
            'database = "sqlite:///contractspec.db"\n',
            {},
            None,
        ),  # as an older init wrote
        ("", {ENV_DATABASE: ""}, None),  # empty: unset
    ],
)
def test_what_declares_the_dialect(tmp_path, monkeypatch, table, env, declared):
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    (tmp_path / "pyproject.toml").write_text(f"[tool.contractspec]\n{table}")
    config = load_config(tmp_path)
    assert config.declared_dialect == declared
    assert config.dialect == (declared or "sqlite")


def test_the_database_flag_and_an_environment_decide(tmp_path, monkeypatch):
    (tmp_path / "pyproject.toml").write_text(
        "[tool.contractspec.environments.prod]\nurl_env = 'PROD_URL'\n"
    )
    flag = load_config(tmp_path, database="postgresql://app@db/app")
    assert flag.declared_dialect == "postgresql"
    # lint --env prod with $PROD_URL unset: the fallback URL is not prod's.
    monkeypatch.setenv(ENV_DATABASE, "postgresql://app@other/app")
    unset = load_config(tmp_path, environment="prod", connecting=False)
    assert unset.declared_dialect is None
    monkeypatch.setenv("PROD_URL", "postgresql://app@prod/app")
    assert load_config(tmp_path, environment="prod").declared_dialect == "postgresql"


@pytest.mark.parametrize(
    "sql, meant_for",
    [
        (SERIAL, "postgresql"),
        ("CREATE TABLE t (id BIGSERIAL)", "postgresql"),
        ("UPDATE t SET a = b::text", "postgresql"),
        ("CREATE INDEX CONCURRENTLY t_a ON t (a)", "postgresql"),
        (
            "CREATE FUNCTION f() RETURNS int AS $$ SELECT 1 $$ LANGUAGE sql",
            "postgresql",
        ),
        (
            "CREATE FUNCTION f() RETURNS int AS $body$ SELECT 1 $body$ LANGUAGE sql",
            "postgresql",
        ),
        ("ALTER TABLE t ALTER COLUMN a TYPE bigint", "postgresql"),
        (AUTOINCREMENT, "sqlite"),
        ("PRAGMA foreign_keys = ON", "sqlite"),
        ("INSERT OR IGNORE INTO t (a) VALUES (1)", "sqlite"),
        (NEUTRAL, None),
        ("SELECT count(*) = 0 FROM accounts", None),
        # The words only in a string or a comment: nothing PostgreSQL's own.
        ("INSERT INTO notes (body) VALUES ('id SERIAL, a::b, $$')", None),
        ("-- CREATE INDEX CONCURRENTLY later\nCREATE INDEX t_a ON t (a)", None),
        ("SELEC 1", None),  # broken in both: the parser of the dialect will say so
    ],
)
def test_sql_that_can_only_be_meant_for_one_dialect(sql, meant_for):
    found = written_for(sql)
    assert (found[0] if found else None) == meant_for


def test_dialect_for_refuses_to_guess_and_names_the_fix(tmp_path):
    config = load_config(tmp_path)
    assert config.dialect_for([("a.sql", NEUTRAL)]) == "sqlite"
    with pytest.raises(ConfigError) as caught:
        config.dialect_for([("a.sql", NEUTRAL), ("b.sql", SERIAL)])
    message = str(caught.value)
    assert message.startswith("b.sql: the SQL uses 'SERIAL', which only PostgreSQL has")
    assert 'dialect = "postgresql" in [tool.contractspec]' in message
    assert "contractspec init --dialect postgresql" in message
    with pytest.raises(ConfigError, match='dialect = "sqlite"'):
        config.dialect_for([("c.sql", AUTOINCREMENT)])
    # Declared: no guessing, no second look at the SQL.
    (tmp_path / "pyproject.toml").write_text(
        '[tool.contractspec]\ndialect = "sqlite"\n'
    )
    assert load_config(tmp_path).dialect_for([("b.sql", SERIAL)]) == "sqlite"


# --- build and lint on real projects ------------------------------------------------


@pytest.mark.parametrize("command", [["build", "--all"], ["lint"]])
@pytest.mark.parametrize(
    "sql, fix", [(SERIAL, "postgresql"), (AUTOINCREMENT, "sqlite")]
)
def test_build_and_lint_stop_when_nothing_decides(tmp_path, command, sql, fix):
    root = project(tmp_path / "app", "", sql)
    result = cli(root, *command)
    assert result.exit_code == 3, result.output
    assert result.stderr.startswith(
        "contractspec: error: migrations/accounts.py: the SQL "
    )
    assert f'say which: dialect = "{fix}" in [tool.contractspec]' in result.stderr
    assert f"contractspec init --dialect {fix}" in result.stderr
    assert not (root / "harnesses").exists()  # nothing built on a guess


@pytest.mark.parametrize("command", [["build", "--all"], ["lint"]])
def test_neutral_sql_needs_no_dialect(tmp_path, command):
    root = project(tmp_path / "app", "", NEUTRAL)
    result = cli(root, *command)
    assert result.exit_code == 0, result.output


def test_the_fix_the_message_names_works_on_postgresql(tmp_path, pg_db, DB):
    root = project(tmp_path / "app", "", SERIAL)
    assert cli(root, "build", "--all").exit_code == 3
    fix = cli(None, "init", str(root), "--dialect", "postgresql")
    assert fix.exit_code == 0, fix.output
    assert 'dialect = "postgresql"' in (root / "pyproject.toml").read_text()
    assert cli(root, "build", "--all").exit_code == 0
    assert cli(root, "lint").exit_code == 0
    up = cli(root, "migrate", "up", database=pg_db)
    assert up.exit_code == 0, up.output
    assert DB(pg_db).table_exists("accounts")


def test_a_declared_dialect_is_the_one_parsed(tmp_path):
    # SQLite's SQL in a project that says postgresql: PostgreSQL's parser refuses it.
    root = project(tmp_path / "app", 'dialect = "postgresql"\n', AUTOINCREMENT)
    result = cli(root, "build", "--all")
    assert result.exit_code == 3
    assert 'syntax error at or near "AUTOINCREMENT"' in result.stderr
    sqlite = project(tmp_path / "lite", 'dialect = "sqlite"\n', AUTOINCREMENT)
    assert cli(sqlite, "build", "--all").exit_code == 0


def test_postgresql_without_a_url_does_not_migrate_sqlite(tmp_path, pg_db, DB):
    root = project(tmp_path / "app", 'dialect = "postgresql"\n', SERIAL)
    assert cli(root, "build", "--all").exit_code == 0
    result = cli(root, "migrate", "up")
    assert result.exit_code == 3
    assert 'dialect is "postgresql", and no database URL is set' in result.stderr
    assert f"${ENV_DATABASE}" in result.stderr
    assert not (root / "contractspec.db").exists()
    up = cli(root, "migrate", "up", database=pg_db)
    assert up.exit_code == 0, up.output
    assert DB(pg_db).table_exists("accounts")


def test_import_reads_the_scripts_in_the_dialect_init_wrote(tmp_path, pg_db, DB):
    """The pitfall of a PostgreSQL project imported into a fresh project: read
    as SQLite, `COMMIT;` after PostgreSQL-only SQL was kept and build refused it."""
    scripts = tmp_path / "flyway"
    scripts.mkdir()
    (scripts / "V1__accounts.sql").write_text(
        "BEGIN;\nCREATE TABLE accounts (\n"
        "    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,\n"
        "    email text NOT NULL\n);\nCOMMIT;\n"
    )
    root = tmp_path / "app"
    assert cli(None, "init", str(root), "--dialect", "postgresql").exit_code == 0
    imported = cli(root, "import", "flyway", str(scripts), "--domain", "app")
    assert imported.exit_code == 0, imported.output
    (spec_file,) = (root / "migrations").rglob("*.py")
    assert "COMMIT" not in spec_file.read_text()
    built = cli(root, "build", "--all")
    assert built.exit_code == 0, built.output
    assert cli(root, "migrate", "up", database=pg_db).exit_code == 0
    assert DB(pg_db).table_exists("accounts")
