"""A project whose migration is not atomic (a step outside the transaction,
a batched step), through the real CLI: add-step --no-transaction, build,
plan, --dry-run, --rehearse, status "partly applied" and the resumed `up`."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from support import cli, status

SPEC = """\
from contractspec import DataStep, MigrationCheck, MigrationMeta, MigrationPlan, MigrationSpec, SchemaStep

spec = MigrationSpec(
    meta=MigrationMeta(name="app.db.m2_fill", version=1, title="fill", owners=["qa"]),
    plan=MigrationPlan(
        up=[
            SchemaStep("CREATE TABLE side (id INTEGER)"),
            DataStep(
                "UPDATE items SET v = 1 WHERE id IN (SELECT id FROM items WHERE v IS NULL ORDER BY id LIMIT 40)",
                batch_size=40,
                post_checks=[MigrationCheck(description="all filled", expression="SELECT count(*) = 0 FROM items WHERE v IS NULL")],
            ),
        ],
    ),
    dependencies=["app.db.m1_items"],
)
"""

FIRST = """\
from contractspec import MigrationMeta, MigrationPlan, MigrationSpec, SchemaStep

spec = MigrationSpec(
    meta=MigrationMeta(name="app.db.m1_items", version=1, title="items", owners=["qa"]),
    plan=MigrationPlan(
        up=[SchemaStep("CREATE TABLE items (id INTEGER PRIMARY KEY, v INTEGER); INSERT INTO items (id) VALUES (1), (2), (3)")],
    ),
)
"""


def project(tmp_path: Path) -> Path:
    root = tmp_path / "app"
    (root / "migrations").mkdir(parents=True)
    (root / "pyproject.toml").write_text(
        '[tool.contractspec]\nharnesses = "harnesses"\n'
    )
    (root / "migrations" / "m1.py").write_text(FIRST)
    (root / "migrations" / "m2.py").write_text(SPEC)
    return root


def migration_literal(harness: Path) -> str:
    text = harness.read_text()
    start = text.index("MIGRATION = {")
    return text[start : text.index("\n}\n", start)]


def test_add_step_no_transaction_writes_the_flag(tmp_path):
    root = project(tmp_path)
    added = cli(
        root,
        "spec",
        "add-step",
        "app.db.m2_fill",
        "--sql",
        "VACUUM",
        "--no-transaction",
        "--position",
        "2",
    )
    assert added.exit_code == 0, added.stderr
    text = (root / "migrations" / "m2.py").read_text()
    assert 'SchemaStep("VACUUM", transactional=False),' in text
    again = cli(
        root,
        "spec",
        "add-step",
        "app.db.m2_fill",
        "--sql",
        "VACUUM",
        "--no-transaction",
    )
    assert again.exit_code == 0 and text == (root / "migrations" / "m2.py").read_text()
    refused = cli(
        root,
        "spec",
        "add-step",
        "app.db.m2_fill",
        "--assertion",
        "SELECT 1",
        "--no-transaction",
    )
    assert refused.exit_code == 2 and "validation step" in refused.stderr


def test_harness_data_carries_only_what_differs_from_the_default(tmp_path):
    root = project(tmp_path)
    assert cli(root, "build", "--all").exit_code == 0
    first, second = (
        migration_literal(root / "harnesses" / f"app__db__{name}__v1.py")
        for name in ("m1_items", "m2_fill")
    )
    for key in ("transactional", "batch_size", "pause_ms", "max_batches", "reconcile"):
        assert f'"{key}"' not in first
    assert '"batch_size": 40,' in second and '"transactional"' not in second
    plan = subprocess.run(
        [sys.executable, str(root / "harnesses" / "app__db__m2_fill__v1.py"), "plan"],
        capture_output=True,
        text=True,
    )
    assert plan.returncode == 0, plan.stderr
    assert "up: 2 step(s) NOT atomic: step 2 in batches" in plan.stdout
    assert "2. data [timeout none, retries 0, batches of 40]" in plan.stdout


def test_dry_run_rehearse_status_and_resume(tmp_path, database_url, db):
    root = project(tmp_path)
    text = (root / "migrations" / "m2.py").read_text()
    (root / "migrations" / "m2.py").write_text(
        text.replace(
            '            SchemaStep("CREATE TABLE side (id INTEGER)"),\n',
            '            SchemaStep("CREATE TABLE side (id INTEGER)"),\n'
            '            SchemaStep("VACUUM", transactional=False),\n',
        ).replace(
            "        ],\n    ),\n    dependencies",
            '            SchemaStep("CREATE TABLE after_fill (id INTEGER)"),\n'
            "        ],\n    ),\n    dependencies",
        )
    )
    assert cli(root, "build", "--all").exit_code == 0

    rows = status(root, database_url)
    assert rows["app.db.m2_fill.v1"]["not_atomic"] == (
        "step 2 runs outside a transaction, step 3 in batches"
    )
    assert "not_atomic" not in rows["app.db.m1_items.v1"]
    shown = cli(root, "migrate", "status", database=database_url).stdout
    assert "pending, not atomic" in shown

    dry = cli(root, "migrate", "up", "--dry-run", database=database_url)
    assert dry.exit_code == 0, dry.stderr
    unstable = "unstable: stability experimental, below beta"
    assert dry.stdout.splitlines() == [
        f"would apply app.db.m1_items.v1; risk medium (irreversible: no down plan; {unstable})",
        "would apply app.db.m2_fill.v1 (NOT atomic: step 2 runs outside a"
        " transaction, step 3 in batches); risk high (irreversible: no down plan;"
        " outside-transaction: up step 2 commits on its own; batched: up step 3"
        f" commits in batches; {unstable})",
    ]

    rehearsed = cli(root, "migrate", "up", "--rehearse", database=database_url)
    assert rehearsed.exit_code == 4, rehearsed.stderr
    assert "2 rehearsed" in rehearsed.stderr
    assert (
        "not rehearsed: app.db.m2_fill.v1 step 2 (schema): runs outside a transaction"
        in rehearsed.stderr
    )
    assert not db.table_exists("items") and db.history() == []

    # the last step fails: the parts before it stay committed
    db.execute("CREATE TABLE after_fill (id INTEGER)")
    failed = cli(root, "migrate", "up", database=database_url)
    assert failed.exit_code == 1
    assert "partly applied (not atomic; steps committed: 1, 2, 3)" in failed.stderr
    assert "app.db.m2_fill.v1 step 3/4: 3 rows in 2 batches" in failed.stderr
    rows = status(root, database_url)
    assert rows["app.db.m2_fill.v1"]["state"] == "partly applied"
    assert rows["app.db.m2_fill.v1"]["steps_done"] == [1, 2, 3]
    assert rows["app.db.m1_items.v1"]["state"] == "applied"
    shown = cli(root, "migrate", "status", database=database_url)
    assert "partly applied" in shown.stdout

    db.execute("DROP TABLE after_fill")
    resumed = cli(root, "migrate", "up", database=database_url)
    assert resumed.exit_code == 0, resumed.stderr
    assert "step(s) 1, 2, 3 done by an earlier run" in resumed.stderr
    assert db.scalar("SELECT count(*) FROM items WHERE v = 1") == 3
    assert status(root, database_url)["app.db.m2_fill.v1"]["state"] == "applied"
