"""`contractspec build` through click's CliRunner: files written, diffs, summaries, exit codes."""

from __future__ import annotations

import ast
import re
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
import support
from click.testing import Result
from support import SHOP

from contractspec.codegen.generate import runtime_sources
from contractspec.codegen.render import RUNTIME_NAME

# A file of the shared runtime package, as shown in diffs.
RUNTIME_INIT = f"{RUNTIME_NAME}/__init__.py"

DATA = Path(__file__).parent / "data" / "build"
USERS = "harnesses/core__db__2025_01_add_users__v1.py"
ALL_SIX = 6


@pytest.fixture
def shop(tmp_path, copy_tracked) -> Path:
    """A copy of the example project, without its harnesses."""
    return copy_tracked(SHOP, tmp_path / "shop", skip=("harnesses",))


def cli(project: Path, *args: str) -> Result:
    return support.cli(project, "build", *args)


def harness_files(project: Path, folder: str = "harnesses") -> dict[str, bytes]:
    """The harnesses in folder, by file name (not the shared runtime package)."""
    return {p.name: p.read_bytes() for p in sorted((project / folder).glob("*.py"))}


# -- writing -------------------------------------------------------------------


def test_build_one_name_writes_its_highest_version(shop):
    result = cli(shop, "billing.db.2025_02_add_orders")
    assert result.exit_code == 0, result.stderr
    assert result.stderr == "1 harness written, runtime module written\n"
    assert result.stdout == ""
    assert list(harness_files(shop)) == ["billing__db__2025_02_add_orders__v2.py"]
    assert (shop / "harnesses" / RUNTIME_INIT).is_file()


def test_build_an_exact_version(shop):
    result = cli(shop, "billing.db.2025_02_add_orders.v1", "core.db.2025_01_add_users")
    assert result.exit_code == 0, result.stderr
    assert sorted(harness_files(shop)) == [
        "billing__db__2025_02_add_orders__v1.py",
        "core__db__2025_01_add_users__v1.py",
    ]
    assert result.stderr == "2 harnesses written, runtime module written\n"


def test_build_all_then_nothing_to_do(shop):
    result = cli(shop, "--all")
    assert result.exit_code == 0, result.stderr
    assert result.stderr == f"{ALL_SIX} harnesses written, runtime module written\n"
    files = harness_files(shop)
    assert len(files) == ALL_SIX
    mtimes = {p.name: p.stat().st_mtime_ns for p in (shop / "harnesses").glob("*.py")}

    again = cli(shop, "--all")
    assert again.exit_code == 0
    assert again.stderr == f"0 harnesses written, {ALL_SIX} unchanged\n"
    assert harness_files(shop) == files
    assert {
        p.name: p.stat().st_mtime_ns for p in (shop / "harnesses").glob("*.py")
    } == mtimes
    assert not list(
        (shop / "harnesses").glob(".*.tmp")
    )  # no temporary files left behind


def test_build_matches_the_committed_examples(shop):
    cli(shop, "--all")
    assert harness_files(shop) == harness_files(SHOP)


def test_stdout_prints_the_harness_and_writes_nothing(shop):
    result = cli(shop, "--stdout", "core.db.2025_01_add_users")
    assert result.exit_code == 0
    assert result.stdout == (SHOP / USERS).read_text(encoding="utf-8")
    assert not (shop / "harnesses").exists()


def test_an_updated_spec_rewrites_only_its_harness(shop):
    cli(shop, "--all")
    spec = shop / "migrations" / "core" / "2025_01_add_users.py"
    spec.write_text(spec.read_text().replace("users starts empty", "users start empty"))
    result = cli(shop, "--all")
    assert result.exit_code == 0
    assert result.stderr == f"1 harness written, {ALL_SIX - 1} unchanged\n"


# -- check and diff ----------------------------------------------------------------


def test_check_passes_when_current(shop):
    cli(shop, "--all")
    for args in (
        ["--check"],
        ["--all", "--check"],
        ["--check", "core.db.2025_01_add_users"],
    ):
        result = cli(shop, *args)
        assert result.exit_code == 0, (args, result.stderr)
        assert result.stdout == ""
    assert cli(shop, "--check").stderr == f"{ALL_SIX} harnesses up to date\n"


def test_check_fails_on_a_stale_harness_with_a_diff(shop):
    cli(shop, "--all")
    before = harness_files(shop)
    spec = shop / "migrations" / "core" / "2025_01_add_users.py"
    spec.write_text(
        spec.read_text().replace(
            "display_name TEXT\n", "display_name TEXT NOT NULL DEFAULT ''\n"
        )
    )
    result = cli(shop, "--check")
    assert result.exit_code == 1
    assert result.stdout.startswith(f"--- a/{USERS}\n+++ b/{USERS}\n@@ ")
    assert (
        "-    display_name TEXT\n+    display_name TEXT NOT NULL DEFAULT ''\n"
        in result.stdout
    )
    assert "-# contractspec-fingerprint: sha256:" in result.stdout
    assert result.stderr.splitlines() == [
        f"1 harness would be written, {ALL_SIX - 1} unchanged",
        "contractspec: error: generated harnesses are out of date; run: contractspec build --all",
    ]
    assert harness_files(shop) == before  # --check writes nothing


def test_editing_a_pinned_file_makes_its_harness_stale(shop):
    cli(shop, "--all")
    sql = shop / "migrations" / "core" / "backfill_display_names.sql"
    sql.write_text(sql.read_text().replace("'user-'", "'member-'"))
    result = cli(shop, "--check")
    assert result.exit_code == 1
    name = "harnesses/core__db__2025_03_backfill_display_names__v1.py"
    assert f"+++ b/{name}" in result.stdout
    changed = [
        line
        for line in result.stdout.splitlines()
        if line.startswith(("+", "-")) and not line.startswith(("+++", "---"))
    ]
    assert len(changed) == 4  # the fingerprint and the pinned hash, old and new
    assert all("sha256" in line or re.search(r"[0-9a-f]{64}", line) for line in changed)


def test_check_reports_missing_and_orphaned_harnesses(shop):
    cli(shop, "--all")
    (shop / USERS).unlink()
    orphan = shop / "harnesses" / "core__db__2024_12_gone__v1.py"
    orphan.write_text(
        "# Code generated by contractspec from migrations/core/gone.py. DO NOT EDIT.\nX = 1\n"
    )
    own = shop / "harnesses" / "__init__.py"  # not ours: never reported, never removed
    own.write_text("# a package marker the team wrote\n")
    result = cli(shop, "--check")
    assert result.exit_code == 1
    assert f"--- /dev/null\n+++ b/{USERS}\n" in result.stdout
    assert (
        "--- a/harnesses/core__db__2024_12_gone__v1.py\n+++ /dev/null\n"
        in result.stdout
    )
    assert "harnesses/__init__.py" not in result.stdout
    assert result.stderr.startswith(
        f"1 harness would be written (1 missing), 1 orphaned would be removed, {ALL_SIX - 1} unchanged\n"
    )

    diff = cli(shop, "--diff")
    assert diff.exit_code == 0 and diff.stdout == result.stdout

    both = cli(shop, "--check", "--diff")
    assert both.exit_code == 1 and both.stdout == result.stdout

    fixed = cli(shop, "--all")
    assert fixed.exit_code == 0
    assert fixed.stderr == f"1 harness written, 1 removed, {ALL_SIX - 1} unchanged\n"
    assert not orphan.exists() and own.exists()
    assert cli(shop, "--check").exit_code == 0


def test_diff_writes_nothing_and_succeeds(shop):
    result = cli(shop, "--diff")
    assert result.exit_code == 0
    # and the runtime's files
    assert result.stdout.count("--- /dev/null\n") == ALL_SIX + len(runtime_sources())
    assert f"+++ b/harnesses/{RUNTIME_INIT}\n" in result.stdout
    assert not (shop / "harnesses").exists()


def test_a_patch_from_diff_applies_cleanly(shop):
    if not shutil.which("git"):
        pytest.skip("git is not installed")
    cli(shop, "--all")
    (shop / USERS).unlink()
    spec = shop / "migrations" / "billing" / "2025_02_add_orders.py"
    spec.write_text(
        spec.read_text().replace(
            'title="Add orders table"', 'title="Add the orders table"'
        )
    )
    patch = cli(shop, "--diff").stdout
    subprocess.run(["git", "apply", "-"], input=patch, text=True, cwd=shop, check=True)
    assert cli(shop, "--check").exit_code == 0


# -- refusing and failing ------------------------------------------------------------


def test_never_overwrites_a_file_it_did_not_generate(shop):
    target = shop / USERS
    target.parent.mkdir()
    target.write_text("# hand-written, precious\n")
    result = cli(shop, "--all")
    assert result.exit_code == 3
    assert "refusing to overwrite" in result.stderr and USERS in result.stderr
    assert target.read_text() == "# hand-written, precious\n"
    assert list(harness_files(shop)) == [target.name]  # nothing else written either
    assert cli(shop, "--check").exit_code == 3


@pytest.mark.parametrize(
    "args, message",
    [
        ([], "name a migration"),
        (["--all", "core.db.2025_01_add_users"], "not both"),
        (["--stdout", "--check", "core.db.2025_01_add_users"], "--stdout"),
        (["--stdout", "--all"], "exactly one"),
        (
            ["--stdout", "core.db.2025_01_add_users", "billing.db.2025_02_add_orders"],
            "exactly one",
        ),
    ],
)
def test_usage_errors_exit_2(shop, args, message):
    result = cli(shop, *args)
    assert result.exit_code == 2
    assert message in result.stderr


def test_unknown_migration_exits_3(shop):
    result = cli(shop, "core.db.2025_01_add_user")
    assert result.exit_code == 3
    assert "unknown migration 'core.db.2025_01_add_user'" in result.stderr
    assert "did you mean 'core.db.2025_01_add_users'" in result.stderr


def test_missing_script_files_are_spec_errors_at_the_script(tmp_path):
    project = tmp_path / "broken"
    shutil.copytree(DATA / "broken", project)
    spec = project / "migrations" / "app" / "2025_01_missing_files.py"
    expected = re.findall(r"^# expect: (.*)$", spec.read_text(), re.MULTILINE)
    result = cli(project, "--all")
    assert result.exit_code == 3
    assert result.stderr.splitlines() == expected + [f"{len(expected)} problems found"]
    assert not (project / "harnesses").exists()


def test_harness_file_collisions_are_reported(shop):
    source = (shop / "migrations" / "core" / "2025_01_add_accounts.py").read_text()
    for file, name in (("a.py", "core.db__x.y"), ("b.py", "core__db.x.y")):
        text = source.replace('name="core.db.2025_01_add_accounts"', f'name="{name}"')
        (shop / "migrations" / file).write_text(text)
    result = cli(shop, "--all")
    assert result.exit_code == 3
    assert "would share the harness file core__db__x__y__v1.py" in result.stderr
    assert re.search(r"^migrations/b\.py:\d+:\d+: ", result.stderr, re.MULTILINE)


def test_every_script_kind_is_classified_and_pinned(tmp_path):
    project = tmp_path / "scripts"
    shutil.copytree(DATA / "scripts", project)
    result = cli(project, "--all")
    assert result.exit_code == 0, result.stderr
    [harness] = [path for path in (project / "build" / "harnesses").glob("*.py")]
    migration = ast.literal_eval(ast.parse(harness.read_text()).body[3].value)
    data = [
        (s["script_type"], s["script_path"])
        for s in migration["up"]
        if s["kind"] == "data"
    ]
    assert data == [
        ("sql_file", "../../migrations/app/sql/seed_notes.sql"),
        ("python_file", "../../migrations/app/_helpers.py"),
        ("python_module", None),
        ("inline_sql", None),
    ]
    assert all("script_type" not in s for s in migration["up"] if s["kind"] != "data")
    # And it runs: the harness finds the pinned files relative to itself.
    database = tmp_path / "notes.db"
    run = subprocess.run(
        [sys.executable, str(harness), "up", "--database", f"sqlite:///{database}"],
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, run.stderr
    with sqlite3.connect(database) as conn:
        assert sorted(r[0] for r in conn.execute("SELECT body FROM notes")) == [
            "FIRST",
            "SECOND",
        ]


def test_build_from_inside_the_project_without_C(shop, monkeypatch):
    monkeypatch.chdir(shop / "migrations")
    result = support.cli(None, "build", "--all")
    assert result.exit_code == 0, result.stderr
    assert len(harness_files(shop)) == ALL_SIX


def test_help_does_not_import_heavy_libraries():
    code = (
        "import sys, contractspec.cli.build, contractspec.commands.build, contractspec.codegen.generate,"
        " contractspec.writer, contractspec.format;"
        " print(sorted(m for m in ('black', 'jinja2') if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[]"
    result = support.cli(None, "build", "--help")
    assert result.exit_code == 0 and "--check" in result.stdout


def test_a_harness_folder_inside_the_specs_folder_is_refused(shop):
    pyproject = shop / "pyproject.toml"
    pyproject.write_text(
        pyproject.read_text().replace(
            'harnesses = "harnesses"', 'harnesses = "migrations/generated"'
        )
    )
    result = cli(shop, "--all")
    assert result.exit_code == 3
    assert "inside the specs folder" in result.stderr
    pyproject.write_text(
        pyproject.read_text().replace("migrations/generated", "migrations/_generated")
    )
    assert cli(shop, "--all").exit_code == 0
    assert cli(shop, "--check").exit_code == 0


def test_check_covers_the_runtime_module_like_any_harness(shop):
    cli(shop, "--all")
    runtime = shop / "harnesses" / RUNTIME_INIT
    runtime.unlink()
    result = cli(shop, "--check")
    assert result.exit_code == 1
    assert f"--- /dev/null\n+++ b/harnesses/{RUNTIME_INIT}\n" in result.stdout
    assert result.stderr.startswith(
        f"{ALL_SIX} harnesses up to date, runtime module would be written\n"
    )
    assert cli(shop, "--all").exit_code == 0
    runtime.write_text(runtime.read_text().replace("import ", "import  ", 1))
    stale = cli(shop, "--check")
    assert stale.exit_code == 1 and f"+++ b/harnesses/{RUNTIME_INIT}\n" in stale.stdout

    # No specs left: a full build removes the runtime module as an orphan.
    assert cli(shop, "--all").exit_code == 0
    shutil.rmtree(shop / "migrations")
    (shop / "migrations").mkdir()
    emptied = cli(shop, "--all")
    assert emptied.exit_code == 0, emptied.stderr
    assert not runtime.exists()
    assert "runtime module removed" in emptied.stderr


def test_check_reports_an_orphaned_runtime_file_and_build_removes_it(shop):
    """A file an older release had in the runtime package, and format 2's
    runtime module beside the harnesses: orphans. __pycache__ is not looked at."""
    assert cli(shop, "--all").exit_code == 0
    folder = shop / "harnesses" / RUNTIME_NAME
    gone = folder / "gone.py"
    gone.write_text(
        "# Code generated by contractspec from contractspec/runtime/gone.py."
        " DO NOT EDIT.\n"
    )
    module = shop / "harnesses" / f"{RUNTIME_NAME}.py"
    module.write_text(
        "# Code generated by contractspec from"
        " contractspec/runtime/harness_runtime.py. DO NOT EDIT.\n"
    )
    (folder / "__pycache__").mkdir()
    (folder / "__pycache__" / "steps.cpython-311.pyc").write_bytes(b"\0" * 16)
    (folder / "__pycache__" / "stray.py").write_text("x = 1\n")
    check = cli(shop, "--check")
    assert check.exit_code == 1
    assert "+++ /dev/null\n" in check.stdout
    assert f"--- a/harnesses/{RUNTIME_NAME}/gone.py\n" in check.stdout
    assert f"--- a/harnesses/{RUNTIME_NAME}.py\n" in check.stdout
    assert "__pycache__" not in check.stdout
    assert check.stderr.startswith(
        f"{ALL_SIX} harnesses up to date, runtime module would be removed\n"
    )
    built = cli(shop, "--all")
    assert (
        built.stderr
        == f"0 harnesses written, {ALL_SIX} unchanged, runtime module removed\n"
    )
    assert not gone.exists() and not module.exists()
    assert (folder / "__pycache__" / "stray.py").exists()
    assert cli(shop, "--check").exit_code == 0
