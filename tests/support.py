"""What several test modules share: the example project, and the CLI run in-process.

A plain module (fixtures live in conftest.py): pytest puts tests/ on sys.path,
so a test module imports it as `from support import ...`.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
from pathlib import Path

from click.testing import CliRunner, Result
from hypothesis import settings

from contractspec.cli import root

SHOP = Path(__file__).resolve().parents[1] / "generated_examples" / "shop"
# The example's migrations in dependency order, as `contractspec list` prints them.
SHOP_ORDER = [
    "core.db.2025_01_add_accounts.v1",
    "core.db.2025_01_add_users.v1",
    "billing.db.2025_02_add_orders.v1",
    "billing.db.2025_02_add_orders.v2",
    "core.db.2025_03_backfill_display_names.v1",
    "billing.db.2025_04_validate_orders.v1",
]


def cli(
    project: Path | None,
    *args: str,
    database: str | None = None,
    input: str | None = None,
    cwd: Path | None = None,
) -> Result:
    """`contractspec ARGS -C PROJECT --database URL` in-process, from folder cwd.

    Returns click's Result (exit_code, stdout, stderr); an exception the CLI
    does not turn into an exit code fails the test with its traceback.
    """
    argv = list(args)
    if project is not None:
        argv += ["-C", str(project)]
    if database is not None:
        argv += ["--database", database]
    old = Path.cwd()
    if cwd is not None:
        os.chdir(cwd)
    try:
        return CliRunner().invoke(
            root, argv, input=input, prog_name="contractspec", catch_exceptions=False
        )
    finally:
        os.chdir(old)


def status(project: Path, database: str) -> dict[str, dict]:
    """`migrate status --json`, by migration key; the command must succeed."""
    result = cli(project, "migrate", "status", "--json", database=database)
    assert result.exit_code == 0, result.stderr
    return {row["key"]: row for row in json.loads(result.stdout)}


def examples(full: int) -> int:
    """A property test's example count: `full` under the "ci" hypothesis profile
    (CI=true), the loaded profile's share of it otherwise (conftest.py)."""
    return max(10, full * settings().max_examples // 100)


def new_project(folder: Path, dialect: str | None = None) -> Path:
    """`contractspec init FOLDER --dialect DIALECT`; without a dialect, the
    project an older init made: the SQLite default URL and no `dialect`."""
    result = cli(
        None, "init", str(folder), *(["--dialect", dialect] if dialect else [])
    )
    assert result.exit_code == 0, result.stderr
    if dialect is None:
        pyproject = folder / "pyproject.toml"
        pyproject.write_text(pyproject.read_text().replace('dialect = "sqlite"\n', ""))
    return folder


# What a database holds, apart from contractspec's own tables: the catalogue
# an import must reproduce. On PostgreSQL, extensions' own objects are left out.
_PG_CATALOGUE = [
    "SELECT nspname FROM pg_namespace WHERE nspname !~ '^pg_'"
    " AND nspname NOT IN ('information_schema', 'public') ORDER BY 1",
    "SELECT extname FROM pg_extension WHERE extname <> 'plpgsql' ORDER BY 1",
    "SELECT table_schema, table_name, column_name, data_type, is_nullable, column_default"
    " FROM information_schema.columns WHERE table_schema !~ '^(pg_|information_schema)'"
    " AND table_name !~ '^contractspec' ORDER BY 1, 2, ordinal_position",
    "SELECT schemaname, indexname, indexdef FROM pg_indexes WHERE schemaname !~ '^pg_'"
    " AND tablename !~ '^contractspec' ORDER BY 1, 2",
    "SELECT schemaname, viewname, definition FROM pg_views"
    " WHERE schemaname !~ '^(pg_|information_schema)' ORDER BY 1, 2",
    "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(c.oid)"
    " FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace"
    " WHERE n.nspname !~ '^(pg_|information_schema)' AND conrelid::regclass::text"
    " !~ '^contractspec' ORDER BY 1, 2",
    "SELECT n.nspname, p.proname, pg_get_function_identity_arguments(p.oid)"
    " FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace"
    " WHERE n.nspname !~ '^(pg_|information_schema)' AND NOT EXISTS (SELECT 1 FROM"
    " pg_depend d WHERE d.objid = p.oid AND d.deptype = 'e') ORDER BY 1, 2, 3",
    "SELECT t.typname, e.enumlabel FROM pg_enum e JOIN pg_type t ON t.oid = e.enumtypid"
    " ORDER BY 1, e.enumsortorder",
]


# SQLite: by structure, not by the CREATE text (a rebuilt or renamed table's
# text differs from the original's).
_SQLITE_CATALOGUE = [
    'SELECT m.type, m.name, p.name, p.type, p."notnull", p.dflt_value, p.pk'
    " FROM sqlite_master m JOIN pragma_table_info(m.name) p WHERE m.type IN"
    " ('table', 'view') AND m.name NOT LIKE 'contractspec%' AND m.name NOT LIKE"
    " 'sqlite_%' ORDER BY m.name, p.cid",
    'SELECT m.name, m.tbl_name, i."unique", c.name FROM sqlite_master m'
    " JOIN pragma_index_list(m.tbl_name) i ON i.name = m.name"
    " JOIN pragma_index_info(m.name) c WHERE m.type = 'index'"
    " AND m.name NOT LIKE 'sqlite_%' ORDER BY m.name, c.seqno",
    'SELECT m.name, f."table", f."from", f."to" FROM sqlite_master m'
    " JOIN pragma_foreign_key_list(m.name) f WHERE m.type = 'table' ORDER BY 1, 2, 3",
    "SELECT name, sql FROM sqlite_master WHERE type IN ('view', 'trigger') ORDER BY name",
]


def catalogue(db) -> list[tuple]:
    """The schema objects of `db` (a conftest DB) that are not contractspec's."""
    queries = _SQLITE_CATALOGUE if db.dialect == "sqlite" else _PG_CATALOGUE
    return [row for query in queries for row in db.rows(query)]


def run_scripts(db, paths: list[Path]) -> None:
    """Other tool's scripts, run directly as that tool would: a statement at a
    time on PostgreSQL (CREATE INDEX CONCURRENTLY refuses a multi-statement text)."""
    from contractspec.sql import parse

    for path in paths:
        text = path.read_text()
        if db.dialect == "sqlite":
            db.execute(text)
            continue
        parsed = parse(text, "postgresql")
        assert parsed.error is None, (path, parsed.error)
        for statement in parsed.statements:
            db.execute(statement.text)


# lint's corpora: a spec file ends with what lint must report there, in
# `# expect: <path>:<line>:<col>: <severity> <rule> @ <text>` lines; <text> is
# what the file at that position holds, checked without the linter.
EXPECT = re.compile(r"^# expect: (?P<where>\S+:\d+:\d+: \S+ \S+) @ (?P<text>.*)$", re.M)


def expected(path: Path) -> list[tuple[str, str]]:
    """(`path:line:col: severity rule`, text) of each `# expect:` line of a spec file."""
    return [(m["where"], m["text"]) for m in EXPECT.finditer(path.read_text())]


def start_signallable(command: list[str]) -> subprocess.Popen[str]:
    """Start command with its output piped, as a process that SIGINT reaches:
    a suite started in the background by a shell inherits SIGINT ignored, and
    a process keeps a signal its parent ignores (contractspec does too)."""
    return subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
