"""`contractspec import flyway`, from Flyway's documented rules (Migrations:
naming, versions, undo, repeatable, baseline and callback scripts;
Configuration: flyway.toml, flyway.conf, locations, script configuration,
placeholders): `flyway_pg` (a shop: two locations, decimal versions between
each other's, CONCURRENTLY scripts) and `flyway_sqlite` (a club: a table
rebuilt between PRAGMAs) are imported, built, applied and baselined on their
database; small folders of each test's own cover the rules one by one."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from support import catalogue, cli, new_project, run_scripts

DATA = Path(__file__).parent / "data" / "importers"
SHOP, CLUB = DATA / "flyway_pg", DATA / "flyway_sqlite"

# The shop's versions in Flyway's order, merged from its two locations.
SHOP_ORDER = [
    ("schema", "V1__create_customers", "shop.db.v1_create_customers.v1"),
    ("schema", "V1_1__add_customer_email", "shop.db.v1_1_add_customer_email.v1"),
    ("schema", "V2__create_orders", "shop.db.v2_create_orders.v1"),
    ("data", "V2_1__seed_customers", "shop.db.v2_1_seed_customers.v1"),
    ("schema", "V13__order_lines", "shop.db.v13_order_lines.v1"),
    ("data", "V13_1__seed_orders", "shop.db.v13_1_seed_orders.v1"),
    ("data", "V13_2__seed_order_lines", "shop.db.v13_2_seed_order_lines.v1"),
    (
        "schema",
        "V14__index_orders_concurrently",
        "shop.db.v14_index_orders_concurrently.v1",
    ),
    ("schema", "V15__customer_emails_unique", "shop.db.v15_customer_emails_unique.v1"),
    ("schema", "V16__add_refunded_status", "shop.db.v16_add_refunded_status.v1"),
]
CLUB_ORDER = [
    ("V1__create_members", "club.db.v1_create_members.v1"),
    ("V1_1__add_member_name", "club.db.v1_1_add_member_name.v1"),
    ("V2__create_visits", "club.db.v2_create_visits.v1"),
    ("V10__unique_member_email", "club.db.v10_unique_member_email.v1"),
    ("V11__member_name_required", "club.db.v11_member_name_required.v1"),
]


def show(project: Path, key: str) -> dict:
    return json.loads(cli(project, "show", key, "--json").stdout)


def keys(project: Path) -> list[str]:
    return [s["key"] for s in json.loads(cli(project, "list", "--json").stdout)]


def modes(steps: list[dict]) -> list[bool]:
    return [step.get("transactional", True) for step in steps]


def import_ok(project: Path, *args: str) -> str:
    result = cli(project, "import", "flyway", *args)
    assert result.exit_code == 0, result.stderr
    return result.stderr


# --- the shop: a flyway.toml project with two locations, on PostgreSQL ---------------


def test_the_shop_merges_its_locations_by_version(tmp_path):
    project = new_project(tmp_path / "proj", "postgresql")
    notes = import_ok(project, str(SHOP), "--domain", "shop", "--owner", "team-shop")
    assert keys(project) == [key for _, _, key in SHOP_ORDER]
    shown = [show(project, key) for _, _, key in SHOP_ORDER]
    assert [s["dependencies"] for s in shown] == [[]] + [
        [key] for _, _, key in SHOP_ORDER[:-1]
    ]  # a chain in version order: 2 < 2.1 < 13 < 13.1 < 13.2 < 14
    assert (
        shown[3]["meta"]["description"]
        == "Flyway version 2.1 (V2_1__seed_customers.sql)"
    )
    assert (
        (project / "migrations" / "shop" / "v2_1_seed_customers.py")
        .read_text()
        .startswith("# Imported from Flyway: db/data/V2_1__seed_customers.sql.")
    )
    v14 = shown[7]["plan"]
    assert modes(v14["up"]) == [False, False, False]  # CONCURRENTLY only
    assert modes(v14["down"]) == [False, False]
    v15 = shown[8]["plan"]["up"]
    assert modes(v15) == [True, False, True]  # split, in the script's order
    assert v15[0]["sql"].startswith("-- A unique email per customer")
    assert v15[1]["sql"] == (
        "CREATE UNIQUE INDEX CONCURRENTLY customers_email_idx ON customers (email);\n"
    )
    assert v15[2]["sql"].startswith("ALTER TABLE customers VALIDATE CONSTRAINT")
    assert (
        "db/schema/V15__customer_emails_unique.sql: split into 3 steps in the"
        " script's order; outside the transaction: step 2 (CREATE INDEX CONCURRENTLY,"
        " line 5)"
    ) in notes
    assert modes(shown[9]["plan"]["up"]) == [False]  # executeInTransaction=false
    assert "runs outside a transaction (executeInTransaction=false)" in notes
    assert "BEGIN" not in shown[4]["plan"]["up"][0]["sql"]  # V13's own transaction
    assert (
        shown[1]["plan"]["down"][0]["sql"]
        == "ALTER TABLE customers DROP COLUMN email;\n"
    )
    assert shown[0]["plan"]["down"] is None
    for expected in [
        "db/schema/R__customer_totals.sql: not imported: a repeatable migration",
        "db/schema/afterMigrate.sql: not imported: a Flyway callback (afterMigrate)",
        "db/schema/V1__create_customers.sql:2: Flyway's own placeholder ${flyway:user}",
        "db/schema/V16__add_refunded_status.sql: no undo script, so version 16 is irreversible",
    ]:
        assert expected in notes
    assert "not-a-real-secret" not in notes


def test_the_shop_applies_like_flyway_ran_it(tmp_path, pg_url, pg_db, DB):
    db = DB(pg_db)
    run_scripts(
        db, [SHOP / "db" / where / f"{name}.sql" for where, name, _ in SHOP_ORDER]
    )
    expected = catalogue(db)
    data = db.rows("SELECT name, email FROM customers ORDER BY id") + db.rows(
        "SELECT sku, quantity FROM order_lines"
    )
    assert expected and data

    server = DB(pg_url)  # a second database, for the import
    name = urlsplit(pg_db).path.strip("/") + "_import"
    server.execute(f'CREATE DATABASE "{name}"')
    url = urlunsplit(urlsplit(pg_db)._replace(path=f"/{name}"))
    try:
        project = new_project(tmp_path / "proj", "postgresql")
        import_ok(project, str(SHOP), "--domain", "shop")
        assert cli(project, "build", "--all").exit_code == 0
        up = cli(project, "migrate", "up", database=url)
        assert up.exit_code == 0, up.stderr
        assert catalogue(DB(url)) == expected
        assert (
            DB(url).rows("SELECT name, email FROM customers ORDER BY id")
            + DB(url).rows("SELECT sku, quantity FROM order_lines")
            == data
        )
    finally:
        server.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    # The database Flyway migrated is adopted as it is.
    baseline = cli(project, "migrate", "baseline", "--all", "--verify", database=pg_db)
    assert baseline.exit_code == 0, baseline.stderr
    assert catalogue(db) == expected


# --- the club: a flyway.conf project, on SQLite ---------------------------------------


def test_the_club_round_trips_on_sqlite(tmp_path, DB):
    url = f"sqlite:///{tmp_path / 'club.db'}"
    db = DB(url)
    scripts = [CLUB / "sql" / f"{name}.sql" for name, _ in CLUB_ORDER]
    run_scripts(db, scripts[:1])
    only_first = catalogue(db)
    run_scripts(db, scripts[1:])
    expected = catalogue(db)

    project = new_project(
        tmp_path / "proj"
    )  # no dialect: flyway.conf's url says sqlite
    notes = import_ok(project, str(CLUB), "--domain", "club")
    assert keys(project) == [key for _, key in CLUB_ORDER]  # 10 after 2: numeric
    rebuild = show(project, CLUB_ORDER[4][1])["plan"]
    assert modes(rebuild["up"]) == [False, True, False]  # PRAGMA, the table, PRAGMA
    assert rebuild["up"][0]["sql"].endswith("PRAGMA foreign_keys = OFF;\n")
    assert (
        "BEGIN" not in rebuild["up"][1]["sql"]
        and "COMMIT" not in rebuild["up"][1]["sql"]
    )
    assert (
        "step 1 (PRAGMA foreign_keys, line 3), step 3 (PRAGMA foreign_keys, line 17)"
        in notes
    )
    first = (project / "migrations" / "club" / "v1_create_members.py").read_text()
    assert "down=None,  # Flyway has no undo script for version 1" in first
    # PRAGMA is SQLite's alone: lint and build read it only in a project that
    # says so (import read flyway.conf's url; it does not write the dialect).
    refused = cli(project, "lint")
    assert refused.exit_code == 3 and 'dialect = "sqlite"' in refused.stderr
    pyproject = project / "pyproject.toml"
    table = "[tool.contractspec]\n"
    pyproject.write_text(
        pyproject.read_text().replace(table, f'{table}dialect = "sqlite"\n')
    )
    strict = cli(project, "lint", "--strict")
    assert strict.exit_code == 0, strict.stdout + strict.stderr
    assert cli(project, "build", "--all").exit_code == 0

    # A database Flyway migrated: baselined, reverted to version 1 with the
    # undo scripts, then brought up again.
    assert cli(project, "migrate", "baseline", "--all", database=url).exit_code == 0
    down = cli(project, "migrate", "down", "--to", CLUB_ORDER[0][1], database=url)
    assert down.exit_code == 0, down.stderr
    assert catalogue(db) == only_first
    up = cli(project, "migrate", "up", database=url)
    assert up.exit_code == 0, up.stderr
    assert "4 applied, 1 already applied" in up.stderr
    assert catalogue(db) == expected


# --- versions, locations, configuration ----------------------------------------------


def scripts_in(folder: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text)
    return folder


def test_versions_compare_numerically_part_by_part(tmp_path):
    """Flyway's order: 1 < 1.1 < 1.2 < 2 < 10 < 13.1 < 13.2 < 14; `_` and `.`
    separate parts alike; leading zeros do not count."""
    names = [
        "V14__n",
        "V1_2__c",
        "V13.2__m",
        "V2__d",
        "V1__a",
        "V010__j",
        "V13_1__l",
        "V1.1__b",
    ]
    folder = scripts_in(tmp_path / "sql", {f"{n}.sql": "SELECT 1;\n" for n in names})
    project = new_project(tmp_path / "proj", "sqlite")
    import_ok(project, str(folder))
    assert [k.split(".")[2] for k in keys(project)] == [
        "v1_a", "v1_1_b", "v1_2_c", "v2_d", "v10_j", "v13_1_l", "v13_2_m", "v14_n",
    ]  # fmt: skip


def test_the_same_version_twice_names_both_files(tmp_path):
    """1.0 is 1 to Flyway: two scripts for it, in two locations, are refused."""
    schema = scripts_in(tmp_path / "schema", {"V1__create.sql": "SELECT 1;\n"})
    data = scripts_in(tmp_path / "data", {"V1_0__seed.sql": "SELECT 1;\n"})
    project = new_project(tmp_path / "proj", "sqlite")
    result = cli(project, "import", "flyway", str(schema), str(data))
    assert result.exit_code == 2
    assert (
        f"{data}/V1_0__seed.sql: version 1.0 appears twice (also {schema}/V1__create.sql)"
        in (result.stderr)
    )
    assert not (project / "migrations" / "app").exists()


@pytest.mark.parametrize(
    ("name", "text"),
    [
        (
            "flyway.conf",
            "flyway.url=jdbc:postgresql://db.example.invalid/app?password=hunter2\n"
            "flyway.locations=filesystem:db/schema,filesystem:db/data\n",
        ),
        (
            "flyway.toml",
            '[environments.prod]\nurl = "jdbc:postgresql://db.example.invalid/app"\n\n'
            '[flyway]\nenvironment = "prod"\n'
            'locations = ["filesystem:db/schema", "filesystem:db/data"]\n',
        ),
    ],
)
def test_a_project_folder_names_its_locations_and_database(tmp_path, name, text):
    folder = scripts_in(
        tmp_path / "flyway",
        {
            name: text,
            "db/schema/V1__create_t.sql": "CREATE TABLE t (id INT);\n",
            "db/data/V1_1__seed_t.sql": "INSERT INTO t VALUES (1);\n",
        },
    )
    sqlite = new_project(tmp_path / "sqlite")  # no dialect, a SQLite URL
    refused = cli(sqlite, "import", "flyway", str(folder))
    assert refused.exit_code == 3
    assert (
        f"the Flyway project is postgresql ({name}: url jdbc:postgresql:)"
        in refused.stderr
    )
    assert "hunter2" not in refused.stderr
    project = new_project(tmp_path / "pg", "postgresql")
    import_ok(project, str(folder))
    assert keys(project) == ["app.db.v1_create_t.v1", "app.db.v1_1_seed_t.v1"]


def test_flyway_toml_wins_over_flyway_conf(tmp_path):
    folder = scripts_in(
        tmp_path / "flyway",
        {
            "flyway.toml": '[flyway]\nlocations = ["filesystem:new"]\n',
            "flyway.conf": "flyway.locations=filesystem:old\n",
            "new/V1__new.sql": "SELECT 1;\n",
            "old/V1__old.sql": "SELECT 1;\n",
        },
    )
    project = new_project(tmp_path / "proj", "sqlite")
    import_ok(project, str(folder))
    assert keys(project) == ["app.db.v1_new.v1"]


@pytest.mark.parametrize(
    ("conf", "message"),
    [
        (
            "flyway.locations=classpath:db/migration\n",
            "location 'classpath:db/migration' is not a folder",
        ),
        (
            "flyway.locations=filesystem:db/*/sql\n",
            "location 'filesystem:db/*/sql' is not a folder",
        ),
        ("flyway.url=jdbc:sqlite:x.db\n", "sets no locations: give the script folders"),
        (
            "flyway.url=jdbc:mysql://h/db\nflyway.locations=filesystem:sql\n",
            "the url is jdbc:mysql:",
        ),
    ],
)
def test_configurations_we_cannot_follow_are_named(tmp_path, conf, message):
    folder = scripts_in(
        tmp_path / "flyway", {"flyway.conf": conf, "sql/V1__a.sql": "SELECT 1;\n"}
    )
    result = cli(
        new_project(tmp_path / "proj", "sqlite"), "import", "flyway", str(folder)
    )
    assert result.exit_code in (2, 3)
    assert f"{folder / 'flyway.conf'}: " in result.stderr and message in result.stderr


def test_neither_saying_stops_with_the_fix(tmp_path):
    folder = scripts_in(tmp_path / "sql", {"V1__a.sql": "SELECT 1;\n"})
    result = cli(new_project(tmp_path / "proj"), "import", "flyway", str(folder))
    assert result.exit_code == 3
    assert (
        "the Flyway project does not say (no flyway.toml or flyway.conf)"
        in result.stderr
    )
    assert "contractspec init --dialect postgresql" in result.stderr


# --- scripts: transactions, script configuration, placeholders, other kinds --------------


def test_script_configuration_and_transactions(tmp_path):
    folder = scripts_in(
        tmp_path / "sql",
        {
            "V1__t.sql": "CREATE TABLE t (id INT, n INT);\n",
            "V2__vacuum.sql": "VACUUM t;\n",
            "V3__concurrently.sql": "CREATE INDEX CONCURRENTLY t_id ON t (id);\n",
            "V4__backfill.sql": "UPDATE t SET n = 0;\nUPDATE t SET n = 1 WHERE id = 1;\n",
            "V4__backfill.sql.conf": "executeInTransaction=false\nshouldExecute=${env}==prod\n",
            "V5__plain.sql": "ALTER TABLE t ADD COLUMN m INT;\n",
        },
    )
    project = new_project(tmp_path / "proj", "postgresql")
    notes = import_ok(project, str(folder))
    found = [modes(show(project, key)["plan"]["up"]) for key in keys(project)]
    assert found == [[True], [False], [False], [False], [True]]
    backfill = show(project, "app.db.v4_backfill.v1")["plan"]["up"][0]
    assert backfill["sql"] == "UPDATE t SET n = 0;\nUPDATE t SET n = 1 WHERE id = 1;\n"
    assert "V4__backfill.sql.conf: shouldExecute=${env}==prod is not evaluated" in notes


def test_a_script_that_cannot_be_split_is_refused_with_where(tmp_path):
    """SQLite's parser reads the statements before an error: one that can't
    run in a transaction there means the rest can't be placed."""
    folder = scripts_in(tmp_path / "sql", {"V1__broken.sql": "VACUUM;\nSELEC 1;\n"})
    project = new_project(tmp_path / "proj", "sqlite")
    result = cli(project, "import", "flyway", str(folder))
    assert result.exit_code == 2
    assert (
        f"{folder}/V1__broken.sql:2:1: cannot split this script into steps in and"
        in (result.stderr)
    )
    assert "(VACUUM at line 1)" in result.stderr
    assert not (project / "migrations" / "app").exists()


def test_a_script_the_parser_cannot_read_is_kept_whole_and_said(tmp_path):
    """PostgreSQL's parser reads all or nothing: the script stays one step,
    which build refuses until it parses (then it places its statements)."""
    folder = scripts_in(
        tmp_path / "sql",
        {"V1__broken.sql": "CREATE INDEX CONCURRENTLY t_id ON t (id);\nSELEC 1;\n"},
    )
    project = new_project(tmp_path / "proj", "postgresql")
    notes = import_ok(project, str(folder))
    assert f"{folder}/V1__broken.sql:2:1: the postgresql parser stops here" in notes
    assert modes(show(project, "app.db.v1_broken.v1")["plan"]["up"]) == [True]
    built = cli(project, "build", "--all")
    assert built.exit_code == 3 and "syntax-error" in built.stderr


def test_placeholders_are_reported_where_they_are(tmp_path):
    folder = scripts_in(
        tmp_path / "sql",
        {
            "V1__a.sql": "CREATE TABLE ${schema}.t (id INT);\n-- ${flyway:timestamp}\n",
            "V2__b.sql": "SELECT '${literal}';\n",
            "V2__b.sql.conf": "placeholderReplacement=false\n",
        },
    )
    project = new_project(tmp_path / "proj", "postgresql")
    notes = import_ok(project, str(folder))
    assert f"{folder}/V1__a.sql:1: placeholder ${{schema}}: Flyway replaces it" in notes
    assert (
        f"{folder}/V1__a.sql:2: Flyway's own placeholder ${{flyway:timestamp}}" in notes
    )
    assert "${literal}" not in notes  # its script turns replacement off


def test_other_scripts_are_reported_never_dropped(tmp_path):
    folder = scripts_in(
        tmp_path / "sql",
        {
            "V1__a.sql": "SELECT 1;\n",
            "U1__a.sql": "SELECT 1;\n",
            "U7__orphan.sql": "SELECT 1;\n",
            "B5__baseline.sql": "SELECT 1;\n",
            "R__view.sql": "SELECT 1;\n",
            "beforeMigrate.sql": "SELECT 1;\n",
            "afterEachMigrate__audit.sql": "SELECT 1;\n",
            "nested/deeper/V2__b.sql": "SELECT 2;\n",
            "notes.sql": "SELECT 1;\n",
            "README.md": "not SQL\n",
        },
    )
    project = new_project(tmp_path / "proj", "sqlite")
    notes = import_ok(project, str(folder))
    assert keys(project) == ["app.db.v1_a.v1", "app.db.v2_b.v1"]  # searched recursively
    for expected in [
        "B5__baseline.sql: not imported: a baseline migration (Flyway runs it instead"
        " of the versions up to 5 on an empty database)",
        "R__view.sql: not imported: a repeatable migration",
        "beforeMigrate.sql: not imported: a Flyway callback (beforeMigrate)",
        "afterEachMigrate__audit.sql: not imported: a Flyway callback (afterEachMigrate)",
        "notes.sql: not imported: not a Flyway migration name",
        "U7__orphan.sql: an undo script without its V script, not imported",
    ]:
        assert expected in notes
    assert "README" not in notes
