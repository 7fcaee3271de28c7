"""`contractspec owners` and build's CODEOWNERS block, on the example project.

What the hosts document (GitHub's "About code owners", GitLab's "Code Owners
syntax"): GitHub reads the first of .github/CODEOWNERS, CODEOWNERS and
docs/CODEOWNERS, GitLab the first of CODEOWNERS, docs/CODEOWNERS and
.gitlab/CODEOWNERS; patterns are gitignore's, a leading `/` anchors them at
the root, a backslash escapes a space; the last matching line decides.
Which owners a line gives a file is read back by the `codeowners` package
(a port of hmarr/codeowners, the matcher GitHub's rules are tested with),
not by our own code.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from codeowners import CodeOwners
from support import SHOP, cli

BEGIN, END = "# BEGIN contractspec owners", "# END contractspec owners"
OWNERS = (
    "\n[tool.contractspec.owners]\n"
    'team-core = ["@acme/core"]\n'
    'team-billing = ["@acme/billing", "billing-lead@acme.example"]\n'
)
HANDLES = {
    "team-core": ["@acme/core"],
    "team-billing": ["@acme/billing", "billing-lead@acme.example"],
}
# The example's pinned files: the backfill's data steps run these.
PINNED = {
    "migrations/core/backfill_display_names.sql": "core.db.2025_03_backfill_display_names.v1",
    "migrations/core/_normalize_emails.py": "core.db.2025_03_backfill_display_names.v1",
}


@pytest.fixture
def shop(tmp_path, copy_tracked):
    project = copy_tracked(SHOP, tmp_path / "shop")
    with (project / "pyproject.toml").open("a") as pyproject:
        pyproject.write(OWNERS)
    return project


def expected_owners(
    project: Path, handles: dict[str, list[str]]
) -> dict[str, list[str]]:
    """Each migration file with the handles its spec's owners map to (an email
    owner is its own handle), from `list --json` and the harness naming rule."""
    listed = json.loads(cli(project, "list", "--json").stdout)
    keys = {}
    for row in listed:
        keys[row["path"]] = row["key"]
        keys["harnesses/" + row["key"].replace(".", "__") + ".py"] = row["key"]
    keys.update(PINNED)
    owners = {row["key"]: row["owners"] for row in listed}
    return {
        path: [h for owner in owners[key] for h in handles.get(owner, [owner])]
        for path, key in keys.items()
    }


def read_by_host(text: str, path: str) -> list[str]:
    return [handle for _, handle in CodeOwners(text).of(path)]


def split(text: str) -> tuple[str, str, str]:
    """(before the block, the block, after it), bytes as they are."""
    start = text.index(BEGIN)
    end = text.index(END) + len(END)
    return text[:start], text[start:end], text[end:]


def owners_ok(project: Path, *args: str) -> str:
    result = cli(project, "owners", *args)
    assert result.exit_code == 0, result.stderr
    return result.stderr


# -- round trips: the block is ours, every other byte the user's ---------------------

HAND_WRITTEN = "# Platform team reviews everything else\n* @acme/platform\n"
AFTER = "\n# Release managers own the changelog, whatever the block says\n/CHANGELOG.md @acme/release\n"


@pytest.mark.parametrize(
    "before,after,newline",
    [
        ("", "", "\n"),
        (HAND_WRITTEN, "", "\n"),
        (HAND_WRITTEN, AFTER, "\n"),
        ("", AFTER, "\n"),
        (HAND_WRITTEN, AFTER, "\r\n"),
    ],
    ids=["alone", "before", "both", "after", "crlf"],
)
def test_owners_then_build_keep_every_hand_written_byte(shop, before, after, newline):
    codeowners = shop / "CODEOWNERS"
    # the block goes at the end of the file; lines after it are written by hand later
    codeowners.write_bytes(before.replace("\n", newline).encode())
    owners_ok(shop)
    text = codeowners.read_bytes().decode()
    codeowners.write_bytes((text + after.replace("\n", newline)).encode())
    # a new owner for billing: build rewrites the block alone
    pyproject = shop / "pyproject.toml"
    pyproject.write_text(
        pyproject.read_text().replace(
            '"@acme/billing", ', '"@acme/billing", "@acme/dba", '
        )
    )
    stale = cli(shop, "build", "--check")
    assert stale.exit_code == 1
    assert (
        "the CODEOWNERS block is out of date; run: contractspec build --all"
        in stale.stderr
    )
    assert (
        "+/migrations/billing/2025_02_add_orders.py @acme/billing @acme/dba"
        in stale.stdout
    )
    built = cli(shop, "build", "--all")
    assert built.exit_code == 0, built.stderr
    assert "CODEOWNERS block updated" in built.stderr
    data = codeowners.read_bytes().decode()
    head, block, tail = split(data)
    assert head == before.replace("\n", newline)
    assert tail == newline + after.replace("\n", newline)
    assert block.count("\n") == block.count(newline)  # every line end the file's own
    billing = ["@acme/billing", "@acme/dba", "billing-lead@acme.example"]
    for path, handles in expected_owners(
        shop, {**HANDLES, "team-billing": billing}
    ).items():
        assert read_by_host(data, path) == handles, path
    assert cli(shop, "build", "--check").exit_code == 0
    assert "up to date" in owners_ok(shop)
    assert codeowners.read_bytes().decode() == data


def test_a_last_line_without_its_line_end_gets_one_and_nothing_else_changes(shop):
    codeowners = shop / "CODEOWNERS"
    codeowners.write_text("* @acme/platform")
    owners_ok(shop)
    head, _, tail = split(codeowners.read_text())
    assert (head, tail) == ("* @acme/platform\n", "\n")


def test_a_block_written_at_the_very_end_without_a_line_end_keeps_it_so(shop):
    codeowners = shop / "CODEOWNERS"
    owners_ok(shop)
    codeowners.write_text(codeowners.read_text().rstrip("\n"))
    owners_ok(shop)
    assert codeowners.read_text().endswith(END)


def test_a_stale_block_is_rewritten_in_place(shop):
    codeowners = shop / "docs" / "CODEOWNERS"
    codeowners.parent.mkdir()
    stale = f"* @acme/platform\n{BEGIN}\n/migrations/gone.py @acme/old\n{END}\n/docs/ @acme/docs\n"
    codeowners.write_text(stale)
    check = cli(shop, "owners", "--check")
    assert check.exit_code == 1
    assert "-/migrations/gone.py @acme/old" in check.stdout
    assert codeowners.read_text() == stale  # --check writes nothing
    owners_ok(shop)
    head, block, tail = split(codeowners.read_text())
    assert (head, tail) == ("* @acme/platform\n", "\n/docs/ @acme/docs\n")
    assert "gone.py" not in block
    assert read_by_host(codeowners.read_text(), "docs/index.md") == ["@acme/docs"]


def test_a_block_edited_by_hand_fails_the_check_and_build_restores_it(shop):
    codeowners = shop / "CODEOWNERS"
    owners_ok(shop)
    written = codeowners.read_text()
    edited = written.replace(
        "/migrations/core/2025_01_add_users.py @acme/core",
        "/migrations/core/2025_01_add_users.py @someone",
    )
    assert edited != written
    codeowners.write_text(edited)
    check = cli(shop, "build", "--check")
    assert check.exit_code == 1
    assert "+/migrations/core/2025_01_add_users.py @acme/core" in check.stdout
    assert cli(shop, "build", "--all").exit_code == 0
    assert codeowners.read_text() == written


@pytest.mark.parametrize(
    "text,line,problem",
    [
        (f"* @a\n{BEGIN}\n/x @b\n", 2, "begins here and never ends"),
        (f"* @a\n/x @b\n{END}\n", 3, "ends here and never begins"),
        (f"{END}\n{BEGIN}\n", 1, "ends here, before it begins"),
        (f"{BEGIN}\n{END}\n{BEGIN}\n{END}\n", 3, "a second contractspec block"),
    ],
)
def test_a_broken_block_is_refused_at_its_line_and_nothing_is_written(
    shop, text, line, problem
):
    codeowners = shop / "CODEOWNERS"
    codeowners.write_text(text)
    for args in (["owners"], ["build", "--all"]):
        result = cli(shop, *args)
        assert result.exit_code == 3, result.stderr
        assert f"CODEOWNERS:{line}: " in result.stderr and problem in result.stderr
    assert codeowners.read_text() == text


# -- where the block goes ----------------------------------------------------------


@pytest.mark.parametrize(
    "existing,flags,chosen",
    [
        ([], [], "CODEOWNERS"),
        ([".github/"], [], ".github/CODEOWNERS"),
        (["docs/CODEOWNERS"], [], "docs/CODEOWNERS"),
        (["CODEOWNERS", ".github/CODEOWNERS"], [], ".github/CODEOWNERS"),
        (["CODEOWNERS", "docs/CODEOWNERS"], [], "CODEOWNERS"),
        ([".gitlab/"], ["--gitlab"], ".gitlab/CODEOWNERS"),
        ([".github/CODEOWNERS", "docs/CODEOWNERS"], ["--gitlab"], "docs/CODEOWNERS"),
        (["CODEOWNERS", ".gitlab/CODEOWNERS"], ["--gitlab"], "CODEOWNERS"),
    ],
)
def test_the_block_goes_where_the_host_reads_first(shop, existing, flags, chosen):
    for name in existing:
        (shop / name.rstrip("/")).parent.mkdir(exist_ok=True)
        if name.endswith("/"):
            (shop / name).mkdir(exist_ok=True)
        else:
            (shop / name).write_text("* @acme/platform\n")
    owners_ok(shop, *flags)
    holding = sorted(
        str(path.relative_to(shop))
        for path in shop.rglob("CODEOWNERS")
        if BEGIN in path.read_text()
    )
    assert holding == [chosen]


def test_a_block_in_a_file_the_host_skips_is_kept_there_and_said(shop):
    (shop / "docs").mkdir()
    (shop / "docs" / "CODEOWNERS").write_text("")
    owners_ok(shop)  # docs/CODEOWNERS: the only one
    (shop / "CODEOWNERS").write_text("* @acme/platform\n")
    said = owners_ok(shop)
    assert "GitHub reads CODEOWNERS and ignores docs/CODEOWNERS" in said
    assert BEGIN not in (shop / "CODEOWNERS").read_text()


def test_a_block_in_a_file_the_host_never_reads_is_said(shop):
    (shop / ".github").mkdir()
    owners_ok(shop)  # .github/CODEOWNERS, which GitLab does not read
    said = owners_ok(shop, "--gitlab")
    assert (
        "GitLab does not read .github/CODEOWNERS: move the block's lines to CODEOWNERS"
        in said
    )


def test_rules_after_the_block_win_over_it_and_owners_says_so(shop):
    codeowners = shop / "CODEOWNERS"
    owners_ok(shop)
    codeowners.write_text(codeowners.read_text() + "/migrations/ @acme/dba\n")
    said = owners_ok(shop)
    number = codeowners.read_text().splitlines().index("/migrations/ @acme/dba") + 1
    assert f"CODEOWNERS:{number}: 1 rule line(s) after the block win over it" in said
    text = codeowners.read_text()
    assert read_by_host(text, "migrations/core/2025_01_add_users.py") == ["@acme/dba"]
    assert read_by_host(text, "harnesses/core__db__2025_01_add_users__v1.py") == [
        "@acme/core",
        "alice@example.com",
    ]


def test_gitlab_form_is_a_section_of_its_own_and_stays_gitlab(shop):
    codeowners = shop / "CODEOWNERS"
    codeowners.write_text("[Docs]\n/docs/ @acme/docs\n")
    owners_ok(shop, "--gitlab")
    lines = codeowners.read_text().splitlines()
    assert lines[:2] == ["[Docs]", "/docs/ @acme/docs"]
    assert lines[lines.index(BEGIN) + 3] == "[contractspec]"
    # the lines after the block would be in its section: said, until a header of their own
    codeowners.write_text(codeowners.read_text() + "/CHANGELOG.md @acme/release\n")
    assert "belong to its [contractspec] section" in owners_ok(shop)
    codeowners.write_text(
        codeowners.read_text().replace("/CHANGELOG.md", "[Release]\n/CHANGELOG.md")
    )
    assert "section" not in owners_ok(shop)
    assert "[contractspec]" in codeowners.read_text()  # owners keeps the form
    pyproject = shop / "pyproject.toml"
    pyproject.write_text(
        pyproject.read_text().replace('"@acme/core"', '"@acme/core-db"')
    )
    assert cli(shop, "build", "--all").exit_code == 0
    assert "[contractspec]" in codeowners.read_text()  # and so does build
    assert "@acme/core-db" in codeowners.read_text()
    owners_ok(shop, "--github")
    assert "[contractspec]" not in codeowners.read_text()


# -- what the block names -----------------------------------------------------------


def test_paths_with_spaces_and_pattern_characters_name_exactly_their_file(shop):
    folder = shop / "migrations" / "core"
    odd = "fix [1] #2 * a?.sql"
    (folder / odd).write_text(
        "UPDATE users SET email = lower(email) WHERE email <> lower(email);\n"
    )
    (folder / "fix [1] #2 x a.sql").write_text(
        "-- a neighbour the pattern must not match\n"
    )
    spec = folder / "2025_01_add_accounts.py"
    spec.write_text(
        spec.read_text().replace("up=[", f"up=[DataStep(script={odd!r}), ", 1)
    )
    if "DataStep" not in spec.read_text().split("MigrationSpec(")[0]:
        spec.write_text("from contractspec import DataStep\n" + spec.read_text())
    assert cli(shop, "build", "--all").exit_code == 0
    owners_ok(shop)
    text = (shop / "CODEOWNERS").read_text()
    assert (
        r"/migrations/core/fix\ \[1\]\ \#2\ \*\ a\?.sql @acme/core" in text.splitlines()
    )
    assert read_by_host(text, f"migrations/core/{odd}") == ["@acme/core"]
    assert read_by_host(text, "migrations/core/fix [1] #2 x a.sql") == []


def test_a_file_name_with_a_tab_cannot_be_named_and_is_refused(shop):
    folder = shop / "migrations" / "core"
    (folder / "tab\there.sql").write_text("SELECT 1;\n")
    spec = folder / "2025_01_add_accounts.py"
    text = spec.read_text().replace(
        "up=[", "up=[DataStep(script='tab\\there.sql'), ", 1
    )
    spec.write_text("from contractspec import DataStep\n" + text)
    result = cli(shop, "owners")
    assert result.exit_code == 3
    assert "can't be named in CODEOWNERS" in result.stderr and "rename" in result.stderr
    assert not (shop / "CODEOWNERS").exists()


def test_an_owner_without_handles_is_an_error_at_the_owner(shop):
    spec = shop / "migrations" / "billing" / "2025_04_validate_orders.py"
    spec.write_text(
        spec.read_text().replace(
            'owners=["team-billing"]', 'owners=["team-billing", "team-data"]'
        )
    )
    (shop / "CODEOWNERS").write_text(f"{BEGIN}\n{END}\n")
    lines = spec.read_text().splitlines()
    line = next(n for n, text in enumerate(lines, 1) if "team-data" in text)
    col = lines[line - 1].index('"team-data"') + 1
    for args in (["owners"], ["build", "--all"], ["build", "--check"]):
        result = cli(shop, *args)
        assert result.exit_code == 3, result.stderr
        assert (
            f"migrations/billing/2025_04_validate_orders.py:{line}:{col}: owner 'team-data'"
            ' has no code-host handles: add team-data = ["@org/team"] to'
            " [tool.contractspec.owners] in pyproject.toml"
        ) in result.stderr
    assert (shop / "CODEOWNERS").read_text() == f"{BEGIN}\n{END}\n"


def test_handles_that_are_not_handles_are_config_errors_at_their_line(shop):
    pyproject = shop / "pyproject.toml"
    pyproject.write_text(
        pyproject.read_text().replace('["@acme/core"]', '["acme core"]')
    )
    result = cli(shop, "owners")
    assert result.exit_code == 3
    line = pyproject.read_text().splitlines().index('team-core = ["acme core"]') + 1
    assert (
        f"pyproject.toml:{line}:1: owner 'team-core': 'acme core' is not a code-host handle"
        in result.stderr
    )


@pytest.mark.parametrize(
    "table,line,message",
    [
        ("owners = 3\n", 2, "owners must be a table"),
        (
            '[tool.contractspec.owners]\nteam-core = "@acme/core"\n',
            3,
            "owner 'team-core' must map to a list of code-host handles",
        ),
        (
            "[tool.contractspec.owners]\nteam-core = []\n",
            3,
            "owner 'team-core' must map to a list of code-host handles",
        ),
    ],
    ids=["not-a-table", "a-string", "empty"],
)
def test_an_owners_map_of_the_wrong_shape_is_refused_at_its_line(
    tmp_path, table, line, message
):
    (tmp_path / "pyproject.toml").write_text(f"[tool.contractspec]\n{table}")
    result = cli(tmp_path, "owners")
    assert result.exit_code == 3
    assert f"pyproject.toml:{line}:1: {message}" in result.stderr
    assert not (tmp_path / "CODEOWNERS").exists()


def test_owners_check_and_diff_together_are_a_usage_error(shop):
    result = cli(shop, "owners", "--check", "--diff")
    assert result.exit_code == 2
    assert "give --check or --diff, not both" in result.stderr
    assert not (shop / "CODEOWNERS").exists()


def test_owners_diff_shows_the_change_and_writes_nothing(shop):
    result = cli(shop, "owners", "--diff")
    assert result.exit_code == 0, result.stderr
    assert "+/migrations/core/2025_01_add_users.py @acme/core" in result.stdout
    assert "would be written" in result.stderr
    assert not (shop / "CODEOWNERS").exists()


def test_build_without_a_block_writes_no_codeowners_and_owners_needs_the_map(
    tmp_path, copy_tracked
):
    project = copy_tracked(SHOP, tmp_path / "shop")
    assert cli(project, "build", "--all").exit_code == 0
    assert not (project / "CODEOWNERS").exists()
    result = cli(project, "owners")
    assert result.exit_code == 3
    assert "no [tool.contractspec.owners] in pyproject.toml" in result.stderr
    assert not (project / "CODEOWNERS").exists()


def test_owners_check_fails_while_there_is_no_block(shop):
    check = cli(shop, "owners", "--check")
    assert check.exit_code == 1
    assert check.stdout.startswith("--- /dev/null\n+++ b/CODEOWNERS\n")
    assert not (shop / "CODEOWNERS").exists()


def test_a_project_in_a_repository_subfolder_names_paths_from_the_repository_root(
    tmp_path, copy_tracked
):
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)  # what git discovery looks for
    (repo / ".github").mkdir()
    project = copy_tracked(SHOP, repo / "services" / "shop")
    with (project / "pyproject.toml").open("a") as pyproject:
        pyproject.write(OWNERS)
    result = cli(project, "owners", "--json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["path"] == "../../.github/CODEOWNERS"
    text = (repo / ".github" / "CODEOWNERS").read_text()
    assert read_by_host(text, "services/shop/migrations/core/2025_01_add_users.py") == [
        "@acme/core",
        "alice@example.com",
    ]
    assert not re.search(r"^/migrations/", text, re.M)


def test_a_codeowners_that_is_not_utf8_is_refused_untouched(shop):
    codeowners = shop / "CODEOWNERS"
    codeowners.write_bytes(b"* @acme/caf\xe9\n")
    result = cli(shop, "owners")
    assert result.exit_code == 3
    assert "CODEOWNERS is not UTF-8 text" in result.stderr
    assert codeowners.read_bytes() == b"* @acme/caf\xe9\n"


def test_owners_json_says_what_it_did(shop):
    result = cli(shop, "owners", "--json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data == {
        "path": "CODEOWNERS",
        "status": "created",
        "host": "github",
        "files": len(expected_owners(shop, HANDLES)),
        "stale": True,
        "diff": "",
    }
    again = json.loads(cli(shop, "owners", "--json").stdout)
    assert (again["status"], again["stale"]) == ("unchanged", False)
