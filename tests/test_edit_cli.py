"""`contractspec spec …` through click's CliRunner, on a copy of the example project."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import Result
from support import SHOP, cli

from contractspec.edit import (
    AddDependency,
    FileChanged,
    read_snapshot,
    write_if_unchanged,
)

USERS = "migrations/core/2025_01_add_users.py"
ACCOUNTS = "migrations/core/2025_01_add_accounts.py"
BACKFILL = "migrations/core/2025_03_backfill_display_names.py"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    target = tmp_path / "shop"
    shutil.copytree(SHOP / "migrations", target / "migrations")
    shutil.copy(SHOP / "pyproject.toml", target / "pyproject.toml")
    return target


def run(project: Path, *args: str, input: str | None = None) -> Result:
    return cli(project, "spec", *args, input=input)


def text(project: Path, relative: str) -> str:
    return (project / relative).read_text(encoding="utf-8")


def original(relative: str) -> str:
    return (SHOP / relative).read_text(encoding="utf-8")


def test_bump_version_writes_and_reports(project: Path):
    result = run(project, "bump-version", "core.db.2025_03_backfill_display_names")
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert result.stderr == f"{BACKFILL}: version 1 -> 2\n"
    assert text(project, BACKFILL) == original(BACKFILL).replace(
        "version=1,", "version=2,"
    )


def test_diff_previews_and_writes_nothing(project: Path):
    result = run(
        project, "bump-version", "core.db.2025_03_backfill_display_names", "--diff"
    )
    assert result.exit_code == 0
    assert result.stdout == (
        f"--- a/{BACKFILL}\n"
        f"+++ b/{BACKFILL}\n"
        "@@ -10,7 +10,7 @@\n"
        " backfill = MigrationSpec(\n"
        "     meta=MigrationMeta(\n"
        '         name="core.db.2025_03_backfill_display_names",\n'
        "-        version=1,\n"
        "+        version=2,\n"
        '         title="Backfill display names",\n'
        '         description="Users created before display names existed get a placeholder name.",\n'
        '         domain="core",\n'
    )
    assert "would change: version 1 -> 2 (nothing written)" in result.stderr
    assert text(project, BACKFILL) == original(BACKFILL)


def test_check_exits_1_when_the_edit_would_change_the_file(project: Path):
    result = run(
        project,
        "add-dependency",
        "core.db.2025_01_add_accounts",
        "billing.db.2025_02_add_orders.v1",
        "--check",
    )
    # v1 of orders depends on users, which depends on accounts: that would be a cycle.
    assert result.exit_code == 3
    result = run(
        project,
        "set",
        "core.db.2025_01_add_accounts",
        "tags",
        "schema,accounts,core",
        "--check",
    )
    assert result.exit_code == 1
    assert result.stdout == ""
    assert (
        "would change: tags ['schema', 'accounts'] -> ['schema', 'accounts', 'core']"
        in result.stderr
    )
    assert text(project, ACCOUNTS) == original(ACCOUNTS)


def test_check_exits_0_when_already_applied(project: Path):
    result = run(
        project,
        "set",
        "core.db.2025_01_add_accounts",
        "tags",
        "schema",
        "accounts",
        "--check",
    )
    assert result.exit_code == 0
    assert (
        result.stderr
        == f"{ACCOUNTS}: already applied: tags is already ['schema', 'accounts']; nothing to do\n"
    )


def test_check_and_diff_together(project: Path):
    result = run(
        project,
        "set",
        "core.db.2025_01_add_accounts",
        "domain",
        "platform",
        "--check",
        "--diff",
    )
    assert result.exit_code == 1
    assert '-        domain="core",\n+        domain="platform",\n' in result.stdout


def test_set_owners_comma_separated_and_repeated(project: Path):
    result = run(
        project,
        "set",
        "core.db.2025_01_add_accounts",
        "owners",
        "team-core,alice@example.com",
        "bob",
    )
    assert result.exit_code == 0, result.output
    assert 'owners=["team-core", "alice@example.com", "bob"],' in text(
        project, ACCOUNTS
    )


def test_set_scalar_takes_one_value(project: Path):
    result = run(
        project, "set", "core.db.2025_01_add_accounts", "title", "Two", "words"
    )
    assert result.exit_code == 2
    assert "title takes exactly one value" in result.stderr


def test_add_step_from_stdin_and_file(project: Path, tmp_path: Path, monkeypatch):
    result = run(
        project,
        "add-step",
        "core.db.2025_01_add_accounts",
        "--sql",
        "-",
        "--description",
        "Index accounts by plan",
        "--position",
        "2",
        input="CREATE INDEX accounts_plan\n    ON accounts (plan);\n",
    )
    assert result.exit_code == 0, result.output
    assert (
        result.stderr
        == f"{ACCOUNTS}: added schema step 2 to the up plan at position 2\n"
    )
    assert '''            SchemaStep(
                sql="""
CREATE INDEX accounts_plan
    ON accounts (plan);
""",
                description="Index accounts by plan",
            ),
        ],
        down=[
            DataStep(''' in text(project, ACCOUNTS)
    sql_file = tmp_path / "undo.sql"
    sql_file.write_text("DROP INDEX accounts_plan\n", encoding="utf-8")
    result = run(
        project,
        "add-step",
        "core.db.2025_01_add_accounts",
        "--sql",
        f"@{sql_file}",
        "--down",
        "--position",
        "1",
    )
    assert result.exit_code == 0, result.output
    assert """        down=[
            SchemaStep(sql="DROP INDEX accounts_plan"),
            DataStep(
                instructions=\"\"\"
Close every account""" in text(project, ACCOUNTS)


def test_add_step_kind_must_match_payload(project: Path):
    result = run(
        project,
        "add-step",
        "core.db.2025_01_add_accounts",
        "--kind",
        "data",
        "--sql",
        "SELECT 1",
    )
    assert result.exit_code == 2
    assert "a data step takes --script" in result.stderr
    result = run(
        project, "add-step", "core.db.2025_01_add_accounts", "--description", "x"
    )
    assert result.exit_code == 2


def test_add_step_that_exists_is_a_noop(project: Path):
    result = run(
        project,
        "add-step",
        "billing.db.2025_02_add_orders",
        "--sql",
        "CREATE INDEX orders_status ON orders (status)",
        "--description",
        "Index orders by status",
    )
    assert result.exit_code == 0
    assert (
        "already applied: the up plan already has this step (step 2)" in result.stderr
    )


def test_add_check_and_remove_step(project: Path):
    result = run(
        project,
        "add-check",
        "core.db.2025_01_add_users",
        "--step",
        "2",
        "--post",
        "--description",
        "users is still empty",
        "--expression",
        "SELECT COUNT(*) = 0 FROM users",
    )
    assert result.exit_code == 0, result.output
    assert result.stderr == f"{USERS}: added a post-check to up step 2\n"
    assert """                description="users starts empty",
                post_checks=[
                    MigrationCheck(
                        description="users is still empty",
                        expression="SELECT COUNT(*) = 0 FROM users",
                    )
                ],
            ),""" in text(project, USERS)
    result = run(project, "remove-step", "core.db.2025_01_add_users", "1", "--down")
    assert result.exit_code == 0, result.output
    assert 'SchemaStep(sql="DROP INDEX users_email"' not in text(project, USERS)
    result = run(
        project,
        "add-check",
        "core.db.2025_01_add_users",
        "--step",
        "1",
        "--description",
        "d",
        "--expression",
        "SELECT 1",
    )
    assert result.exit_code == 2
    assert "give --pre or --post" in result.stderr


def test_missing_step_is_a_usage_error(project: Path):
    result = run(
        project, "remove-step", "billing.db.2025_04_validate_orders", "1", "--down"
    )
    assert result.exit_code == 2
    assert "cannot remove down step 1: the down plan has no steps" in result.stderr


def test_dependencies_are_checked_against_the_registry(project: Path):
    result = run(
        project, "add-dependency", "core.db.2025_01_add_accounts", "core.db.nope"
    )
    assert result.exit_code == 3
    assert result.stderr.splitlines() == [
        f"{ACCOUNTS}:61:19: core.db.2025_01_add_accounts.v1 depends on unknown migration 'core.db.nope':"
        " no migration named 'core.db.nope' is registered",
        "1 problem found",
        "the file was not changed: after this edit (added dependency 'core.db.nope') the project's registry would be broken",
    ]
    assert text(project, ACCOUNTS) == original(ACCOUNTS)
    result = run(
        project,
        "add-dependency",
        "billing.db.2025_04_validate_orders",
        "core.db.2025_01_add_users",
    )
    assert result.exit_code == 0, result.output
    assert """    dependencies=[
        "billing.db.2025_02_add_orders.v2",
        "core.db.2025_03_backfill_display_names",
        "core.db.2025_01_add_users",
    ],
)
""" in text(project, "migrations/billing/2025_04_validate_orders.py")
    result = run(
        project,
        "remove-dependency",
        "billing.db.2025_04_validate_orders",
        "core.db.2025_01_add_users",
    )
    assert result.exit_code == 0, result.output
    # The list stays exploded, with black's magic trailing comma, as a person would leave it.
    assert """    dependencies=[
        "billing.db.2025_02_add_orders.v2",
        "core.db.2025_03_backfill_display_names",
    ],
)
""" in text(project, "migrations/billing/2025_04_validate_orders.py")


def test_bump_version_refuses_an_existing_key(project: Path):
    result = run(project, "bump-version", "billing.db.2025_02_add_orders.v1")
    assert result.exit_code == 3
    assert result.stderr.splitlines()[0] == (
        "migrations/billing/2025_02_add_orders.py:7:17: billing.db.2025_02_add_orders.v2 already exists"
        " in migrations/billing/2025_02_add_orders_v2.py"
    )


def test_bump_version_refuses_to_strand_an_exact_dependency(project: Path):
    result = run(project, "bump-version", "billing.db.2025_02_add_orders")
    assert result.exit_code == 3
    assert (
        "depends on unknown migration 'billing.db.2025_02_add_orders.v2'"
        in result.stderr
    )


def test_refusal_is_reported_with_position(project: Path):
    path = project / USERS
    path.write_text(
        text(project, USERS).replace(
            'title="Add users table"', 'title=f"Add {USERS_TABLE}"'
        ),
        encoding="utf-8",
    )
    result = run(
        project,
        "set",
        USERS.replace("migrations/", str(project / "migrations") + "/"),
        "title",
        "X",
    )
    assert result.exit_code == 3
    assert (
        result.stderr.splitlines()[0]
        == f"{USERS}:25:15: cannot edit title: it is an f-string, not a literal"
    )


def test_target_by_path_relative_to_cwd(project: Path, monkeypatch):
    monkeypatch.chdir(project / "migrations")
    result = cli(
        None, "spec", "set", "core/2025_01_add_accounts.py", "domain", "platform"
    )
    assert result.exit_code == 0, result.output
    assert result.stderr == f"{ACCOUNTS}: domain 'core' -> 'platform'\n"


def test_name_lookup_works_in_a_broken_project(project: Path):
    # One spec has an unknown dependency: the project does not load, but the others can be edited.
    broken = project / "migrations/billing/2025_02_add_orders.py"
    broken.write_text(
        broken.read_text().replace("core.db.2025_01_add_users", "core.db.gone"),
        encoding="utf-8",
    )
    result = run(
        project, "remove-dependency", "billing.db.2025_02_add_orders.v1", "core.db.gone"
    )
    assert result.exit_code == 0, result.output
    result = run(
        project,
        "add-dependency",
        "billing.db.2025_02_add_orders.v1",
        "core.db.2025_01_add_users",
    )
    assert result.exit_code == 0, result.output
    assert broken.read_text() == original("migrations/billing/2025_02_add_orders.py")


def test_a_file_that_does_not_load_and_a_duplicate_key_leave_the_rest_editable(
    project: Path,
):
    (project / "migrations/core/broken.py").write_text("spec = (\n", encoding="utf-8")
    # A copy of the accounts spec: its key is taken twice.
    (project / "migrations/core/copy_of_accounts.py").write_text(
        original(ACCOUNTS), encoding="utf-8"
    )
    result = run(project, "bump-version", "core.db.2025_03_backfill_display_names")
    assert result.exit_code == 0, result.output
    assert "some spec files of the project do not load" in result.stderr
    assert "version=2," in text(project, BACKFILL)
    # Editing one of the two files that share a key is refused, and says where.
    result = run(project, "set", str(project / ACCOUNTS), "title", "Accounts")
    assert result.exit_code == 3, result.output
    assert "core.db.2025_01_add_accounts.v1 already exists in" in result.stderr
    assert text(project, ACCOUNTS) == original(ACCOUNTS)
    # A name that is not there names the files that did not load.
    result = run(project, "bump-version", "core.db.nothing")
    assert result.exit_code == 3
    assert "1 spec file did not load: migrations/core/broken.py" in result.stderr


def test_unknown_name(project: Path):
    result = run(project, "bump-version", "core.db.2025_01_add_userz")
    assert result.exit_code == 3
    assert (
        "unknown migration 'core.db.2025_01_add_userz' (did you mean 'core.db.2025_01_add_users'?)"
        in result.stderr
    )


def test_file_changed_on_disk_is_not_overwritten(project: Path):
    path = project / ACCOUNTS
    snapshot = read_snapshot(path)
    path.write_text(snapshot.text + "# someone else was here\n", encoding="utf-8")
    with pytest.raises(
        FileChanged, match="changed on disk since it was read; not overwritten"
    ):
        write_if_unchanged(snapshot, snapshot.text.replace("version=1", "version=2"))
    assert path.read_text().endswith("# someone else was here\n")
    assert [p.name for p in path.parent.iterdir() if p.name.endswith(".tmp")] == []


def test_write_is_atomic_and_keeps_the_mode(project: Path):
    path = project / ACCOUNTS
    path.chmod(0o640)
    snapshot = read_snapshot(path)
    write_if_unchanged(snapshot, snapshot.text.replace("version=1", "version=2"))
    assert path.stat().st_mode & 0o777 == 0o640
    assert "version=2" in path.read_text()
    assert sorted(p.name for p in path.parent.iterdir()) == [
        "2025_01_add_accounts.py",
        "2025_01_add_users.py",
        "2025_03_backfill_display_names.py",
        "_normalize_emails.py",
        "backfill_display_names.sql",
    ]


def test_edit_file_api(project: Path):
    from contractspec.edit import edit_file

    result = edit_file(
        project / ACCOUNTS, AddDependency("core.db.x"), display=ACCOUNTS, write=False
    )
    assert result.changed and text(project, ACCOUNTS) == original(ACCOUNTS)
    edit_file(project / ACCOUNTS, AddDependency("core.db.x"), display=ACCOUNTS)
    assert 'dependencies=["core.db.x"],' in text(project, ACCOUNTS)


def test_help_does_not_import_libcst():
    code = (
        "import sys\n"
        "from click.testing import CliRunner\n"
        "from contractspec.cli import root\n"
        "for args in (['--help'], ['spec', '--help'], ['spec', 'add-step', '--help']):\n"
        "    assert CliRunner().invoke(root, args).exit_code == 0\n"
        "assert 'libcst' not in sys.modules, 'libcst imported'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, env={**os.environ})
