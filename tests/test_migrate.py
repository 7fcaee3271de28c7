"""`contractspec migrate …` end to end, on SQLite and PostgreSQL (fixtures in conftest.py).

Every test works on a copy of a project in tmp_path and drives the real CLI.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from support import SHOP, SHOP_ORDER, cli, status


@pytest.fixture
def shop(tmp_path, copy_tracked) -> Path:
    target = copy_tracked(SHOP, tmp_path / "shop")
    # test_build_* guards that the committed harnesses are current; here, build them.
    assert cli(target, "build", "--all").exit_code == 0
    return target


def test_up_status_down_status_up(shop, database_url, db):
    result = cli(shop, "migrate", "up", database=database_url)
    assert result.exit_code == 0, result.stderr
    assert "6 applied" in result.stderr
    assert [key for key, _ in db.history()] == sorted(SHOP_ORDER)
    assert db.table_exists("orders") and db.table_exists("users")

    rows = status(shop, database_url)
    assert list(rows) == SHOP_ORDER
    assert {row["state"] for row in rows.values()} == {"applied"}
    assert all(row["harness"] == "ok" for row in rows.values())
    assert (
        cli(shop, "migrate", "status", "--check", database=database_url).exit_code == 0
    )

    # Everything applied: a second up is a no-op.
    again = cli(shop, "migrate", "up", database=database_url)
    assert again.exit_code == 0 and "0 applied, 6 already applied" in again.stderr

    # Revert the two most recent, then orders v2 by name: its column and index go, v1's table stays.
    down = cli(shop, "migrate", "down", "--steps", "2", database=database_url)
    assert down.exit_code == 0, down.stderr
    rows = status(shop, database_url)
    assert [k for k, r in rows.items() if r["state"] == "pending"] == SHOP_ORDER[-2:]
    down = cli(
        shop,
        "migrate",
        "down",
        "billing.db.2025_02_add_orders.v2",
        database=database_url,
    )
    assert down.exit_code == 0, down.stderr
    assert (
        status(shop, database_url)["billing.db.2025_02_add_orders.v2"]["state"]
        == "pending"
    )
    assert db.table_exists("orders")
    assert (
        cli(shop, "migrate", "status", "--check", database=database_url).exit_code == 1
    )

    # All the way back to an empty schema, and up again. Accounts are closed
    # with the payment provider by a person first (its down plan says so).
    down = cli(shop, "migrate", "down", "--steps", "3", database=database_url)
    assert down.exit_code == 5, down.stderr
    assert "2 reverted, 1 waiting for a person" in down.stderr
    assert [key for key, _ in db.history()] == [SHOP_ORDER[0]]
    confirm = ("migrate", "confirm", SHOP_ORDER[0], "--by", "team-billing")
    assert cli(shop, *confirm, database=database_url).exit_code == 0
    down = cli(shop, "migrate", "down", database=database_url)
    assert down.exit_code == 0, down.stderr
    assert db.history() == []
    assert not db.table_exists("accounts") and not db.table_exists("users")
    up = cli(shop, "migrate", "up", database=database_url)
    assert up.exit_code == 0, up.stderr
    assert "6 applied" in up.stderr
    assert {row["state"] for row in status(shop, database_url).values()} == {"applied"}


def test_an_irreversible_migration_stops_down_before_anything_is_reverted(
    shop, database_url, db
):
    # A scaffold without --down-sql has no down plan.
    created = cli(
        shop,
        "migrate",
        "create",
        "core.db.2025_08_add_notes",
        "--owner",
        "qa",
        "--sql",
        "CREATE TABLE notes (id INTEGER PRIMARY KEY)",
    )
    assert created.exit_code == 0, created.stderr
    assert cli(shop, "build", "--all").exit_code == 0
    assert cli(shop, "migrate", "up", database=database_url).exit_code == 0
    down = cli(shop, "migrate", "down", "--steps", "2", database=database_url)
    assert down.exit_code == 1
    assert "core.db.2025_08_add_notes.v1: irreversible" in down.stderr
    assert "nothing was reverted" in down.stderr
    assert len(db.history()) == 7 and db.table_exists("notes")


def test_down_refuses_while_dependents_are_applied(shop, database_url, db):
    assert cli(shop, "migrate", "up", database=database_url).exit_code == 0
    result = cli(
        shop, "migrate", "down", "core.db.2025_01_add_accounts", database=database_url
    )
    assert result.exit_code == 1
    assert (
        "applied migrations depend on it: core.db.2025_01_add_users.v1" in result.stderr
    )
    assert len(db.history()) == 6


def test_down_reverts_the_most_recently_applied_not_the_last_in_order(
    shop, database_url, db
):
    # backfill comes after orders.v2 in dependency order, but is applied first.
    assert (
        cli(
            shop,
            "migrate",
            "up",
            "core.db.2025_03_backfill_display_names",
            database=database_url,
        ).exit_code
        == 0
    )
    assert (
        cli(
            shop,
            "migrate",
            "up",
            "billing.db.2025_02_add_orders",
            database=database_url,
        ).exit_code
        == 0
    )
    result = cli(
        shop, "migrate", "down", "--dry-run", "--steps", "3", database=database_url
    )
    assert result.stdout.splitlines() == [
        "would revert billing.db.2025_02_add_orders.v2",
        "would revert billing.db.2025_02_add_orders.v1",
        "would revert core.db.2025_03_backfill_display_names.v1",  # not users: backfill needs it
    ]
    assert cli(shop, "migrate", "down", database=database_url).exit_code == 0
    assert "billing.db.2025_02_add_orders.v2" not in dict(db.history())
    assert "core.db.2025_03_backfill_display_names.v1" in dict(db.history())


def test_partial_run_by_name(shop, database_url, db):
    result = cli(
        shop, "migrate", "up", "billing.db.2025_02_add_orders.v1", database=database_url
    )
    assert result.exit_code == 0, result.stderr
    assert [k for k, _ in db.history()] == sorted(SHOP_ORDER[:3])
    rows = status(shop, database_url)
    assert [k for k, r in rows.items() if r["state"] == "pending"] == SHOP_ORDER[3:]


def test_dry_run_and_json(shop, database_url, db):
    result = cli(shop, "migrate", "up", "--dry-run", database=database_url)
    assert result.exit_code == 0
    lines = [f"would apply {key}" for key in SHOP_ORDER]
    lines[-1] += "; risk medium (unstable: stability experimental, below beta)"
    assert result.stdout.splitlines() == lines  # a low risk goes unsaid
    assert db.history() == []

    result = cli(shop, "migrate", "up", "--json", database=database_url)
    assert result.exit_code == 0
    report = json.loads(result.stdout)
    assert report["ok"] is True
    assert [r["key"] for r in report["applied"]] == SHOP_ORDER
    assert result.stderr == ""  # nothing but JSON


def test_rehearse_changes_nothing(shop, database_url, db):
    assert (
        cli(
            shop, "migrate", "up", "core.db.2025_01_add_accounts", database=database_url
        ).exit_code
        == 0
    )
    result = cli(shop, "migrate", "up", "--rehearse", database=database_url)
    assert result.exit_code == 0, result.stderr
    # the whole pending chain, each migration seeing the ones before it
    assert "5 rehearsed, 1 already applied" in result.stderr
    assert "not attempted" not in result.stderr
    assert [k for k, _ in db.history()] == ["core.db.2025_01_add_accounts.v1"]
    assert not db.table_exists("users") and not db.table_exists("orders")
    assert [e["event"] for e in db.events() if e["event"] == "run_end"] == ["run_end"]


def test_stale_harness_is_refused(shop, database_url, db):
    spec = shop / "migrations" / "billing" / "2025_02_add_orders.py"
    spec.write_text(spec.read_text().replace("total_cents >= 0", "total_cents > 0"))
    result = cli(shop, "migrate", "up", database=database_url)
    assert result.exit_code == 1
    assert "harnesses/billing__db__2025_02_add_orders__v1.py: stale" in result.stderr
    assert "contractspec build --all" in result.stderr
    assert db.history() == []  # refused before anything ran

    (shop / "harnesses" / "core__db__2025_01_add_users__v1.py").unlink()
    result = cli(shop, "migrate", "up", database=database_url)
    assert "core__db__2025_01_add_users__v1.py: missing" in result.stderr


def test_drift_after_an_edit_without_a_version_bump(shop, database_url, db):
    assert cli(shop, "migrate", "up", database=database_url).exit_code == 0
    spec = shop / "migrations" / "core" / "2025_01_add_accounts.py"
    spec.write_text(spec.read_text().replace("DEFAULT 'free'", "DEFAULT 'trial'"))
    assert cli(shop, "build", "--all").exit_code == 0

    rows = status(shop, database_url)
    assert rows["core.db.2025_01_add_accounts.v1"]["state"] == "drifted"
    assert rows["core.db.2025_01_add_users.v1"]["state"] == "applied"
    assert (
        cli(shop, "migrate", "status", "--check", database=database_url).exit_code == 1
    )

    result = cli(shop, "migrate", "up", database=database_url)
    assert result.exit_code == 1
    assert (
        "drift" in result.stderr and "core.db.2025_01_add_accounts.v1" in result.stderr
    )


def _chain_project(root_dir: Path, failing: int) -> Path:
    """Five migrations in a chain; the `failing`-th (1-based) has a failing post-check."""
    project = root_dir / "chain"
    (project / "migrations").mkdir(parents=True)
    (project / "pyproject.toml").write_text(
        '[tool.contractspec]\nharnesses = "harnesses"\n'
    )
    for number in range(1, 6):
        check = (
            "SELECT COUNT(*) = 1 FROM t{n}"
            if number == failing
            else "SELECT COUNT(*) = 0 FROM t{n}"
        )
        dependency = f'dependencies=["chain.db.m{number - 1}"],' if number > 1 else ""
        (project / "migrations" / f"m{number}.py").write_text(textwrap.dedent(f"""\
                from contractspec import MigrationCheck, MigrationMeta, MigrationPlan, MigrationSpec, SchemaStep

                spec = MigrationSpec(
                    meta=MigrationMeta(name="chain.db.m{number}", version=1, title="m{number}", owners=["qa"]),
                    plan=MigrationPlan(
                        up=[
                            SchemaStep(
                                "CREATE TABLE t{number} (id INTEGER)",
                                post_checks=[MigrationCheck(description="t{number} is empty", expression="{check.format(n=number)}")],
                            )
                        ],
                        down=[SchemaStep("DROP TABLE t{number}")],
                    ),
                    {dependency}
                )
                """))
    assert cli(project, "build", "--all").exit_code == 0
    return project


def test_failure_in_the_middle_of_a_run_of_five(tmp_path, database_url, db):
    project = _chain_project(tmp_path, failing=3)
    result = cli(project, "migrate", "up", database=database_url)
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    # Progress lines (batched, but all written before the summary), then the summary.
    assert [line.split(" ", 2)[:2] for line in lines[:3]] == [
        ["[1/5]", "applied"],
        ["[2/5]", "applied"],
        ["[3/5]", "chain.db.m3.v1"],
    ]
    assert lines[3] == "2 applied, 1 failed (chain.db.m3.v1), 2 not attempted"
    assert "t3 is empty" in result.stderr
    assert [k for k, _ in db.history()] == ["chain.db.m1.v1", "chain.db.m2.v1"]
    assert db.table_exists("t2") and not db.table_exists("t3")

    rows = status(project, database_url)
    assert [rows[f"chain.db.m{n}.v1"]["state"] for n in range(1, 6)] == [
        "applied",
        "applied",
        "pending",
        "pending",
        "pending",
    ]
    assert "t3 is empty" in rows["chain.db.m3.v1"]["last_failure"]
    assert "last_failure" not in rows["chain.db.m4.v1"]


@pytest.mark.slow
def test_a_progress_line_is_not_held_back_by_the_slow_migration_after_it(tmp_path):
    project = tmp_path / "slow"
    (project / "migrations").mkdir(parents=True)
    (project / "pyproject.toml").write_text(
        '[tool.contractspec]\nharnesses = "harnesses"\n'
    )
    (project / "migrations" / "_slow.py").write_text(
        "import time\n\ndef run(conn):\n    time.sleep(3)\n"
    )
    for number, step in (
        (1, 'SchemaStep("CREATE TABLE t1 (id INTEGER)")'),
        (2, 'DataStep(script="_slow.py:run")'),
    ):
        dependency = 'dependencies=["slow.db.m1"],' if number == 2 else ""
        (project / "migrations" / f"m{number}.py").write_text(
            "from contractspec import DataStep, MigrationMeta, MigrationPlan, MigrationSpec, SchemaStep\n\n"
            f'spec = MigrationSpec(meta=MigrationMeta(name="slow.db.m{number}", version=1, title="m{number}",'
            f' owners=["qa"]), plan=MigrationPlan(up=[{step}], down=[]), {dependency})\n'
        )
    assert cli(project, "build", "--all").exit_code == 0
    command = [
        sys.executable,
        "-m",
        "contractspec",
        "migrate",
        "up",
        "-C",
        str(project),
    ]
    process = subprocess.Popen(
        command, stderr=subprocess.PIPE, text=True
    )  # a pipe: plain lines
    try:
        first = process.stderr.readline()
        still_running = process.poll() is None  # m2 sleeps 3 s after m1's line is due
    finally:
        rest = process.communicate(timeout=60)[1]
    assert first.startswith("[1/2] applied slow.db.m1.v1")
    assert still_running
    assert "[2/2] applied slow.db.m2.v1" in rest and process.returncode == 0


def test_two_concurrent_runs_apply_everything_once(shop, database_url, db):
    command = [
        sys.executable,
        "-m",
        "contractspec",
        "migrate",
        "up",
        "-C",
        str(shop),
        "--database",
        database_url,
    ]
    processes = [
        subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        for _ in range(2)
    ]
    outputs = [p.communicate(timeout=120) for p in processes]
    assert [p.returncode for p in processes] == [0, 0], outputs
    assert [k for k, _ in db.history()] == sorted(SHOP_ORDER)
    applied_events = [
        e for e in db.events() if e["event"] == "run_end" and e["status"] == "applied"
    ]
    assert sorted(e["migration"] for e in applied_events) == sorted(SHOP_ORDER)


def test_status_shows_unknown_history_rows(shop, database_url, db):
    assert cli(shop, "migrate", "up", database=database_url).exit_code == 0
    shutil.rmtree(shop / "migrations" / "billing")
    for harness in (shop / "harnesses").glob("billing__*"):
        harness.unlink()
    rows = status(shop, database_url)
    assert rows["billing.db.2025_02_add_orders.v2"]["state"] == "unknown"
    assert rows["core.db.2025_01_add_users.v1"]["state"] == "applied"


def test_create_scaffolds_a_spec_that_builds(shop):
    result = cli(
        shop,
        "migrate",
        "create",
        "core.db.2025_06_add_invoices",
        "--title",
        "Add invoices",
        "--owner",
        "team-core",
        "--sql",
        "CREATE TABLE invoices (id INTEGER PRIMARY KEY)",
        "--down-sql",
        "DROP TABLE invoices",
    )
    assert result.exit_code == 0, result.stderr
    path = shop / "migrations" / "core" / "2025_06_add_invoices.py"
    assert result.stdout.strip() == "migrations/core/2025_06_add_invoices.py"
    text = path.read_text()
    # The heads of the graph at the time: nothing depended on the validation yet.
    assert 'dependencies=["billing.db.2025_04_validate_orders"]' in text
    assert cli(shop, "build", "core.db.2025_06_add_invoices").exit_code == 0
    assert (shop / "harnesses" / "core__db__2025_06_add_invoices__v1.py").exists()

    # The original CLI's spelling does the same; an existing name is refused.
    again = cli(shop, "create", "--type", "migration", "core.db.2025_06_add_invoices")
    assert again.exit_code == 2 and "already exists" in again.stderr
    bad = cli(shop, "migrate", "create", "not a name")
    assert bad.exit_code == 2 and "malformed migration name" in bad.stderr


def test_create_needed_by_edits_the_dependent_spec_in_place(shop):
    dependent = shop / "migrations" / "billing" / "2025_04_validate_orders.py"
    before = dependent.read_text()
    result = cli(
        shop,
        "migrate",
        "create",
        "billing.db.2025_03_add_refunds",
        "--owner",
        "team-billing",
        "--depends-on",
        "billing.db.2025_02_add_orders",
        "--needed-by",
        "billing.db.2025_04_validate_orders",
    )
    assert result.exit_code == 0, result.stderr
    after = dependent.read_text()
    # Only the dependencies changed, in the file's own style.
    assert after == before.replace(
        '        "core.db.2025_03_backfill_display_names",\n',
        '        "core.db.2025_03_backfill_display_names",\n        "billing.db.2025_03_add_refunds",\n',
    )
    assert after != before
    listed = cli(shop, "list", "--json")
    deps = {row["key"]: row["dependencies"] for row in json.loads(listed.stdout)}
    assert (
        "billing.db.2025_03_add_refunds.v1"
        in deps["billing.db.2025_04_validate_orders.v1"]
    )


def test_create_refuses_a_cycle_and_leaves_every_file_alone(shop):
    dependent = shop / "migrations" / "core" / "2025_01_add_accounts.py"
    before = dependent.read_text()
    result = cli(
        shop,
        "migrate",
        "create",
        "core.db.2025_07_cycle",
        "--owner",
        "qa",
        "--depends-on",
        "core.db.2025_01_add_users",
        "--needed-by",
        "core.db.2025_01_add_accounts",
    )
    assert result.exit_code == 3
    assert "cycle" in result.stderr
    assert dependent.read_text() == before
    assert not (shop / "migrations" / "core" / "2025_07_cycle.py").exists()


def test_project_and_database_may_come_before_the_subcommand(shop, tmp_path, DB):
    url = f"sqlite:///{tmp_path / 'global.db'}"
    result = cli(None, "-C", str(shop), "--database", url, "migrate", "up")
    assert result.exit_code == 0, result.stderr
    assert len(DB(url).history()) == 6
    # A subcommand's own option wins over the root's.
    other = f"sqlite:///{tmp_path / 'other.db'}"
    result = cli(
        None,
        "--database",
        url,
        "migrate",
        "status",
        "-C",
        str(shop),
        "--json",
        database=other,
    )
    assert {row["state"] for row in json.loads(result.stdout)} == {"pending"}


# --- reading the committed harnesses --------------------------------------------

ACCOUNTS = "core.db.2025_01_add_accounts.v1"
ACCOUNTS_HARNESS = "harnesses/core__db__2025_01_add_accounts__v1.py"


def _read(shop: Path, key: str = ACCOUNTS):
    from contractspec.commands.migrate.harnesses import committed_harnesses
    from contractspec.project import open_project

    return committed_harnesses(open_project(shop), [key])[0]


USERS = "core.db.2025_01_add_users.v1"
USERS_HARNESS = "harnesses/core__db__2025_01_add_users__v1.py"
RUNTIME_MODULE = "harnesses/_contractspec_runtime/__init__.py"  # its first file
RUNTIME_LAST = "harnesses/_contractspec_runtime/watchdog.py"  # and its last


def test_a_hand_edit_of_migration_is_refused_with_its_diff(shop, database_url, db):
    harness = shop / USERS_HARNESS
    harness.write_text(
        harness.read_text().replace(
            "    email TEXT NOT NULL,", "    email13 TEXT NOT NULL,"
        )
    )
    result = cli(shop, "migrate", "up", database=database_url)
    assert result.exit_code == 1
    assert "1 harness cannot run (1 edited)" in result.stderr
    assert (
        f"{USERS_HARNESS}: edited: it is not what its spec generates" in result.stderr
    )
    assert f"contractspec build {USERS}" in result.stderr
    assert "\n      -    email13 TEXT NOT NULL,\n" in result.stderr  # the diff, short
    assert "\n      +    email TEXT NOT NULL,\n" in result.stderr
    assert len(result.stderr.splitlines()) < 20
    assert db.history() == []  # refused before anything ran

    rows = status(shop, database_url)
    assert rows[USERS]["harness"] == "edited"
    assert "edited" in rows[USERS]["harness_problem"]
    assert {r["harness"] for k, r in rows.items() if k != USERS} == {"ok"}
    text = cli(shop, "migrate", "status", database=database_url)
    assert f"{USERS}: edited: it is not what its spec generates" in text.stderr

    assert cli(shop, "build", USERS).exit_code == 0  # the fix the message names
    assert cli(shop, "migrate", "up", database=database_url).exit_code == 0


def test_a_harness_checked_before_is_checked_again_once_edited(shop, database_url):
    from contractspec.errors import StaleError

    assert _read(shop).state == "ok"  # remembered as checked (harnesses.marshal)
    assert (shop / ".contractspec_cache" / "harnesses.marshal").exists()
    harness = shop / ACCOUNTS_HARNESS
    text = harness.read_text()
    harness.write_text(text.replace("CREATE TABLE accounts", "CREATE TABLE hacked"))
    with pytest.raises(StaleError, match="1 edited"):
        _read(shop)
    # A header naming another spec fingerprint: stale, even with the cache warm.
    harness.write_text(text)
    assert _read(shop).state == "ok"
    fingerprint = text.split("contractspec-fingerprint: sha256:")[1][:64]
    harness.write_text(text.replace(fingerprint, "0" * 64, 1))
    with pytest.raises(StaleError, match="1 stale"):
        _read(shop)


@pytest.mark.parametrize(
    "old, new",
    [
        ("import os\n", "import os\nimport antigravity\n"),  # a statement added
        ("MIGRATION = {", "MIGRATION = {**globals(), "),  # not literal data
        ('options["harness"] = __file__', 'options["harness"] = None'),  # entry points
    ],
)
def test_any_edit_to_the_code_of_a_harness_is_refused(shop, old, new):
    from contractspec.errors import StaleError

    harness = shop / ACCOUNTS_HARNESS
    text = harness.read_text()
    assert text.count(old) == 1
    harness.write_text(text.replace(old, new))
    compile(harness.read_text(), str(harness), "exec")  # still valid Python
    with pytest.raises(StaleError, match="1 edited"):
        _read(shop)


def test_the_runtime_module_must_be_this_contractspecs(shop, database_url, db):
    last = shop / RUNTIME_LAST  # every file of the package is checked
    last.write_text(
        last.read_text().replace("    def disarm(self)", "    def disarm(self)  ", 1)
    )
    result = cli(shop, "migrate", "up", database=database_url)
    assert result.exit_code == 1
    assert f"{RUNTIME_LAST}: not this contractspec's runtime" in result.stderr
    assert "only that one file changes" in result.stderr
    runtime = shop / RUNTIME_MODULE
    runtime.unlink()
    result = cli(shop, "migrate", "up", database=database_url)
    assert result.exit_code == 1
    assert f"{RUNTIME_MODULE}: missing" in result.stderr
    assert db.history() == []
    assert {r["harness"] for r in status(shop, database_url).values()} == {"stale"}

    rebuilt = cli(shop, "build", "--all")
    assert (
        rebuilt.stderr == "0 harnesses written, 6 unchanged, runtime module written\n"
    )
    assert cli(shop, "migrate", "up", database=database_url).exit_code == 0


def test_an_old_format_harness_is_stale_and_build_rewrites_it(shop, database_url, db):
    harness = shop / ACCOUNTS_HARNESS
    current = harness.read_text()
    harness.write_text(
        current.replace("# contractspec-format: 3", "# contractspec-generator: 0.1.0")
    )
    result = cli(shop, "migrate", "up", database=database_url)
    assert result.exit_code == 1
    assert (
        f"{ACCOUNTS_HARNESS}: stale: harness format 1 (the runtime embedded in every"
        " harness), this contractspec writes format 3"
    ) in result.stderr
    assert "rebuild with: contractspec build --all" in result.stderr
    assert cli(shop, "build", "--all").exit_code == 0
    assert harness.read_text() == current
    assert db.history() == []


def test_a_refusal_names_the_first_harnesses_and_counts_the_rest(shop, monkeypatch):
    from contractspec.commands.migrate import harnesses

    monkeypatch.setattr(harnesses, "SHOWN_REFUSALS", 2)
    for harness in (shop / "harnesses").glob("*.py"):
        harness.unlink()
    shutil.rmtree(shop / "harnesses" / "_contractspec_runtime")
    result = cli(shop, "migrate", "up", database=f"sqlite:///{shop / 'app.db'}")
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert lines[0] == "contractspec: error: 6 harnesses cannot run (6 missing):"
    assert lines[1] == f"  {RUNTIME_MODULE}: missing (the runtime every harness loads)"
    assert [line.split(":")[0].strip() for line in lines[2:4]] == [
        "harnesses/core__db__2025_01_add_accounts__v1.py",
        "harnesses/core__db__2025_01_add_users__v1.py",
    ]
    assert lines[4] == "  ... and 4 more"


def test_a_harness_is_checked_by_printing_what_its_spec_generates(shop):
    """Every example harness holds its MIGRATION exactly as the printer writes
    it, after a plain preamble: the check compares bytes, parsing nothing."""
    from contractspec.codegen.literals import migration_literal
    from contractspec.codegen.naming import harness_path
    from contractspec.commands.migrate.harnesses import PLAIN_PREAMBLE
    from contractspec.project import open_project

    project = open_project(shop)
    for key in project.specs:
        data = harness_path(project.config, key).read_bytes()
        printed = (
            f"\nMIGRATION = {migration_literal(project.expected_migration(key))}\n"
        )
        start = data.index(printed.encode()) + 1
        assert PLAIN_PREAMBLE.fullmatch(data, 0, start), key


@pytest.mark.parametrize(
    "edit",
    [
        # Another layout of the same data: parsed, and it agrees.
        ('"owners": [\n        "team-core",\n    ],', '"owners": ["team-core"],'),
        # A docstring with quotes or backslashes: parsed, and it agrees.
        ("Title:        Add accounts table", 'Title:        Add \\"accounts\\" table'),
    ],
    ids=["layout", "docstring"],
)
def test_a_harness_in_another_layout_is_parsed_and_agrees(shop, edit):
    harness = shop / ACCOUNTS_HARNESS
    old, new = edit
    assert old in harness.read_text()
    harness.write_text(harness.read_text().replace(old, new))
    assert _read(shop).migration["title"] == "Add accounts table"


@pytest.mark.parametrize(
    "edit",
    [
        # Code after the docstring, hidden from a check that trusts the layout.
        ('database).\n"""\n', 'database).\n"""\nimport shutil\n'),
        # A docstring closed early: the rest of it is code.
        ("Owners:       team-core", 'Owners:       team-core"""; import shutil; """'),
        # A coding declaration: read as UTF-7, +ACIAIgAi- is three quotes, so
        # a docstring that has none in UTF-8 holds code.
        ("# Code generated by", "# coding: utf-7 -- Code generated by")
        + ("team-core\n", "team-core+ACIAIgAi-; import shutil; +ACIAIgAi-\n"),
    ],
    ids=["code-after-docstring", "docstring-closed-early", "coding-declaration"],
)
def test_a_harness_that_hides_code_is_edited(shop, edit):
    from contractspec.errors import StaleError

    harness = shop / ACCOUNTS_HARNESS
    text = harness.read_text()
    for old, new in zip(edit[::2], edit[1::2], strict=True):
        assert old in text
        text = text.replace(old, new, 1)
    harness.write_text(text)
    with pytest.raises(StaleError, match="1 edited"):
        _read(shop)
