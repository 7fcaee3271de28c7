"""contractspec.api: the commands for programs, with dataclass results, the
package's exceptions, and events on the `contractspec` logger."""

from __future__ import annotations

import dataclasses
import logging
import subprocess
import sys
from pathlib import Path

import pytest
from support import SHOP, SHOP_ORDER

import contractspec
from contractspec import api


@pytest.fixture
def shop(tmp_path, copy_tracked) -> Path:
    target = copy_tracked(SHOP, tmp_path / "shop")
    api.build(all=True, project=target)
    return target


def test_registry_is_exported_from_the_package_root():
    registry = contractspec.MigrationRegistry()
    spec = contractspec.MigrationSpec(
        meta=contractspec.MigrationMeta(name="a.db.x", version=1, title="x"),
        plan=contractspec.MigrationPlan(up=[contractspec.SchemaStep("SELECT 1")]),
    )
    assert registry.register(spec) is registry
    assert registry.get("a.db.x") is spec
    assert registry.list() == [spec]
    with pytest.raises(api.RegistryError, match="Duplicate migration a.db.x.v1"):
        registry.register(spec)


def test_load_and_list(shop):
    project = api.load_project(shop)
    assert isinstance(project.registry, contractspec.MigrationRegistry)
    migrations = api.list_migrations(shop)
    assert [m.key for m in migrations] == SHOP_ORDER
    users = migrations[1]
    assert dataclasses.is_dataclass(users)
    assert users.dependencies == ("core.db.2025_01_add_accounts.v1",)
    assert users.path == "migrations/core/2025_01_add_users.py"
    with pytest.raises(dataclasses.FrozenInstanceError):
        users.title = "changed"  # type: ignore[misc]


def test_errors_are_the_package_exceptions(tmp_path, shop):
    with pytest.raises(api.ConfigError, match="does not exist"):
        api.load_project(tmp_path / "nowhere")
    spec = shop / "migrations" / "core" / "2025_01_add_users.py"
    spec.write_text(
        spec.read_text().replace('"core.db.2025_01_add_accounts"', '"core.db.x"')
    )
    with pytest.raises(
        api.RegistryError, match="depends on unknown migration 'core.db.x'"
    ):
        api.list_migrations(shop)


def test_build_staleness_gate_reports_stale_with_a_diff(shop):
    assert not api.build(project=shop, check=True).stale
    spec = shop / "migrations" / "core" / "2025_01_add_accounts.py"
    spec.write_text(spec.read_text().replace("'free'", "'trial'"))
    result = api.build(project=shop, check=True)
    assert result.stale
    changed = [c for c in result.changes if c.status != "unchanged"]
    assert changed == [
        api.HarnessChange("harnesses/core__db__2025_01_add_accounts__v1.py", "updated")
    ]
    assert "+                    plan TEXT NOT NULL DEFAULT 'trial'" in result.diff
    assert result.rebuild_command == "contractspec build --all"


def test_up_status_down(shop, database_url, caplog):
    caplog.set_level(logging.INFO, logger="contractspec")
    run = api.migrate_up(shop, database_url)
    assert run.ok and run.failed is None
    assert [r.key for r in run.applied] == SHOP_ORDER
    assert {r.status for r in run.applied} == {"applied"}
    run.raise_for_failure()  # nothing failed: nothing raised
    # Every run's start and end reached the application's logging.
    ends = [r for r in caplog.records if "run_end" in r.getMessage()]
    assert [r.contractspec_event["migration"] for r in ends] == SHOP_ORDER
    assert all(r.levelno == logging.INFO and r.name == "contractspec" for r in ends)

    rows = api.migrate_status(shop, database_url)
    assert [(r.key, r.state, r.harness) for r in rows] == [
        (key, "applied", "ok") for key in SHOP_ORDER
    ]
    assert not any(r.needs_attention for r in rows)

    down = api.migrate_down(shop, database_url, steps=1)
    assert [r.key for r in down.applied] == [SHOP_ORDER[-1]]
    assert down.applied[0].status == "reverted"
    last = api.migrate_status(shop, database_url)[-1]
    assert (last.state, last.needs_attention) == ("pending", True)


def test_a_failed_run_returns_its_report_and_logs_an_error(shop, database_url, caplog):
    validate = shop / "migrations" / "billing" / "2025_04_validate_orders.py"
    text = validate.read_text()
    assert "SELECT COUNT(*) = 0 FROM orders WHERE total_cents < 0" in text
    validate.write_text(text.replace("COUNT(*) = 0", "COUNT(*) = 1"))  # now false
    api.build(all=True, project=shop)
    run = api.migrate_up(shop, database_url)
    assert not run.ok
    assert run.failed == "billing.db.2025_04_validate_orders.v1"
    assert [r.key for r in run.applied] == SHOP_ORDER[:-1]
    with pytest.raises(api.MigrationFailed, match="validate_orders.v1 failed"):
        run.raise_for_failure()
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert [r.contractspec_event["migration"] for r in errors] == [run.failed]


def run_program(
    program: str, shop: Path, database: Path
) -> subprocess.CompletedProcess[str]:
    """An application's program in a process of its own: argv[1] the project, argv[2] the URL."""
    url = f"sqlite:///{database}"
    return subprocess.run(
        [sys.executable, "-c", program, str(shop), url], capture_output=True, text=True
    )


def test_nothing_is_logged_until_the_application_configures_logging(shop, tmp_path):
    """No handler of ours: without logging configured, a failure prints nothing
    (logging's last-resort handler would print errors to stderr)."""
    validate = shop / "migrations" / "billing" / "2025_04_validate_orders.py"
    validate.write_text(validate.read_text().replace("COUNT(*) = 0", "COUNT(*) = 1"))
    api.build(all=True, project=shop)
    program = (
        "import sys; from contractspec import api\n"
        "run = api.migrate_up(sys.argv[1], sys.argv[2])\n"
        "print(run.failed)\n"
    )
    result = run_program(program, shop, tmp_path / "quiet.db")
    assert result.stdout == "billing.db.2025_04_validate_orders.v1\n"
    assert result.stderr == ""


def test_logging_is_imported_by_the_application_not_by_contractspec(shop, tmp_path):
    """The runtime leaves logging alone until something else imports it (it is
    the runtime's costliest import); configured later, it gets the events."""
    program = (
        "import sys; from contractspec import api\n"
        "api.migrate_up(sys.argv[1], sys.argv[2])\n"
        "print('imported:', 'logging' in sys.modules)\n"
        "import logging\n"
        "logging.basicConfig(level=logging.INFO, stream=sys.stdout,"
        " format='%(name)s %(levelname)s %(message)s')\n"
        "api.migrate_down(sys.argv[1], sys.argv[2], steps=1)\n"
    )
    result = run_program(program, shop, tmp_path / "late.db")
    assert result.stderr == ""
    lines = result.stdout.splitlines()
    assert lines[0] == "imported: False"
    assert f"contractspec INFO {SHOP_ORDER[-1]} run_end: reverted" in lines


@pytest.mark.slow
def test_api_module_is_strictly_typed():
    """The public API passes mypy --strict (its own module; the rest is checked
    by the project's mypy configuration)."""
    from mypy import api as mypy

    module = Path(api.__file__)
    out, err, status = mypy.run(
        ["--strict", "--follow-imports=silent", "--no-incremental", str(module)]
    )
    assert status == 0, out + err
