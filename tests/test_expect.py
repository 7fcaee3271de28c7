"""`expect` on checks and validation steps: "truthy" (the first column of the
first row) or "no_error" (the SQL runs without raising), through the model,
the loader, JSON, the harness, the preview, the runtime, lint and the editor."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from support import cli

from contractspec import runtime
from contractspec import spec as model
from contractspec.cli import root
from contractspec.codegen.fingerprint import canonical_json
from contractspec.codegen.view import step_data
from contractspec.errors import SpecError
from contractspec.loader import load_source

SPEC = """from contractspec import MigrationCheck, MigrationMeta, MigrationPlan, MigrationSpec, SchemaStep, ValidationStep

migration = MigrationSpec(
    meta=MigrationMeta(name="app.db.0001_items", version=1, title="Items", owners=["team"]),
    plan=MigrationPlan(
        up=[
            SchemaStep(
                "CREATE TABLE items (id INTEGER PRIMARY KEY)",
                post_checks=[MigrationCheck("items readable", "SELECT id FROM items WHERE 1 = 0", expect="no_error")],
            ),
            ValidationStep({assertion!r}, description="verify", expect={expect!r}),
        ],
        down=[SchemaStep("DROP TABLE items")],
    ),
)
"""


def spec_source(assertion: str, expect: str = "no_error") -> str:
    return SPEC.format(assertion=assertion, expect=expect)


def checked_spec(expect: str = "no_error") -> model.MigrationSpec:
    check = model.MigrationCheck("c", "SELECT 1", expect=expect)
    return model.MigrationSpec(
        model.MigrationMeta("app.db.x", 1, "X", owners=["team"]),
        model.MigrationPlan(
            up=[
                model.SchemaStep("SELECT 1", post_checks=[check]),
                model.ValidationStep("SELECT 1", expect=expect),
            ]
        ),
    )


# --- the model, the loader, JSON --------------------------------------------------


def test_truthy_is_the_default():
    assert model.ValidationStep("SELECT 1").expect == "truthy"
    assert model.MigrationCheck("d", "SELECT 1").expect == "truthy"
    assert model.validate(checked_spec("no_error")) == []


def test_an_unknown_expectation_is_a_problem_at_its_field():
    problems = model.validate(checked_spec("sometimes"))
    assert {p.path for p in problems} == {
        ("plan", "up", 0, "post_checks", 0, "expect"),
        ("plan", "up", 1, "expect"),
    }
    assert "expect must be 'truthy' or 'no_error', got 'sometimes'" in (
        problems[0].message
    )


def test_the_loader_points_at_a_bad_expect():
    source = spec_source("SELECT 1", expect="maybe")
    with pytest.raises(SpecError) as raised:
        load_source(source, "migrations/items.py")
    (diagnostic,) = raised.value.diagnostics
    line = next(n for n, t in enumerate(source.splitlines(), 1) if "'maybe'" in t)
    col = source.splitlines()[line - 1].index("'maybe'") + 1
    assert (diagnostic.line, diagnostic.col) == (line, col)
    assert "expect must be 'truthy' or 'no_error', got 'maybe'" in diagnostic.message


def test_json_carries_expect_in_both_namings_only_when_set():
    spec = checked_spec()
    for typescript in (False, True):
        data = model.to_dict(spec, typescript)
        step = data["plan"]["up"][0]
        checks = step["postChecks" if typescript else "post_checks"]
        assert checks == [
            {"description": "c", "expression": "SELECT 1", "expect": "no_error"}
        ]
        assert data["plan"]["up"][1]["expect"] == "no_error"
        assert model.from_dict(json.loads(json.dumps(data))) == spec
    default = model.to_dict(checked_spec("truthy"))
    assert "expect" not in json.dumps(default)  # old fingerprints stay as they were
    assert "expect" not in canonical_json(checked_spec("truthy"))


def test_the_harness_says_expect_only_when_it_is_not_the_default():
    spec = checked_spec()
    schema, validation = (step_data(step, None) for step in spec.plan.up)
    assert schema["post_checks"] == [
        {"description": "c", "expression": "SELECT 1", "expect": "no_error"}
    ]
    assert validation == {
        "kind": "validation",
        "assertion": "SELECT 1",
        "expect": "no_error",
    }
    plain = checked_spec("truthy")
    assert "expect" not in json.dumps([step_data(s, None) for s in plain.plan.up])


def test_the_preview_says_how_a_check_passes():
    migration = {
        "key": "app.db.x.v1",
        "up": [step_data(s, None) for s in checked_spec().plan.up],
    }
    text = runtime.plan_text(migration)
    assert "post-check 'c' (passes when it runs without error):" in text
    assert "assertion (passes when it runs without error):" in text
    plain = {
        "key": "k",
        "up": [step_data(s, None) for s in checked_spec("truthy").plan.up],
    }
    assert "without error" not in runtime.plan_text(plain)


# --- the runtime, on both databases --------------------------------------------------


@pytest.fixture
def project(tmp_path) -> Path:
    folder = tmp_path / "proj"
    assert CliRunner().invoke(root, ["init", str(folder)]).exit_code == 0
    return folder


def write_and_build(project: Path, assertion: str, expect: str = "no_error") -> None:
    (project / "migrations" / "items.py").write_text(spec_source(assertion, expect))
    built = cli(project, "build", "--all")
    assert built.exit_code == 0, built.stderr


@pytest.mark.parametrize(
    "assertion",
    [
        "SELECT id FROM items WHERE 1 = 0",  # no row: truthy would fail
        "SELECT 0",  # a falsy value
        "SELECT id FROM items;\nSELECT COUNT(*) FROM items",  # a script of queries
    ],
)
def test_no_error_passes_whatever_the_rows(project, database_url, db, assertion):
    write_and_build(project, assertion)
    up = cli(project, "migrate", "up", database=database_url)
    assert up.exit_code == 0, up.stderr
    checks = [
        e["status"] for e in db.events("app.db.0001_items.v1") if e["event"] == "check"
    ]
    assert checks == ["pass", "pass"]


def test_truthy_still_fails_on_no_row(project, database_url, db):
    write_and_build(project, "SELECT id FROM items WHERE 1 = 0", expect="truthy")
    up = cli(project, "migrate", "up", database=database_url)
    assert up.exit_code == 1
    assert "returned no row" in up.stderr
    assert not db.table_exists("items")


def test_no_error_fails_when_the_sql_raises(project, database_url, db):
    write_and_build(project, "SELECT id FROM items;\nSELECT missing FROM items")
    up = cli(project, "migrate", "up", database=database_url)
    assert up.exit_code == 1
    assert "verify" in up.stderr and "missing" in up.stderr
    assert not db.table_exists("items")  # rolled back, nothing applied


def set_dialect(project: Path, dialect: str) -> None:
    """The dialect in place of the one init wrote (sqlite)."""
    pyproject = project / "pyproject.toml"
    text = pyproject.read_text()
    pyproject.write_text(text.replace('dialect = "sqlite"', f'dialect = "{dialect}"'))


def test_a_raising_do_block_fails_on_postgresql(project, pg_db, DB):
    set_dialect(project, "postgresql")
    write_and_build(
        project,
        "DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM items) THEN"
        " RAISE EXCEPTION 'items is empty'; END IF; END $$",
    )
    up = cli(project, "migrate", "up", database=pg_db)
    assert up.exit_code == 1
    assert "items is empty" in up.stderr
    assert not DB(pg_db).table_exists("items")


def test_baseline_verify_runs_no_error_checks(project, database_url, db):
    write_and_build(project, "SELECT id FROM items WHERE 1 = 0")
    refused = cli(
        project, "migrate", "baseline", "--all", "--verify", database=database_url
    )
    assert refused.exit_code == 1, refused.stderr
    assert "items" in refused.stderr
    db.execute("CREATE TABLE items (id INTEGER PRIMARY KEY)")
    verified = cli(
        project, "migrate", "baseline", "--all", "--verify", database=database_url
    )
    assert verified.exit_code == 0, verified.stderr


# --- lint and the editor --------------------------------------------------------------


def lint_messages(project: Path) -> list[str]:
    result = cli(project, "lint", "--format", "json")
    return [f["message"] for f in json.loads(result.stdout)["findings"]]


def test_lint_lets_a_no_error_check_hold_queries_but_not_writes(project):
    set_dialect(project, "postgresql")
    (project / "migrations" / "items.py").write_text(
        spec_source(
            "SELECT id FROM items;\nDO $$ BEGIN RAISE NOTICE 'ok'; END $$;\n"
            "INSERT INTO items VALUES (1)"
        )
    )
    messages = [m for m in lint_messages(project) if "only read" in m or "query" in m]
    assert messages == ["up[1]: a check must only read: this statement can write"]
    (project / "migrations" / "items.py").write_text(
        spec_source("SELECT id FROM items;\nSELECT 1", expect="truthy")
    )
    assert "up[1]: a check holds 2 statements, not one query" in lint_messages(project)


def test_add_check_and_add_step_write_expect(project):
    (project / "migrations" / "items.py").write_text(spec_source("SELECT 1"))
    target = "app.db.0001_items"
    added = cli(
        project, "spec", "add-check", target, "--step", "1", "--pre",
        "--description", "no items yet", "--expression", "SELECT 1 FROM items",
        "--expect", "no_error",
    )  # fmt: skip
    assert added.exit_code == 0, added.stderr
    text = (project / "migrations" / "items.py").read_text()
    assert (
        'MigrationCheck("no items yet", "SELECT 1 FROM items", expect="no_error")'
        in text
    )
    again = cli(
        project, "spec", "add-check", target, "--step", "1", "--pre",
        "--description", "no items yet", "--expression", "SELECT 1 FROM items",
        "--expect", "no_error",
    )  # fmt: skip
    assert again.exit_code == 0 and "already has" in again.stderr
    step = cli(
        project, "spec", "add-step", target, "--assertion", "SELECT id FROM items",
        "--expect", "no_error",
    )  # fmt: skip
    assert step.exit_code == 0, step.stderr
    shown = json.loads(cli(project, "show", target, "--json").stdout)
    assert shown["plan"]["up"][0]["pre_checks"][0]["expect"] == "no_error"
    assert shown["plan"]["up"][2]["expect"] == "no_error"
    wrong = cli(
        project, "spec", "add-step", target, "--sql", "SELECT 1", "--expect", "no_error"
    )
    assert wrong.exit_code == 2
    assert "expect is for checks and validation steps" in wrong.stderr
