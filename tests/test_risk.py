"""A migration's computed risk (lint/risk.py): each reason, the levels, and
what the parser says a statement destroys, checked against real databases."""

from __future__ import annotations

import json
import re
import sqlite3
from collections import Counter
from dataclasses import replace
from pathlib import Path

import pytest
from support import SHOP, cli

from contractspec.lint import risk as risk_module
from contractspec.lint.risk import POINTS, THRESHOLDS
from contractspec.sql import parse

REPO = Path(__file__).resolve().parents[1]

# -- what a statement destroys, as the databases see it ------------------------------

SETUP = [
    "CREATE TABLE t (a INTEGER, b TEXT)",
    "INSERT INTO t VALUES (1, 'x'), (2, 'y')",
    "CREATE TABLE u (c INTEGER)",
    "INSERT INTO u VALUES (3)",
    "CREATE VIEW v AS SELECT a FROM t",
    "CREATE INDEX t_a ON t (a)",
]
# Statements that leave a table that held rows without any, or a column gone.
DESTROYING = {
    "both": [
        "DROP TABLE u",
        "DROP TABLE IF EXISTS u",
        "ALTER TABLE t DROP COLUMN b",
        "DELETE FROM u",
        'DELETE FROM "u"',
        "WITH old AS (SELECT 3 AS c) DELETE FROM u",
    ],
    "postgresql": [
        "TRUNCATE u",
        "TRUNCATE TABLE t, u",
        "DELETE FROM u USING t",
        "WITH gone AS (DELETE FROM u RETURNING c) SELECT count(*) FROM gone",
        "ALTER TABLE t ADD COLUMN d int, DROP COLUMN b",
    ],
    "sqlite": ["ALTER TABLE t DROP b", "DROP TABLE main.u"],
}
KEEPING = {
    "both": [
        "DELETE FROM t WHERE a = 2",
        "DELETE FROM u WHERE c IN (SELECT a FROM t)",
        "DROP VIEW v",
        "DROP INDEX t_a",
        "ALTER TABLE t ADD COLUMN d INTEGER",
        "UPDATE t SET b = 'z'",
        "CREATE TABLE w (e INTEGER)",
        "-- DROP TABLE u\nSELECT 1",
        "SELECT 'DROP TABLE u'",
    ],
    "postgresql": ["ALTER TABLE t ALTER COLUMN b SET DEFAULT 'q'"],
    "sqlite": [
        "CREATE TRIGGER keep AFTER INSERT ON t BEGIN DELETE FROM u; END",
        "DELETE FROM t WHERE (a) = 1 AND b = 'x' RETURNING a",
    ],
}


def _cases(dialect):
    return [(s, True) for s in DESTROYING["both"] + DESTROYING[dialect]] + [
        (s, False) for s in KEEPING["both"] + KEEPING[dialect]
    ]


def _lost(before: dict, after: dict) -> bool:
    """A table that held rows holds none (or is gone), or a column is gone."""
    for (table, column), rows in before.items():
        if rows and not after.get((table, column)):
            return True
    return False


def _sqlite_state(conn) -> dict:
    tables = [
        r[0]
        for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
    ]
    state = {}
    for table in tables:
        count = conn.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0]
        for (column,) in conn.execute(f"SELECT name FROM pragma_table_info('{table}')"):
            state[(table, column)] = count
    return state


@pytest.mark.parametrize("sql,destroys", _cases("sqlite"), ids=lambda v: str(v)[:40])
def test_sqlite_destroys_exactly_what_the_database_loses(tmp_path, sql, destroys):
    conn = sqlite3.connect(tmp_path / "t.db")
    for statement in SETUP:
        conn.execute(statement)
    before = _sqlite_state(conn)
    conn.executescript(sql)
    said = [loss for s in parse(sql, "sqlite").statements for loss in s.destroys]
    assert _lost(before, _sqlite_state(conn)) == destroys == bool(said), (sql, said)


def test_postgresql_destroys_exactly_what_the_database_loses(pg_db):
    import psycopg

    state = (  # base tables' columns: a view holds no data of its own
        "SELECT c.table_name, c.column_name FROM information_schema.columns c"
        " JOIN information_schema.tables t USING (table_schema, table_name)"
        " WHERE c.table_schema = 'public' AND t.table_type = 'BASE TABLE'"
    )
    with psycopg.connect(pg_db, autocommit=True) as conn:
        for sql, destroys in _cases("postgresql"):
            conn.execute("BEGIN")
            try:
                for statement in SETUP:
                    conn.execute(statement)
                before = {
                    (t, c): _count(conn, t) for t, c in conn.execute(state).fetchall()
                }
                conn.execute(sql)
                after = {
                    (t, c): _count(conn, t) for t, c in conn.execute(state).fetchall()
                }
            finally:
                conn.execute("ROLLBACK")
            said = [
                loss for s in parse(sql, "postgresql").statements for loss in s.destroys
            ]
            assert _lost(before, after) == destroys == bool(said), (sql, said)


def _count(conn, table: str) -> int:
    return conn.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0]


def test_each_loss_names_its_table_and_column():
    said = Counter(
        str(loss)
        for dialect in ("sqlite", "postgresql")
        for s in parse(
            "DROP TABLE u; ALTER TABLE t DROP COLUMN b; DELETE FROM u", dialect
        ).statements
        for loss in s.destroys
    )
    assert said == Counter(
        {
            "DROP TABLE u": 2,
            "ALTER TABLE t DROP COLUMN b": 2,
            "DELETE FROM u without WHERE": 2,
        }
    )


# -- each reason, and the levels they add up to ----------------------------------------

SPEC = """from contractspec import DataStep, MigrationCheck, MigrationMeta, MigrationPlan, MigrationSpec, SchemaStep

spec = MigrationSpec(
    meta=MigrationMeta(name="shop.db.m1", version=1, title="m1", owners=["qa"], stability={stability!r}),
    plan=MigrationPlan(up=[{up}], down={down}),
)
"""
CREATE = 'SchemaStep("CREATE TABLE t (a INTEGER)")'
UNDO = '[SchemaStep("DROP TABLE t")]'


def risk_of(
    folder: Path,
    up: str = CREATE,
    down: str = UNDO,
    stability: str = "stable",
    dialect: str = "sqlite",
    files: dict[str, str] | None = None,
) -> dict:
    """`show shop.db.m1 --json`'s risk for a one-spec project."""
    (folder / "migrations").mkdir(parents=True)
    (folder / "pyproject.toml").write_text(
        f'[tool.contractspec]\ndialect = "{dialect}"\n'
    )
    for name, text in (files or {}).items():
        (folder / "migrations" / name).write_text(text)
    (folder / "migrations" / "m1.py").write_text(
        SPEC.format(up=up, down=down, stability=stability)
    )
    result = cli(folder, "show", "shop.db.m1", "--json")
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)["risk"]


def reasons(risk: dict) -> list[tuple[str, str]]:
    return [(r["reason"], r["detail"]) for r in risk["reasons"]]


def test_a_plain_reversible_stable_migration_is_low(tmp_path):
    assert risk_of(tmp_path) == {"level": "low", "reasons": []}


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql"])
def test_destructive_statements_are_high_on_their_own(tmp_path, dialect):
    up = f'{CREATE}, SchemaStep("DELETE FROM accounts; DROP TABLE legacy")'
    risk = risk_of(tmp_path, up=up, dialect=dialect)
    assert risk["level"] == "high"
    assert reasons(risk) == [
        (
            "destructive",
            "up step 2: DELETE FROM accounts without WHERE; up step 2: DROP TABLE legacy",
        )
    ]


def test_destructive_sql_in_a_data_steps_file_counts(tmp_path):
    files = {"purge.sql": "-- every row goes\nTRUNCATE TABLE audit;\n"}
    risk = risk_of(
        tmp_path, up='DataStep("purge.sql")', dialect="postgresql", files=files
    )
    assert reasons(risk) == [("destructive", "up step 1: TRUNCATE audit")]


def test_what_the_down_plan_drops_and_scratch_tables_do_not_count(tmp_path):
    scratch = (
        'SchemaStep("CREATE TABLE staging (a int)"),'
        ' SchemaStep("INSERT INTO t SELECT a FROM staging; DROP TABLE staging")'
    )
    risk = risk_of(tmp_path, up=f"{CREATE}, {scratch}", dialect="postgresql")
    assert risk == {"level": "low", "reasons": []}


def test_irreversible_is_medium(tmp_path):
    risk = risk_of(tmp_path, down="None")
    assert (risk["level"], reasons(risk)) == (
        "medium",
        [("irreversible", "no down plan")],
    )


def test_a_step_outside_the_transaction_is_medium(tmp_path):
    up = f'{CREATE}, SchemaStep("CREATE INDEX t_a ON t (a)", transactional=False)'
    risk = risk_of(tmp_path, up=up)
    assert (risk["level"], reasons(risk)) == (
        "medium",
        [("outside-transaction", "up step 2 commits on its own")],
    )


def test_several_steps_are_one_reason(tmp_path):
    index = 'SchemaStep("CREATE INDEX t_{0} ON t (a)", transactional=False)'
    up = f"{CREATE}, {index.format('a')}, {index.format('b')}"
    risk = risk_of(tmp_path, up=up)
    assert (risk["level"], reasons(risk)) == (
        "medium",
        [("outside-transaction", "up steps 2, 3 commit on their own")],
    )


def test_a_project_without_a_dialect_reads_each_text_as_what_it_can_only_be(tmp_path):
    """show and status don't fail where lint asks for the dialect."""
    (tmp_path / "migrations").mkdir()
    (tmp_path / "pyproject.toml").write_text("[tool.contractspec]\n")
    up = 'SchemaStep("DROP TABLE legacy; SELECT 1::int")'  # PostgreSQL only
    (tmp_path / "migrations" / "m1.py").write_text(
        SPEC.format(up=up, down=UNDO, stability="stable")
    )
    shown = cli(tmp_path, "show", "shop.db.m1", "--json")
    assert shown.exit_code == 0, shown.stderr
    assert json.loads(shown.stdout)["risk"]["level"] == "high"
    assert cli(tmp_path, "lint").exit_code == 3  # lint asks


def test_a_batched_data_step_is_medium(tmp_path):
    up = f'{CREATE}, DataStep("UPDATE t SET a = 0 WHERE a IS NULL", batch_size=500)'
    risk = risk_of(tmp_path, up=up)
    assert (risk["level"], reasons(risk)) == (
        "medium",
        [("batched", "up step 2 commits in batches")],
    )


def test_a_persons_work_is_medium_in_the_up_plan_only(tmp_path):
    manual = (
        'DataStep(instructions="Load the partner file.",'
        ' post_checks=[MigrationCheck("loaded", "SELECT COUNT(*) > 0 FROM t")])'
    )
    risk = risk_of(tmp_path / "up", up=f"{CREATE}, {manual}")
    assert (risk["level"], reasons(risk)) == (
        "medium",
        [("instructions", "up step 2 is a person's work")],
    )
    down = f'[{manual}, SchemaStep("DROP TABLE t")]'
    assert risk_of(tmp_path / "down", down=down)["level"] == "low"


def test_accepting_an_error_level_rule_is_medium_and_a_warning_is_not_counted(tmp_path):
    index = (
        'SchemaStep("CREATE INDEX t_a ON t (a)",'
        ' lint_ignore={"require-concurrent-index-creation": "t has 12 rows"})'
    )
    risk = risk_of(tmp_path / "error", up=f"{CREATE}, {index}", dialect="postgresql")
    assert (risk["level"], reasons(risk)) == (
        "medium",
        [
            (
                "accepted-lint-error",
                "up step 2 accepts require-concurrent-index-creation (t has 12 rows)",
            )
        ],
    )
    advice = 'SchemaStep("CREATE TABLE u (a int)", lint_ignore={"prefer-bigint-over-int": "small"})'
    assert (
        risk_of(tmp_path / "warning", up=advice, dialect="postgresql")["level"] == "low"
    )


@pytest.mark.parametrize(
    "stability,level",
    [
        ("idea", "medium"),
        ("in_creation", "medium"),
        ("experimental", "medium"),
        ("beta", "low"),
        ("stable", "low"),
        ("deprecated", "low"),
    ],
)
def test_stability_below_beta_is_unstable(tmp_path, stability, level):
    risk = risk_of(tmp_path, stability=stability)
    assert risk["level"] == level
    if level == "medium":
        assert reasons(risk) == [("unstable", f"stability {stability}, below beta")]


def test_points_add_up_three_reasons_of_one_point_are_high(tmp_path):
    up = (
        f'{CREATE}, SchemaStep("CREATE INDEX t_a ON t (a)", transactional=False),'
        ' DataStep("UPDATE t SET a = 0 WHERE a IS NULL", batch_size=500)'
    )
    two = risk_of(tmp_path / "two", up=up)
    assert (two["level"], [r for r, _ in reasons(two)]) == (
        "medium",
        ["outside-transaction", "batched"],
    )
    three = risk_of(tmp_path / "three", up=up, down="None")
    assert (three["level"], [r for r, _ in reasons(three)]) == (
        "high",
        ["irreversible", "outside-transaction", "batched"],
    )
    assert sum(r["points"] for r in three["reasons"]) == 3


def test_the_documented_rule_is_the_one_that_runs():
    """docs/review.md's table and lint/risk.py's module docstring say POINTS."""
    docs = (REPO / "docs" / "review.md").read_text()
    table = dict(re.findall(r"^\| `([a-z-]+)` \| (\d) \|", docs, re.M))
    assert {reason: int(points) for reason, points in table.items()} == POINTS
    assert "**0 low, 1–2 medium, 3 or more high**" in " ".join(docs.split())
    assert THRESHOLDS == {"low": 0, "medium": 1, "high": 3}
    module = risk_module.__doc__ or ""
    for reason, points in POINTS.items():
        assert re.search(rf"\| {reason} +\| {points} ", module), reason


# -- remembered: .contractspec_cache/risks.marshal ------------------------------------


def _show_risk(folder: Path) -> dict:
    result = cli(folder, "show", "shop.db.m1", "--json")
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)["risk"]


def test_a_remembered_risk_is_assessed_again_when_the_spec_or_its_sql_file_changes(
    tmp_path,
):
    files = {"fix.sql": "UPDATE t SET a = 0 WHERE a IS NULL;\n"}
    assert risk_of(tmp_path, up='DataStep("fix.sql")', files=files)["level"] == "low"
    assert (tmp_path / ".contractspec_cache" / "risks.marshal").exists()
    # The spec's bytes unchanged, the file it runs edited: a new risk.
    (tmp_path / "migrations" / "fix.sql").write_text("DELETE FROM t;\n")
    assert reasons(_show_risk(tmp_path)) == [
        ("destructive", "up step 1: DELETE FROM t without WHERE")
    ]
    # The spec edited (its down plan gone): a new risk again.
    spec = tmp_path / "migrations" / "m1.py"
    spec.write_text(spec.read_text().replace(f"down={UNDO}", "down=None"))
    assert [r for r, _ in reasons(_show_risk(tmp_path))] == [
        "destructive",
        "irreversible",
    ]


def test_a_remembered_risk_is_what_the_next_run_shows(tmp_path):
    """The entry is used (sealed, as contractspec writes it): status and show
    read it instead of the spec's SQL, which is the time it saves."""
    from contractspec import cachedir

    assert risk_of(tmp_path)["level"] == "low"
    path = tmp_path / ".contractspec_cache" / "risks.marshal"
    body = cachedir.unseal(path.name, path.read_bytes())
    assert body is not None and b"low" in body
    path.write_bytes(cachedir.seal(path.name, body.replace(b"low", b"LOW")))
    assert _show_risk(tmp_path)["level"] == "LOW"


def test_a_spec_without_a_fingerprint_yet_is_assessed_not_remembered(tmp_path):
    """No dialect, and a step outside the transaction in SQLite-only SQL: its
    fingerprint waits for the project to name a dialect; show and status don't."""
    (tmp_path / "migrations").mkdir()
    (tmp_path / "pyproject.toml").write_text("[tool.contractspec]\n")
    up = f'{CREATE}, SchemaStep("PRAGMA foreign_keys = OFF", transactional=False)'
    (tmp_path / "migrations" / "m1.py").write_text(
        SPEC.format(up=up, down=UNDO, stability="stable")
    )
    for _ in range(2):
        assert reasons(_show_risk(tmp_path)) == [
            ("outside-transaction", "up step 2 commits on its own")
        ]


def test_a_risk_is_remembered_by_everything_it_is_computed_from(tmp_path):
    """Its fingerprint (the spec and the files it runs), its path, the
    project's root, its dialect and its file limits are all in the key."""
    from contractspec.lint.risk import KnownRisks
    from contractspec.project import open_project

    risk_of(tmp_path)
    project = open_project(tmp_path)
    config, key = project.config, project.registry.lookup("shop.db.m1").key
    loaded, fingerprint = project.specs[key], project.fingerprint(key)

    def entry(loaded=loaded, fingerprint=fingerprint, **changes) -> str:
        return KnownRisks(replace(config, **changes)).entry(loaded, fingerprint)

    entries = [
        entry(),
        entry(fingerprint="sha256:" + "0" * 64),
        entry(loaded=replace(loaded, path="migrations/m2.py")),
        entry(root=tmp_path / "x"),
        entry(dialect_setting="postgresql"),
        entry(files=replace(config.files, max_bytes=config.files.max_bytes + 1)),
    ]
    assert len(set(entries)) == len(entries)
    assert entry() == entries[0]


# -- where risk shows ----------------------------------------------------------------


def test_status_dry_run_and_lint_show_the_risk(tmp_path, copy_tracked):
    project = copy_tracked(SHOP, tmp_path / "shop")
    database = f"sqlite:///{tmp_path / 'shop.db'}"
    experimental = "billing.db.2025_04_validate_orders.v1"
    status = cli(project, "migrate", "status", database=database)
    header, *rows = status.stdout.splitlines()
    assert header.split()[:4] == ["KEY", "STATE", "HARNESS", "RISK"]
    levels = {row.split()[0]: row.split()[3] for row in rows}
    assert levels[experimental] == "medium"
    assert set(levels.values()) == {"low", "medium"}
    rows_json = json.loads(
        cli(project, "migrate", "status", "--json", database=database).stdout
    )
    by_key = {row["key"]: row["risk"] for row in rows_json}
    assert by_key[experimental] == {
        "level": "medium",
        "reasons": [
            {
                "reason": "unstable",
                "detail": "stability experimental, below beta",
                "points": 1,
            }
        ],
    }
    dry = cli(project, "migrate", "up", "--dry-run", database=database)
    assert (
        f"would apply {experimental}; risk medium (unstable: stability experimental, below beta)"
        in dry.stdout.splitlines()
    )
    dry_json = json.loads(
        cli(project, "migrate", "up", "--dry-run", "--json", database=database).stdout
    )
    assert dry_json["risk"][experimental]["level"] == "medium"
    lint = json.loads(cli(project, "lint", "--format", "json").stdout)
    assert {m["key"]: m["risk"]["level"] for m in lint["migrations"]} == {
        key: level for key, level in levels.items()
    }


def test_show_says_the_level_and_every_reason(tmp_path):
    risk_of(tmp_path, up=f'{CREATE}, SchemaStep("DROP TABLE legacy")', down="None")
    shown = cli(tmp_path, "show", "shop.db.m1")
    assert shown.exit_code == 0, shown.stderr
    assert (
        "  risk:        high (destructive: up step 2: DROP TABLE legacy;"
        " irreversible: no down plan)"
    ) in shown.stdout.splitlines()


def test_lint_github_writes_the_review_table_and_the_risk_output(
    tmp_path, copy_tracked, monkeypatch
):
    project = copy_tracked(SHOP, tmp_path / "shop")
    with (project / "pyproject.toml").open("a") as pyproject:
        pyproject.write(
            '\n[tool.contractspec.owners]\nteam-billing = ["@acme/billing"]\n'
        )
    summary, output = tmp_path / "summary.md", tmp_path / "output"
    output.write_text("earlier=1\n")  # other steps' outputs stay
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    monkeypatch.setenv("GITHUB_OUTPUT", str(output))
    result = cli(
        project, "lint", "--format", "github", "billing.db.2025_04_validate_orders"
    )
    assert result.exit_code == 0, result.stderr
    assert all(line.startswith("::") for line in result.stdout.splitlines())
    assert summary.read_text().splitlines()[2:] == [
        "| migration | risk | why | stability | owners |",
        "| --- | --- | --- | --- | --- |",
        "| `billing.db.2025_04_validate_orders.v1` | **medium** |"
        " unstable: stability experimental, below beta | experimental |"
        " team-billing (`@acme/billing`) |",
    ]
    assert output.read_text() == "earlier=1\nrisk=medium\n"
    monkeypatch.delenv("GITHUB_STEP_SUMMARY")
    monkeypatch.delenv("GITHUB_OUTPUT")
    assert cli(project, "lint", "--format", "github").exit_code == 0
    assert (
        summary.read_text().count("### contractspec") == 1
    )  # not in a job: not written
