"""A step outside the transaction runs its statements one by one, as `build`
split them with the dialect's own parser (pglast, sqlite3.complete_statement)
and wrote them into the harness, with what a rerun needs from the parse tree.

The statements are the ones a splitter by regular expression got wrong:
an E-string with escaped quotes, nested comments, dollar quotes with tags, a
semicolon in a quoted identifier. The harness must hold each statement whole,
and the real server must receive each whole (the rows show it)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest
from support import cli

from contractspec.codegen.statements import statement_entries

HEADER = "from contractspec import MigrationMeta, MigrationPlan, MigrationSpec, SchemaStep\n\n"
TICKETS = """\
CREATE TYPE ticket_state AS ENUM ('open', 'closed');
CREATE TABLE ticket_notes (id SERIAL PRIMARY KEY, body TEXT NOT NULL)"""
# Outside a transaction: a new enum value can't be used in the transaction
# that adds it, and CREATE INDEX CONCURRENTLY refuses one.
OUTSIDE = r"""-- the new state, and a note for the audit
ALTER TYPE ticket_state ADD VALUE IF NOT EXISTS 'won''t fix';
/* the notes below /* (nested; with semicolons) */ are for the audit; */
INSERT INTO ticket_notes (body) VALUES (E'state \'won\'\'t fix\' added; see RFC-7');
INSERT INTO ticket_notes (body) VALUES ($note$ a $$dollar$$ quote; one statement $note$);
CREATE INDEX CONCURRENTLY IF NOT EXISTS "notes;by body" ON ticket_notes (body);
"""
SENT = [
    {
        "sql": "ALTER TYPE ticket_state ADD VALUE IF NOT EXISTS 'won''t fix'",
        "safe_to_rerun": True,
    },
    {
        "sql": r"INSERT INTO ticket_notes (body) VALUES (E'state \'won\'\'t fix\' added; see RFC-7')"
    },
    {
        "sql": "INSERT INTO ticket_notes (body) VALUES ($note$ a $$dollar$$ quote; one statement $note$)"
    },
    {
        "sql": 'CREATE INDEX CONCURRENTLY IF NOT EXISTS "notes;by body" ON ticket_notes (body)',
        "builds_index": '"notes;by body"',
    },
]


def _spec(name: str, steps: str, dependency: str | None = None) -> str:
    depends = f", dependencies=[{dependency!r}]" if dependency else ""
    return HEADER + (
        f"spec = MigrationSpec(\n    meta=MigrationMeta(name={name!r}, version=1,"
        f' title="t", owners=["qa"]),\n    plan=MigrationPlan(up=[{steps}]){depends},\n)\n'
    )


def _project(tmp_path: Path, outside: str, **options: str) -> Path:
    root = tmp_path / "tickets"
    (root / "migrations").mkdir(parents=True)
    (root / "pyproject.toml").write_text(
        '[tool.contractspec]\nharnesses = "harnesses"\ndialect = "postgresql"\n'
    )
    (root / "migrations" / "m1.py").write_text(
        _spec("app.db.m1_tickets", f"SchemaStep({TICKETS!r})")
    )
    extra = "".join(f", {key}={value!r}" for key, value in options.items())
    step = f"SchemaStep({outside!r}, transactional=False{extra})"
    (root / "migrations" / "m2.py").write_text(
        _spec("app.db.m2_wont_fix", step, "app.db.m1_tickets")
    )
    return root


def _migration(harness: Path) -> dict:
    text = harness.read_text()
    start = text.index("MIGRATION = ") + len("MIGRATION = ")
    return ast.literal_eval(text[start : text.index("\n}\n", start) + 2])


def test_the_harness_sends_what_the_parser_split(tmp_path, pg_db, DB):
    root = _project(tmp_path, OUTSIDE)
    built = cli(root, "build", "--all")
    assert built.exit_code == 0, built.stderr
    harness = root / "harnesses" / "app__db__m2_wont_fix__v1.py"
    (step,) = _migration(harness)["up"]
    assert step["statements"] == SENT and "sql" not in step  # once, as sent
    preview = subprocess.run(
        [sys.executable, str(harness), "plan"], capture_output=True, text=True
    )
    assert 'statement 4 (a rerun drops "notes;by body" if invalid' in preview.stdout

    applied = cli(root, "migrate", "up", database=pg_db)
    assert applied.exit_code == 0, applied.stderr
    db = DB(pg_db)
    assert db.rows("SELECT body FROM ticket_notes ORDER BY id") == [
        ("state 'won''t fix' added; see RFC-7",),
        (" a $$dollar$$ quote; one statement ",),
    ]
    assert db.scalar(
        "SELECT indisvalid FROM pg_index WHERE indexrelid = '\"notes;by body\"'::regclass"
    )
    assert db.scalar("SELECT 'won''t fix'::ticket_state::text") == "won't fix"


def test_what_does_not_parse_gets_no_harness(tmp_path):
    root = _project(
        tmp_path, "CREATE INDEX CONCURRENTLY i ON ticket_notes (body; VACUUM"
    )
    built = cli(root, "build", "--all")
    assert built.exit_code == 3
    assert (
        built.stderr.startswith("migrations/m2.py:") and "syntax-error" in built.stderr
    )
    assert not (root / "harnesses" / "app__db__m2_wont_fix__v1.py").exists()

    root = _project(
        tmp_path / "again", "VACUUM ticket_notes", reconcile="DORP INDEX IF EXISTS i"
    )
    built = cli(root, "build", "--all")
    assert built.exit_code == 3
    line, *_ = built.stderr.splitlines()
    source = (root / "migrations" / "m2.py").read_text().splitlines()
    (number,) = [n for n, text in enumerate(source, 1) if "reconcile=" in text]
    column = source[number - 1].index("reconcile=") + len("reconcile=") + 1
    assert line.startswith(f"migrations/m2.py:{number}:{column}: ")
    assert line.endswith(
        'reconcile does not parse as postgresql: syntax error at or near "DORP"'
    )


def test_the_runtime_splits_nothing(tmp_path, pg_db, write_harness, run_harness):
    """MIGRATION data of a step outside the transaction without its statements
    (an older build, or an edit) is refused: there is no splitter to fall back on."""
    up = [
        {
            "kind": "schema",
            "sql": "CREATE INDEX CONCURRENTLY i ON t (x); VACUUM t",
            "transactional": False,
        }
    ]
    migration = {"key": "app.db.x.v1", "name": "app.db.x", "version": 1, "up": up}
    done = run_harness(
        write_harness(tmp_path / "h.py", migration), "up", "--database", pg_db
    )
    assert done.returncode == 3, done.stderr
    assert "malformed MIGRATION data" in done.stderr
    assert "carries its statements (and its reconcile) as lists" in done.stderr


@pytest.mark.parametrize(
    "dialect, text, sent",
    [
        # Each was split wrongly by the runtime's regular expression.
        (
            "postgresql",
            r"SELECT E'a\'; b'; SELECT 2",
            [r"SELECT E'a\'; b'", "SELECT 2"],
        ),
        (
            "postgresql",
            "SELECT 1 /* a /* b; */ c; */; SELECT 2",
            ["SELECT 1 /* a /* b; */ c; */", "SELECT 2"],
        ),
        (
            "postgresql",
            "DO $f$ BEGIN PERFORM $$;$$; END $f$; SELECT 2",
            ["DO $f$ BEGIN PERFORM $$;$$; END $f$", "SELECT 2"],
        ),
        (
            "postgresql",
            'CREATE TABLE "a;b" (x INT); SELECT 2',
            ['CREATE TABLE "a;b" (x INT)', "SELECT 2"],
        ),
        (
            "sqlite",
            "CREATE TRIGGER t AFTER INSERT ON x BEGIN SELECT 1; SELECT 2; END; VACUUM",
            [
                "CREATE TRIGGER t AFTER INSERT ON x BEGIN SELECT 1; SELECT 2; END",
                "VACUUM",
            ],
        ),
        (
            "sqlite",
            "INSERT INTO x VALUES ('a;b'); /* ; */ VACUUM;",
            ["INSERT INTO x VALUES ('a;b')", "VACUUM"],
        ),
    ],
)
def test_statements_are_split_by_the_dialects_parser(dialect, text, sent):
    assert [entry["sql"] for entry in statement_entries(text, dialect)] == sent


@pytest.mark.parametrize(
    "text, found",
    [
        (
            'CREATE INDEX CONCURRENTLY "By V" ON "Shop Data".items (v)',
            {"builds_index": '"Shop Data"."By V"'},
        ),
        (
            "CREATE UNIQUE INDEX CONCURRENTLY by_v ON items (v)",
            {"builds_index": "by_v"},
        ),
        (
            'REINDEX TABLE CONCURRENTLY "Shop Data"."Items"',
            {"reindexes_table": '"Shop Data"."Items"'},
        ),
        ("REINDEX (CONCURRENTLY) INDEX shop.by_v", {"reindexes_index": "shop.by_v"}),
        ("REINDEX (CONCURRENTLY false) INDEX shop.by_v", {"safe_to_rerun": True}),
        ("VACUUM (ANALYZE) items", {"safe_to_rerun": True}),
        ("DROP INDEX CONCURRENTLY IF EXISTS by_v", {"safe_to_rerun": True}),
        ("ALTER TABLE items ADD COLUMN IF NOT EXISTS v INT", {"safe_to_rerun": True}),
        ("CREATE OR REPLACE VIEW v AS SELECT 1", {"safe_to_rerun": True}),
        # Not safe: each would fail, or do its work twice, the second time.
        ("CREATE INDEX CONCURRENTLY ON items (v)", {}),  # no name to look up
        ("DROP INDEX CONCURRENTLY by_v", {}),
        ("ALTER TABLE IF EXISTS items ADD COLUMN v INT", {}),  # IF EXISTS: the table's
        ("INSERT INTO log VALUES ('IF NOT EXISTS')", {}),  # words in a string
    ],
)
def test_what_a_rerun_needs_comes_from_the_parse_tree(text, found):
    (entry,) = statement_entries(text, "postgresql")
    assert entry == {"sql": text, **found}
