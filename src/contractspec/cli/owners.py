"""`owners`: the CODEOWNERS block that routes each migration's review to its owners."""

from __future__ import annotations

from pathlib import Path

import click

from . import root
from .options import echo_json, json_option, project_option


@root.command("owners")
@click.option(
    "--gitlab/--github",
    "gitlab",
    default=None,
    help="GitLab's form (the block is a [contractspec] section) or GitHub's."
    " Default: the form the block has, else GitHub's.",
)
@click.option(
    "--check",
    is_flag=True,
    help="Write nothing; print a unified diff and exit 1 when the block is stale or missing.",
)
@click.option(
    "--diff",
    is_flag=True,
    help="Write nothing; print a unified diff of what would change.",
)
@project_option
@json_option
def owners_command(
    gitlab: bool | None,
    check: bool,
    diff: bool,
    project: Path | None,
    as_json: bool,
) -> None:
    """Write the CODEOWNERS block: each migration's files go to its owners.

    Each spec file, its harness and the files it pins get the code-host
    handles of the migration's owners, as [tool.contractspec.owners] in
    pyproject.toml maps them (team-core = ["@acme/core"]). The block sits
    between `# BEGIN contractspec owners` and `# END contractspec owners`;
    every other line of the file stays as it is. It goes into the
    CODEOWNERS the code host reads (GitHub: .github/, the root, docs/;
    GitLab: the root, docs/, .gitlab/), at the end of the file when new: the
    last matching line decides, so rules after the block win over it.
    `contractspec build` keeps the block current, and `build --check` fails
    when it is stale.

    \b
    Exit codes: 0 ok, 1 stale with --check, 2 usage,
    3 spec or configuration error (an owner without handles, at its line).
    """
    from ..commands.owners import owners
    from ..commands.results import json_value
    from ..errors import StaleError, UsageError

    if check and diff:
        raise UsageError("give --check or --diff, not both")
    result = owners(project, gitlab=gitlab, check=check, diff=diff)
    if as_json:
        echo_json(json_value(result))
    elif result.diff:
        click.echo(result.diff, nl=False)
    verb = {"created": "written", "updated": "written", "unchanged": "up to date"}
    done = verb[result.status]
    if (check or diff) and result.stale:
        done = "would be written"
    click.echo(
        f"{result.path}: contractspec block {done} ({result.host},"
        f" {result.files} file{'s' if result.files != 1 else ''})",
        err=True,
    )
    for note in result.notes:
        click.echo(f"contractspec: note: {note}", err=True)
    if check and result.stale:
        raise StaleError(
            "the CODEOWNERS block is out of date; run: contractspec owners"
        )
