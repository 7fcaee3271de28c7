"""The `list`, `show` and `graph` commands and the CLI's conventions, through click's CliRunner."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import click
import pytest
from support import SHOP, SHOP_ORDER, cli

from contractspec import __version__
from contractspec.cli import command_names, root

HEAVY = ("black", "libcst", "jinja2")


@pytest.fixture(autouse=True)
def clean_env(monkeypatch):
    monkeypatch.delenv("CONTRACTSPEC_DATABASE_URL", raising=False)


def run(*args: str, cwd: Path | None = None):
    return cli(None, *args, cwd=cwd)


# -- list -------------------------------------------------------------------------------------


def test_list_table_in_dependency_order():
    result = run("list", "-C", str(SHOP))
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["KEY", "STABILITY", "OWNERS", "DEPENDS", "ON"]
    assert [line.split()[0] for line in lines[1:]] == SHOP_ORDER
    assert lines[1].split() == [
        "core.db.2025_01_add_accounts.v1",
        "stable",
        "team-core",
        "-",
    ]
    assert lines[2].split() == [
        "core.db.2025_01_add_users.v1",
        "stable",
        "team-core,alice@example.com",
        "core.db.2025_01_add_accounts.v1",
    ]
    assert lines[6].split() == [
        "billing.db.2025_04_validate_orders.v1",
        "experimental",
        "team-billing",
        "billing.db.2025_02_add_orders.v2,",
        "core.db.2025_03_backfill_display_names.v1",
    ]
    # Columns line up: every row starts its second column at the same offset.
    offsets = {line.index(line.split()[1], len(line.split()[0])) for line in lines}
    assert len(offsets) == 1
    # The count is progress information, so it goes to stderr, not into the data.
    assert result.stderr == "6 migrations\n"


def test_list_from_inside_the_project_without_C():
    result = run("list", cwd=SHOP / "migrations" / "core")
    assert result.exit_code == 0
    assert [line.split()[0] for line in result.stdout.splitlines()[1:]] == SHOP_ORDER


def test_list_json():
    result = run("list", "--project", str(SHOP), "--json")
    assert result.exit_code == 0
    rows = json.loads(result.stdout)
    assert [row["key"] for row in rows] == SHOP_ORDER
    assert rows[3] == {
        "key": "billing.db.2025_02_add_orders.v2",
        "name": "billing.db.2025_02_add_orders",
        "version": 2,
        "title": "Add orders table, with a status",
        "domain": "billing",
        "owners": ["team-billing"],
        "tags": ["schema", "orders"],
        "stability": "beta",
        "dependencies": ["billing.db.2025_02_add_orders.v1"],
        "path": "migrations/billing/2025_02_add_orders_v2.py",
    }


def test_list_empty_project(tmp_path):
    result = run("list", "-C", str(tmp_path))
    assert result.exit_code == 0
    assert result.stdout == ""
    assert result.stderr == "no migrations found\n"
    assert json.loads(run("list", "-C", str(tmp_path), "--json").stdout) == []


# -- show -------------------------------------------------------------------------------------


def test_show_name_is_the_highest_version():
    result = run("show", "billing.db.2025_02_add_orders", "-C", str(SHOP))
    assert result.exit_code == 0
    assert result.stdout == (
        "billing.db.2025_02_add_orders.v2  Add orders table, with a status\n"
        "  file:        migrations/billing/2025_02_add_orders_v2.py\n"
        "  domain:      billing\n"
        "  owners:      team-billing\n"
        "  tags:        schema, orders\n"
        "  stability:   beta\n"
        "  risk:        low\n"
        "  depends on:  billing.db.2025_02_add_orders.v1\n"
        "  needed by:   billing.db.2025_04_validate_orders.v1\n"
        "up:\n"
        "  1. schema: Add a status to orders\n"
        "  2. schema: Index orders by status\n"
        "down:\n"
        "  1. schema: Drop the status index\n"
        "  2. schema: Drop the status\n"
    )


def test_show_exact_key():
    result = run("show", "billing.db.2025_02_add_orders.v1", "-C", str(SHOP))
    assert result.exit_code == 0
    assert (
        result.stdout.splitlines()[0]
        == "billing.db.2025_02_add_orders.v1  Add orders table"
    )
    assert "  needed by:   billing.db.2025_02_add_orders.v2\n" in result.stdout


def test_show_plans_and_description():
    result = run("show", "core.db.2025_03_backfill_display_names", "-C", str(SHOP))
    assert result.exit_code == 0
    assert (
        "  description: Users created before display names existed get a placeholder name.\n"
        in result.stdout
    )
    assert result.stdout.endswith(
        "up:\n"
        "  1. data: Give nameless users a placeholder name\n"
        "  2. data: Lower-case every email\n"
        "down:\n"
        "  1. data: Forget the placeholder names (emails stay lower-case)\n"
    )


def test_show_an_irreversible_migration(tmp_path):
    project = tmp_path / "p"
    shutil.copytree(SHOP / "migrations", project / "migrations")
    spec = project / "migrations" / "billing" / "2025_02_add_orders.py"
    text = spec.read_text()
    start = text.index("        down=[")
    end = text.index("],\n", start) + 3
    spec.write_text(text[:start] + "        down=None,\n" + text[end:])
    result = run("show", "billing.db.2025_02_add_orders.v1", "-C", str(project))
    assert result.exit_code == 0, result.output
    assert result.stdout.endswith("down: none (irreversible)\n")


def test_show_unknown_name_exits_3_with_a_suggestion():
    result = run("show", "core.db.2025_01_add_user", "-C", str(SHOP))
    assert result.exit_code == 3
    assert result.stdout == ""
    assert result.stderr == (
        "contractspec: error: unknown migration 'core.db.2025_01_add_user'"
        " (did you mean 'core.db.2025_01_add_users'?)\n"
    )


def test_show_unknown_version_exits_3():
    result = run("show", "core.db.2025_01_add_users.v7", "-C", str(SHOP))
    assert result.exit_code == 3
    assert (
        result.stderr
        == "contractspec: error: unknown migration core.db.2025_01_add_users.v7 (registered versions: v1)\n"
    )


def test_show_json_typescript():
    result = run(
        "show", "core.db.2025_01_add_users", "-C", str(SHOP), "--json", "--typescript"
    )
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert data["key"] == "core.db.2025_01_add_users.v1"
    assert data["path"] == "migrations/core/2025_01_add_users.py"
    assert data["resolved_dependencies"] == ["core.db.2025_01_add_accounts.v1"]
    assert data["dependents"] == [
        "billing.db.2025_02_add_orders.v1",
        "core.db.2025_03_backfill_display_names.v1",
    ]
    assert data["meta"]["owners"] == ["team-core", "alice@example.com"]
    first = data["plan"]["up"][0]
    assert (
        first["kind"] == "schema"
        and first["timeoutMs"] == 5000
        and first["retries"] == 2
    )
    assert first["preChecks"] == [
        {
            "description": "accounts table exists",
            "expression": "SELECT COUNT(*) >= 0 FROM accounts",
        }
    ]
    assert first["postChecks"] == []
    assert "timeout_ms" not in first and "pre_checks" not in first
    assert first["sql"].startswith("\nCREATE TABLE users (\n")


def test_show_json_python_names():
    data = json.loads(
        run("show", "core.db.2025_01_add_users", "-C", str(SHOP), "--json").stdout
    )
    first = data["plan"]["up"][0]
    assert first["timeout_ms"] == 5000 and "timeoutMs" not in first
    assert data["plan"]["up"][1] == {
        "kind": "validation",
        "assertion": "SELECT COUNT(*) = 0 FROM users",
        "description": "users starts empty",
        "timeout_ms": None,
        "retries": 0,
        "pre_checks": [],
        "post_checks": [],
    }


# -- graph ------------------------------------------------------------------------------------


def test_graph_text():
    result = run("graph", "-C", str(SHOP))
    assert result.exit_code == 0
    assert result.stdout == (
        "core.db.2025_01_add_accounts.v1\n"
        "core.db.2025_01_add_users.v1  <- core.db.2025_01_add_accounts.v1\n"
        "billing.db.2025_02_add_orders.v1  <- core.db.2025_01_add_users.v1\n"
        "billing.db.2025_02_add_orders.v2  <- billing.db.2025_02_add_orders.v1\n"
        "core.db.2025_03_backfill_display_names.v1  <- core.db.2025_01_add_users.v1\n"
        "billing.db.2025_04_validate_orders.v1  <- billing.db.2025_02_add_orders.v2,"
        " core.db.2025_03_backfill_display_names.v1\n"
    )


def test_graph_mermaid():
    result = run("graph", "-C", str(SHOP), "--format", "mermaid")
    assert result.exit_code == 0
    assert result.stdout == (
        "graph TD\n"
        '    m0["core.db.2025_01_add_accounts.v1"]\n'
        '    m1["core.db.2025_01_add_users.v1"]\n'
        '    m2["billing.db.2025_02_add_orders.v1"]\n'
        '    m3["billing.db.2025_02_add_orders.v2"]\n'
        '    m4["core.db.2025_03_backfill_display_names.v1"]\n'
        '    m5["billing.db.2025_04_validate_orders.v1"]\n'
        "    m0 --> m1\n"
        "    m1 --> m2\n"
        "    m2 --> m3\n"
        "    m1 --> m4\n"
        "    m3 --> m5\n"
        "    m4 --> m5\n"
    )


def test_graph_dot():
    result = run("graph", "-C", str(SHOP), "--format", "dot")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[:2] == ["digraph migrations {", "    rankdir=LR;"]
    assert lines[-1] == "}"
    assert (
        '    "core.db.2025_01_add_accounts.v1" -> "core.db.2025_01_add_users.v1";'
        in lines
    )
    assert (
        '    "billing.db.2025_02_add_orders.v2" -> "billing.db.2025_04_validate_orders.v1";'
        in lines
    )
    assert sum("->" in line for line in lines) == 6
    assert sum(line.endswith('";') and "->" not in line for line in lines) == 6


def test_graph_unknown_format_is_a_usage_error():
    result = run("graph", "-C", str(SHOP), "--format", "svg")
    assert result.exit_code == 2
    assert "Invalid value for '--format'" in result.stderr


# -- version, help, usage ----------------------------------------------------------------------


def test_version():
    result = run("--version")
    assert result.exit_code == 0
    assert result.stdout == f"contractspec, version {__version__}\n"


def _all_commands(group: click.Group, prefix: tuple[str, ...] = ()):
    for name, command in sorted(group.commands.items()):
        yield prefix + (name,)
        if isinstance(command, click.Group):
            yield from _all_commands(command, prefix + (name,))


command_names()  # a command's module loads when it is looked up: load them all
COMMANDS = [()] + list(_all_commands(root))


def test_foundation_commands_are_registered():
    assert {("list",), ("show",), ("graph",)} <= set(COMMANDS)


@pytest.mark.parametrize("path", COMMANDS, ids=lambda p: " ".join(p) or "contractspec")
def test_help_on_every_command(path):
    for flag in ("--help", "-h"):
        result = run(*path, flag)
        assert result.exit_code == 0, result.output
        assert result.stdout.startswith(
            "Usage: contractspec" + "".join(f" {p}" for p in path)
        )
        assert result.stderr == ""


def test_root_help_mentions_exit_codes_and_commands():
    out = run("--help").stdout
    assert (
        "Exit codes: 0 ok, 1 stale or failed, 2 usage, 3 spec or config error, 4"
        " rehearsal partial (steps outside a transaction were not rehearsed), 5"
        " waiting for a person's work (confirm it: migrate confirm). Interrupted:"
        " 130 (Ctrl-C), 143 (SIGTERM)." in " ".join(out.split())
    )
    for name in ("list", "show", "graph"):
        assert f"  {name}" in out


@pytest.mark.parametrize(
    "args",
    [
        ["--bogus"],
        ["list", "--bogus"],
        ["show"],
        ["show", "a", "b"],
        ["nosuchcommand"],
        ["graph", "--format"],
    ],
)
def test_usage_errors_exit_2(args):
    result = run(*args)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert "Error:" in result.stderr
    assert "Traceback" not in result.output


# -- spec and config errors ---------------------------------------------------------------------


def _broken_project(folder: Path) -> Path:
    specs = folder / "migrations" / "core"
    specs.mkdir(parents=True)
    (folder / "pyproject.toml").write_text(
        '[tool.contractspec]\nspecs = "migrations"\n', encoding="utf-8"
    )
    header = "from contractspec import MigrationMeta, MigrationPlan, MigrationSpec, SchemaStep\n\n"
    (specs / "a.py").write_text(
        header
        + "spec = MigrationSpec(\n"
        + '    meta=MigrationMeta(name="core.db.a", version=0, title="A", owners=["o"]),\n'
        + '    plan=MigrationPlan(up=[SchemaStep("SELECT 1", retries=-1)]),\n'
        + ")\n",
        encoding="utf-8",
    )
    (specs / "b.py").write_text(
        header + 'spec = MigrationSpec(meta=MigrationMeta(name=f"x"))\n',
        encoding="utf-8",
    )
    (specs / "c.py").write_text("def oops(:\n", encoding="utf-8")
    return folder


EXPECTED_PROBLEMS = [
    "migrations/core/a.py:4:50: version must be an integer from 1 to 2147483647, got 0",
    "migrations/core/a.py:5:59: retries must be an integer from 0 to 2147483647, got -1",
    "migrations/core/b.py:3:8: MigrationSpec() is missing required field 'plan'",
    "migrations/core/b.py:3:27: MigrationMeta() is missing required field 'title'",
    "migrations/core/b.py:3:27: MigrationMeta() is missing required field 'version'",
    "migrations/core/b.py:3:46: f-strings are not allowed; values must be literals (strings, numbers,"
    " True/False/None, lists) or names bound to literals at module level in this file",
    "migrations/core/c.py:1:10: syntax error: invalid syntax",
    "7 problems found",
]


@pytest.mark.parametrize(
    "command", [["list"], ["list", "--json"], ["show", "core.db.a"], ["graph"]]
)
def test_broken_spec_project_exits_3_with_every_problem(tmp_path, command):
    project = _broken_project(tmp_path)
    result = run(*command, "-C", str(project))
    assert result.exit_code == 3
    assert result.stderr.splitlines() == EXPECTED_PROBLEMS
    assert "Traceback" not in result.output
    if "--json" not in command:
        assert result.stdout == ""
        return
    failure = json.loads(result.stdout)  # --json: the failure as one object
    assert failure["ok"] is False and failure["exit_code"] == 3
    shown = [
        f"{d['path']}:{d['line']}:{d['col']}: {d['message']}"
        for d in failure["diagnostics"]
    ]
    assert shown == EXPECTED_PROBLEMS[:-1]


def test_broken_specs_also_fail_from_inside_the_project(tmp_path):
    project = _broken_project(tmp_path)
    result = run("list", cwd=project / "migrations")
    assert result.exit_code == 3
    assert result.stderr.splitlines() == EXPECTED_PROBLEMS


def test_graph_problems_exit_3(tmp_path):
    (tmp_path / "migrations").mkdir()
    header = "from contractspec import MigrationMeta, MigrationPlan, MigrationSpec, SchemaStep\n"
    for name, dep in [("a", "b"), ("b", "c"), ("c", "a"), ("d", "missing")]:
        (tmp_path / "migrations" / f"{name}.py").write_text(
            header
            + f'spec = MigrationSpec(MigrationMeta("t.db.{name}", 1, "T", owners=["o"]),'
            + f' MigrationPlan([SchemaStep("SELECT 1")]), ["t.db.{dep}"])\n',
            encoding="utf-8",
        )

    def col(name: str, text: str) -> int:
        line = (
            (tmp_path / "migrations" / name).read_text(encoding="utf-8").splitlines()[1]
        )
        return line.index(text) + 1

    assert col("d.py", '"t.db.missing"') == 111
    result = run("list", "-C", str(tmp_path))
    assert result.exit_code == 3
    assert result.stderr == (
        "migrations/d.py:2:111: t.db.d.v1 depends on unknown migration 't.db.missing':"
        " no migration named 't.db.missing' is registered\n"
        "1 problem found\n"
    )
    (tmp_path / "migrations" / "d.py").unlink()
    cycle_col = col("a.py", '"t.db.b"')
    assert cycle_col == 111
    result = run("graph", "-C", str(tmp_path))
    assert result.exit_code == 3
    assert result.stderr == (
        f"migrations/a.py:2:{cycle_col}: dependency cycle: t.db.a.v1 -> t.db.b.v1 -> t.db.c.v1 -> t.db.a.v1\n"
        "1 problem found\n"
    )


def test_duplicates_are_all_reported(tmp_path):
    (tmp_path / "migrations").mkdir()
    header = "from contractspec import MigrationMeta, MigrationPlan, MigrationSpec, SchemaStep\n"
    for file, name in [("a1", "a"), ("a2", "a"), ("b1", "b"), ("b2", "b")]:
        (tmp_path / "migrations" / f"{file}.py").write_text(
            header
            + f'spec = MigrationSpec(MigrationMeta("t.db.{name}", 1, "T", owners=["o"]), MigrationPlan([SchemaStep("x")]))\n',
            encoding="utf-8",
        )
    result = run("list", "-C", str(tmp_path))
    assert result.exit_code == 3
    assert result.stderr.splitlines() == [
        "migrations/a2.py:2:8: Duplicate migration t.db.a.v1 (migrations/a2.py, already in migrations/a1.py)",
        "migrations/b2.py:2:8: Duplicate migration t.db.b.v1 (migrations/b2.py, already in migrations/b1.py)",
        "2 problems found",
    ]


def test_config_error_exits_3(tmp_path):
    (tmp_path / "pyproject.toml").write_text(
        '[tool.contractspec]\nspecz = "m"\n', encoding="utf-8"
    )
    result = run("list", "-C", str(tmp_path))
    assert result.exit_code == 3
    assert result.stderr == (
        "pyproject.toml:2:1: unknown key 'specz' in [tool.contractspec]; known keys: specs, harnesses, database, dialect, lint_ignore, max_file_bytes, extra_roots, fetch_timeout, fetch_max_bytes, lock_timeout_ms, lock_retries, environments, owners, fleets\n"
        "1 problem found\n"
    )


def test_missing_project_folder_exits_3(tmp_path):
    result = run("list", "-C", str(tmp_path / "nope"))
    assert result.exit_code == 3
    assert (
        result.stderr
        == f"contractspec: error: project folder {tmp_path / 'nope'} does not exist\n"
    )


# -- the real process ------------------------------------------------------------------------------


def _python(code: str, cwd: Path = SHOP) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "CONTRACTSPEC_DATABASE_URL"}
    return subprocess.run(
        [sys.executable, "-c", code], cwd=cwd, env=env, capture_output=True, text=True
    )


@pytest.mark.parametrize(
    "args",
    [
        ["--help"],
        ["list", "--help"],
        ["list"],
        ["graph"],
        ["show", "core.db.2025_01_add_users"],
    ],
)
def test_light_commands_do_not_import_black_libcst_or_jinja2(args):
    code = (
        "import sys\n"
        "from contractspec.cli import main\n"
        "try:\n"
        f"    main({args!r})\n"
        "except SystemExit as exc:\n"
        "    code = exc.code\n"
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in {'black', 'libcst', 'jinja2'})\n"
        "print('HEAVY', heavy, 'EXIT', code, file=sys.stderr)\n"
    )
    done = _python(code)
    assert done.stderr.splitlines()[-1] == "HEAVY [] EXIT 0", done.stderr


def test_python_m_contractspec_help_importtime():
    env = {k: v for k, v in os.environ.items() if k != "CONTRACTSPEC_DATABASE_URL"}
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "contractspec", "--help"],
        cwd=SHOP,
        env=env,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0
    assert done.stdout.startswith("Usage: contractspec [OPTIONS] COMMAND [ARGS]...")
    imported = {
        line.rsplit("|", 1)[-1].strip()
        for line in done.stderr.splitlines()
        if line.startswith("import time:")
    }
    assert "contractspec.cli" in imported
    assert not {name for name in imported if name.split(".")[0] in HEAVY}


def test_console_exit_codes_in_a_real_process(tmp_path):
    project = _broken_project(tmp_path)
    done = subprocess.run(
        [sys.executable, "-m", "contractspec", "list", "-C", str(project)],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 3
    assert done.stdout == ""
    assert done.stderr.splitlines() == EXPECTED_PROBLEMS
    assert "Traceback" not in done.stderr
    usage = subprocess.run(
        [sys.executable, "-m", "contractspec", "list", "--nope"],
        capture_output=True,
        text=True,
    )
    assert usage.returncode == 2


def test_every_command_module_is_in_the_roots_table():
    """A command registered by a module of contractspec.cli but missing from
    Root.MODULES could not be run: the table is how a command line finds it."""
    import importlib
    import pkgutil

    import contractspec.cli as cli_package

    for module in pkgutil.iter_modules(cli_package.__path__):
        importlib.import_module(f"contractspec.cli.{module.name}")
    assert set(root.commands) == set(root.MODULES)
    for name, module in root.MODULES.items():
        assert root.commands[name].callback.__module__ == f"contractspec.cli.{module}"
