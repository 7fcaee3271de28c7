"""`contractspec import sqitch`, from Sqitch's documented rules (sqitch-plan,
sqitch-rework, sqitch-configuration, App::Sqitch::Plan::Change's
path_segments): two projects written for these tests, `sqitch_sqlite` (a
lending library) and `sqitch_pg` (a ledger), are imported, built, applied and
baselined on their database; small plans of each test's own cover the rules
one by one."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from support import catalogue, cli, new_project, run_scripts

from contractspec.format import format_source

DATA = Path(__file__).parent / "data" / "importers"
LIBRARY, LEDGER = DATA / "sqitch_sqlite", DATA / "sqitch_pg"

# Each plan's changes in deploy order: (the key it becomes, the change, the
# scripts' file name as Sqitch resolves it); this test's own reading of the plans.
LIBRARY_PLAN = [
    ("library.db.0001_authors.v1", "authors", "authors"),
    ("library.db.0002_books.v1", "books", "books"),
    ("library.db.0003_available_books.v1", "available_books", "available_books@v1.0"),
    ("library.db.0004_loans.v1", "loans", "loans"),
    ("library.db.0005_members.v1", "members", "members"),
    ("library.db.0003_available_books.v2", "available_books", "available_books@v2.1"),
    ("library.db.0006_loan_members.v1", "loan_members", "loan_members"),
    ("library.db.0003_available_books.v3", "available_books", "available_books"),
]
LEDGER_PLAN = [
    ("ledger.db.0001_appschema.v1", "appschema", "appschema"),
    ("ledger.db.0002_pgcrypto.v1", "pgcrypto", "pgcrypto"),
    ("ledger.db.0003_accounts.v1", "accounts", "accounts"),
    ("ledger.db.0004_insert_account.v1", "insert_account", "insert_account@v1.2.1"),
    ("ledger.db.0005_entries.v1", "entries", "entries"),
    (
        "ledger.db.0006_entries_account_idx.v1",
        "entries_account_idx",
        "entries_account_idx",
    ),
    ("ledger.db.0007_views_balances.v1", "views/balances", "views/balances@v1.2.1"),
    ("ledger.db.0004_insert_account.v2", "insert_account", "insert_account@v2.1"),
    ("ledger.db.0007_views_balances.v2", "views/balances", "views/balances"),
    ("ledger.db.0004_insert_account.v3", "insert_account", "insert_account"),
]


def fixture_for(dialect: str) -> tuple[Path, list[tuple[str, str, str]]]:
    return (LIBRARY, LIBRARY_PLAN) if dialect == "sqlite" else (LEDGER, LEDGER_PLAN)


def database(dialect: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    """A fresh database of the dialect: a SQLite file, or conftest's PostgreSQL one."""
    if dialect == "sqlite":
        return f"sqlite:///{tmp_path / 'test.db'}"
    return str(request.getfixturevalue("pg_db"))


def scripts(source: Path, kind: str, plan: list[tuple[str, str, str]]) -> list[Path]:
    return [source / kind / f"{script}.sql" for _, _, script in plan]


def show(project: Path, key: str) -> dict:
    return json.loads(cli(project, "show", key, "--json").stdout)


def imported(project: Path, source: Path, *options: str) -> str:
    result = cli(project, "import", "sqitch", str(source), *options)
    assert result.exit_code == 0, result.stderr
    built = cli(project, "build", "--all")
    assert built.exit_code == 0, built.stderr
    return result.stderr


def history(project: Path, database: str) -> list[str]:
    result = cli(project, "migrate", "status", "--json", database=database)
    return [r["key"] for r in json.loads(result.stdout) if r["state"] == "applied"]


# --- the two projects, end to end ----------------------------------------------------


def test_each_change_becomes_a_spec_as_sqitch_resolves_it(tmp_path):
    project = new_project(tmp_path / "proj")  # no dialect: sqitch.conf's engine says
    result = cli(project, "import", "sqitch", str(LIBRARY), "--owner", "team-library")
    assert result.exit_code == 0, result.stderr
    assert [line.split("/")[-1] for line in result.stdout.splitlines()] == [
        key.split(".")[2] + (f"_{key[-2:]}" if not key.endswith("v1") else "") + ".py"
        for key, _, _ in LIBRARY_PLAN
    ]
    for path in (project / "migrations" / "library").iterdir():
        text = path.read_text()
        assert format_source(text) == text  # black-formatted
        assert "BEGIN;" not in text and "ROLLBACK;" not in text
    # Each version runs the scripts Sqitch would: the rework tags in Sqitch's order.
    for key, change, script in LIBRARY_PLAN:
        spec = show(project, key)
        deploy = (LIBRARY / "deploy" / f"{script}.sql").read_text()
        body = deploy.split("BEGIN;")[1].split("COMMIT;")[0].strip()
        assert body in spec["plan"]["up"][0]["sql"], key
        verify = spec["plan"]["up"][1]
        assert verify["kind"] == "validation" and verify["expect"] == "no_error"
        assert verify["description"] == f"sqitch verify {change}"
    v1 = show(project, LIBRARY_PLAN[2][0])
    assert v1["meta"]["tags"] == ["v1.0"]
    assert v1["meta"]["title"] == "A view of the books on the shelf."
    v3 = show(project, LIBRARY_PLAN[7][0])
    assert v3["dependencies"] == ["library.db.0006_loan_members.v1"]
    assert show(project, LIBRARY_PLAN[6][0])["dependencies"] == [
        "library.db.0004_loans.v1",
        "library.db.0005_members.v1",  # [@v1.2.1]: the change that tag is on
    ]
    assert "loans conflicts with legacy_loans: reported, not enforced" in result.stderr
    assert "members requires catalog:patrons from another project" in result.stderr
    strict = cli(project, "lint", "--strict")  # lint has nothing to say
    assert strict.exit_code == 0, strict.stdout + strict.stderr

    # A second import would duplicate every name: refused, nothing written.
    folder = project / "migrations" / "library"
    before = sorted(p.name for p in folder.iterdir())
    again = cli(project, "import", "sqitch", str(LIBRARY))
    assert again.exit_code == 2 and "already registered" in again.stderr
    assert sorted(p.name for p in folder.iterdir()) == before


def test_the_ledger_keeps_its_shape(tmp_path):
    project = new_project(tmp_path / "proj", "postgresql")
    notes = imported(project, LEDGER, "--owner", "team-ledger")
    index = show(project, "ledger.db.0006_entries_account_idx.v1")
    assert [s.get("transactional", True) for s in index["plan"]["up"]] == [False, True]
    assert [s.get("transactional", True) for s in index["plan"]["down"]] == [False]
    assert index["dependencies"] == [
        "ledger.db.0004_insert_account.v1",  # [@v1.1]
        "ledger.db.0005_entries.v1",
    ]
    assert "runs outside a transaction (CREATE INDEX CONCURRENTLY)" in notes
    assert show(project, "ledger.db.0005_entries.v1")["dependencies"] == [
        "ledger.db.0003_accounts.v1"  # [accounts@v1.0]
    ]
    balances = show(project, "ledger.db.0007_views_balances.v2")
    assert balances["dependencies"] == []  # its own earlier version is implied
    assert "views/balances requires reporting:calendar from another project" in notes
    assert balances["meta"]["tags"] == ["v2.1"]
    assert (
        show(project, "ledger.db.0004_insert_account.v3")["plan"]["up"][1]["assertion"]
        .strip()
        .endswith("'execute');")
    )


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql"])
def test_import_applies_and_reverts_like_the_original_scripts(
    tmp_path, dialect, request, DB
):
    url = database(dialect, tmp_path, request)
    db = DB(url)
    source, plan = fixture_for(dialect)
    run_scripts(db, scripts(source, "deploy", plan))
    expected = catalogue(db)
    assert expected
    run_scripts(db, scripts(source, "revert", plan)[::-1])
    assert catalogue(db) == []

    project = new_project(tmp_path / "proj", dialect)
    imported(project, source)
    up = cli(project, "migrate", "up", database=url)
    assert up.exit_code == 0, up.stderr
    assert catalogue(db) == expected
    checks = [e["status"] for e in db.events() if e["event"] == "check"]
    assert checks == ["pass"] * len(plan)  # every verify ran, once
    down = cli(project, "migrate", "down", "--all", database=url)
    assert down.exit_code == 0, down.stderr
    assert catalogue(db) == []


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql"])
def test_every_verify_fails_until_its_change_is_deployed(
    tmp_path, dialect, request, DB
):
    """Change by change: its imported verify refuses the database that has
    every change before it, and passes once its own deploy script ran."""
    url = database(dialect, tmp_path, request)
    db = DB(url)
    source, plan = fixture_for(dialect)
    project = new_project(tmp_path / "proj", dialect)
    imported(project, source)
    empty = cli(project, "migrate", "baseline", "--all", "--verify", database=url)
    assert empty.exit_code == 1, empty.stderr  # an empty database is not verified
    assert history(project, url) == []
    for (key, change, _), script in zip(
        plan, scripts(source, "deploy", plan), strict=True
    ):
        refused = cli(project, "migrate", "baseline", key, "--verify", database=url)
        assert refused.exit_code == 1, (key, refused.stderr)
        assert f"sqitch verify {change}" in refused.stderr, refused.stderr
        assert key not in history(project, url)
        run_scripts(db, [script])
        verified = cli(project, "migrate", "baseline", key, "--verify", database=url)
        assert verified.exit_code == 0, (key, verified.stderr)
    assert sorted(history(project, url)) == sorted(key for key, _, _ in plan)


@pytest.mark.parametrize(
    ("dialect", "missing"),
    [("sqlite", "members"), ("postgresql", "pgcrypto")],
)
def test_baseline_verify_refuses_what_a_change_did_not_make(
    tmp_path, dialect, missing, request, DB
):
    """A database migrated without one change (an instance without the pgcrypto
    extension) is not recorded as having it."""
    url = database(dialect, tmp_path, request)
    source, plan = fixture_for(dialect)
    run_scripts(
        DB(url), [p for p in scripts(source, "deploy", plan) if p.stem != missing]
    )
    project = new_project(tmp_path / "proj", dialect)
    imported(project, source)
    refused = cli(project, "migrate", "baseline", "--all", "--verify", database=url)
    assert refused.exit_code == 1
    assert f"sqitch verify {missing}" in refused.stderr
    key = next(k for k, change, _ in plan if change == missing)
    assert key not in history(project, url)


# --- reworked changes, by Sqitch's rules ------------------------------------------------

PLANNER = "2025-01-01T00:00:00Z Pat Planner <pat@example.invalid>"


def sqitch_project(folder: Path, plan: str, scripts: dict[str, str]) -> Path:
    """A Sqitch project for SQLite: sqitch.conf, the plan (a change per line,
    planner added), and deploy/revert/verify scripts by path."""
    folder.mkdir(parents=True)
    (folder / "sqitch.conf").write_text("[core]\n\tengine = sqlite\n")
    lines = [
        line if not line or line.startswith("%") else f"{line} {PLANNER}"
        for line in plan.strip().splitlines()
    ]
    (folder / "sqitch.plan").write_text("\n".join(lines) + "\n")
    for name, text in scripts.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text)
    return folder


REWORKED = """%project=shop

prices
@v1
discounts
@v2
@v2.1
prices [prices@v2.1]
"""


@pytest.mark.parametrize(
    ("present", "used"),
    [
        ("prices@v2.sql", "prices@v2.sql"),  # Sqitch tries v2, v2.1, then v1
        ("prices@v2.1.sql", "prices@v2.1.sql"),
        ("prices@v1.sql", "prices@v1.sql"),
    ],
)
def test_a_reworked_change_uses_the_first_tag_whose_deploy_script_exists(
    tmp_path, present, used
):
    scripts = {
        f"deploy/{present}": "CREATE TABLE prices (id INTEGER);\n",
        f"revert/{present}": "DROP TABLE prices;\n",
        f"verify/{present}": "SELECT id FROM prices WHERE 0;\n",
        "deploy/discounts.sql": "CREATE TABLE discounts (id INTEGER);\n",
        "deploy/prices.sql": "ALTER TABLE prices ADD COLUMN cents INTEGER;\n",
    }
    if used != "prices@v1.sql":  # a file for a tag Sqitch tries later is not used
        scripts["deploy/prices@v1.sql"] = "CREATE TABLE wrong (id INTEGER);\n"
    source = sqitch_project(tmp_path / "sqitch", REWORKED, scripts)
    project = new_project(tmp_path / "proj")
    result = cli(project, "import", "sqitch", str(source))
    assert result.exit_code == 0, result.stderr
    first = show(project, "shop.db.0001_prices.v1")
    assert first["plan"]["up"][0]["sql"] == "CREATE TABLE prices (id INTEGER);\n"
    assert first["plan"]["down"][0]["sql"] == "DROP TABLE prices;\n"
    assert first["meta"]["tags"] == ["v1"]
    assert (
        f"prices ({used})"
        in (project / "migrations" / "shop" / "0001_prices.py").read_text()
    )
    second = show(project, "shop.db.0001_prices.v2")
    assert second["plan"]["up"][0]["sql"].startswith("ALTER TABLE prices")
    assert second["plan"]["down"] is None  # revert/prices.sql is missing


def test_when_no_tagged_script_exists_the_names_tried_are_listed(tmp_path):
    source = sqitch_project(
        tmp_path / "sqitch",
        REWORKED,
        {"deploy/prices.sql": "SELECT 1;\n", "deploy/discounts.sql": "SELECT 1;\n"},
    )
    project = new_project(tmp_path / "proj")
    result = cli(project, "import", "sqitch", str(source))
    assert result.exit_code == 2
    assert result.stderr.startswith(
        f"contractspec: error: {source / 'sqitch.plan'}:3:1:"
    )
    assert (
        "prices is reworked at line 8, but"
        f" {source / 'deploy'} has none of the scripts Sqitch tries for it:"
        " prices@v2.sql, prices@v2.1.sql, prices@v1.sql"
    ) in result.stderr
    assert not (project / "migrations" / "shop").exists()


def test_a_change_reworked_twice_becomes_three_versions(tmp_path):
    plan = """%project=shop

prices
@v1
prices [prices@v1]
@v2
@v2.0.1
prices [prices@v2.0.1]
"""
    source = sqitch_project(
        tmp_path / "sqitch",
        plan,
        {
            "deploy/prices@v1.sql": "CREATE TABLE prices (id INTEGER);\n",
            "deploy/prices@v2.0.1.sql": "CREATE INDEX prices_id ON prices (id);\n",
            "deploy/prices.sql": "DROP INDEX prices_id;\n",
        },
    )
    project = new_project(tmp_path / "proj")
    result = cli(project, "import", "sqitch", str(source))
    assert result.exit_code == 0, result.stderr
    keys = [s["key"] for s in json.loads(cli(project, "list", "--json").stdout)]
    assert keys == [f"shop.db.0001_prices.v{n}" for n in (1, 2, 3)]
    assert show(project, keys[1])["plan"]["up"][0]["sql"].startswith("CREATE INDEX")
    assert show(project, keys[2])["meta"]["tags"] == []
    assert "prices: no verify script: nothing checks what shop.db.0001_prices.v3" in (
        result.stderr
    )


def test_a_rework_without_a_tag_between_is_refused(tmp_path):
    source = sqitch_project(
        tmp_path / "sqitch", "%project=shop\n\nprices\nprices\n", {}
    )
    result = cli(new_project(tmp_path / "proj"), "import", "sqitch", str(source))
    assert result.exit_code == 2
    assert (
        f"{source / 'sqitch.plan'}:4:1: prices is reworked without a tag since line 3"
    ) in result.stderr


# --- dependencies ------------------------------------------------------------------------


def test_dependencies_mean_the_versions_sqitch_means(tmp_path):
    plan = """%project=shop

customers
@v1
prices [shop:customers]
customers [customers@v1]
@v2
orders [customers@v1 @v2 prices !carts crm:contacts 0123456789abcdef0123456789abcdef01234567]
"""
    table = "CREATE TABLE {0} (id INTEGER);\n"
    source = sqitch_project(
        tmp_path / "sqitch",
        plan,
        {
            "deploy/customers@v1.sql": table.format("customers"),
            "deploy/customers.sql": "ALTER TABLE customers ADD COLUMN name TEXT;\n",
            "deploy/prices.sql": table.format("prices"),
            "deploy/orders.sql": table.format("orders"),
        },
    )
    project = new_project(tmp_path / "proj")
    result = cli(project, "import", "sqitch", str(source))
    assert result.exit_code == 0, result.stderr
    assert show(project, "shop.db.0002_prices.v1")["dependencies"] == [
        "shop.db.0001_customers.v1"  # shop:customers is this project's
    ]
    assert show(project, "shop.db.0003_orders.v1")["dependencies"] == [
        "shop.db.0001_customers.v1",  # customers@v1
        "shop.db.0001_customers.v2",  # @v2: the change tagged v2
        "shop.db.0002_prices.v1",
    ]
    notes = result.stderr
    assert "sqitch.plan:8: orders conflicts with carts: reported, not enforced" in notes
    assert "sqitch.plan:8: orders requires crm:contacts from another project" in notes
    assert "orders requires change id 0123456789abcdef0123456789abcdef01234567" in notes


def test_a_dependency_that_is_not_earlier_points_at_the_line(tmp_path):
    source = sqitch_project(
        tmp_path / "sqitch",
        "%project=x\n\nb [a]\na\n",
        {"deploy/a.sql": "SELECT 1;\n", "deploy/b.sql": "SELECT 1;\n"},
    )
    project = new_project(tmp_path / "proj")
    result = cli(project, "import", "sqitch", str(source))
    assert result.exit_code == 2
    assert (
        f"{source / 'sqitch.plan'}:3:1: b requires a, which is not earlier in the plan"
    ) in result.stderr
    assert not (project / "migrations" / "x").exists()


def test_a_template_verify_is_reported_not_imported(tmp_path):
    """`sqitch add` writes a verify script with no statement: a check that
    could not fail is not imported."""
    template = "-- Verify shop:prices on sqlite\n\nBEGIN;\n\n-- XXX Add verifications here.\n\nROLLBACK;\n"
    source = sqitch_project(
        tmp_path / "sqitch",
        "%project=shop\n\nprices\n",
        {
            "deploy/prices.sql": "CREATE TABLE prices (id INTEGER);\n",
            "verify/prices.sql": template,
        },
    )
    project = new_project(tmp_path / "proj")
    result = cli(project, "import", "sqitch", str(source))
    assert result.exit_code == 0, result.stderr
    assert "verify/prices.sql has no statements (Sqitch's template)" in result.stderr
    assert [
        s["kind"] for s in show(project, "shop.db.0001_prices.v1")["plan"]["up"]
    ] == ["schema"]


# --- the dialect ---------------------------------------------------------------------------


def test_the_engine_decides_when_the_project_does_not(tmp_path):
    pg = new_project(
        tmp_path / "pg"
    )  # no dialect, a SQLite URL: build would read SQLite
    result = cli(pg, "import", "sqitch", str(LEDGER))
    assert result.exit_code == 3
    assert (
        "the Sqitch project is postgresql (sqitch.conf [core] engine = pg) but this"
        " project sets no dialect"
    ) in result.stderr
    assert 'set dialect = "postgresql" in [tool.contractspec]' in result.stderr
    assert "contractspec init --dialect postgresql" in result.stderr
    assert not (pg / "migrations" / "ledger").exists()

    sqlite = new_project(tmp_path / "sqlite", "sqlite")
    result = cli(sqlite, "import", "sqitch", str(LEDGER))
    assert result.exit_code == 3
    assert "this project's dialect is sqlite ([tool.contractspec] dialect)" in (
        result.stderr
    )


def test_neither_saying_stops_with_the_fix(tmp_path):
    source = sqitch_project(
        tmp_path / "sqitch",
        "%project=shop\n\nprices\n",
        {"deploy/prices.sql": "SELECT 1;\n"},
    )
    (source / "sqitch.conf").unlink()
    project = new_project(tmp_path / "proj")
    result = cli(project, "import", "sqitch", str(source))
    assert result.exit_code == 3
    assert "the project sets no dialect and the Sqitch project does not say" in (
        result.stderr
    )
    assert "contractspec init --dialect postgresql" in result.stderr
    with_dialect = new_project(tmp_path / "proj2", "sqlite")
    assert cli(with_dialect, "import", "sqitch", str(source)).exit_code == 0


@pytest.mark.parametrize(
    ("conf", "said"),
    [
        (
            '[core]\n\ttarget = ledger\n[target "ledger"]\n\turi = db:pg://db/ledger\n',
            "[core] target ledger",
        ),
        ('[engine "pg"]\n\ttarget = db:pg:ledger\n', '[engine "pg"]'),
    ],
)
def test_the_engine_of_the_target(tmp_path, conf, said):
    source = sqitch_project(
        tmp_path / "sqitch",
        "%project=shop\n\nprices\n",
        {"deploy/prices.sql": "SELECT 1;\n"},
    )
    (source / "sqitch.conf").write_text(conf)
    result = cli(new_project(tmp_path / "proj"), "import", "sqitch", str(source))
    assert result.exit_code == 3
    assert f"the Sqitch project is postgresql (sqitch.conf {said}" in result.stderr


def test_an_engine_we_do_not_migrate_is_named(tmp_path):
    source = sqitch_project(
        tmp_path / "sqitch",
        "%project=shop\n\nprices\n",
        {"deploy/prices.sql": "SELECT 1;\n"},
    )
    (source / "sqitch.conf").write_text("[core]\n\tengine = mysql\n")
    result = cli(new_project(tmp_path / "proj"), "import", "sqitch", str(source))
    assert result.exit_code == 3
    assert "engine 'mysql' (sqitch.conf [core] engine = mysql)" in result.stderr


def test_sqitch_conf_moves_the_plan_and_scripts(tmp_path):
    source = sqitch_project(
        tmp_path / "sqitch",
        "%project=shop\n\nprices\n",
        {"db/changes/prices.ddl": "CREATE TABLE prices (id INTEGER);\n"},
    )
    (source / "db" / "sqitch.plan").write_text((source / "sqitch.plan").read_text())
    (source / "sqitch.plan").unlink()
    (source / "sqitch.conf").write_text(
        "[core]\n\tengine = sqlite\n\ttop_dir = db\n\textension = ddl\n"
        "\tdeploy_dir = db/changes\n"
    )
    project = new_project(tmp_path / "proj")
    result = cli(project, "import", "sqitch", str(source))
    assert result.exit_code == 0, result.stderr
    sql = show(project, "shop.db.0001_prices.v1")["plan"]["up"][0]["sql"]
    assert sql == "CREATE TABLE prices (id INTEGER);\n"
