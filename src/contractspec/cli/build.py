"""`build`: write, check or diff the harness modules generated from specs."""

from __future__ import annotations

from pathlib import Path

import click

from . import root
from .options import project_option


@root.command("build")
@click.argument("references", nargs=-1, metavar="[NAME[.vN]]...")
@click.option(
    "--all",
    "all_",
    is_flag=True,
    help="Build every spec; also removes orphaned harnesses.",
)
@click.option(
    "--check",
    is_flag=True,
    help="Write nothing; print a unified diff and exit 1 when a harness is stale, missing or orphaned.",
)
@click.option(
    "--diff",
    is_flag=True,
    help="Write nothing; print a unified diff of what a build would change.",
)
@click.option(
    "--stdout",
    "to_stdout",
    is_flag=True,
    help="Print one harness instead of writing it.",
)
@click.option(
    "--no-cache",
    is_flag=True,
    help="Neither read nor write .contractspec_cache/ (formatted output, loaded specs).",
)
@project_option
def build_command(
    references: tuple[str, ...],
    all_: bool,
    check: bool,
    diff: bool,
    to_stdout: bool,
    no_cache: bool,
    project: Path | None,
) -> None:
    """Generate harness modules from specs.

    NAME builds the highest version of a migration, NAME.vN that exact
    version. --all builds every spec. With --check or --diff and no NAME,
    the whole project is compared. One file per migration is written under
    the harness folder ([tool.contractspec] harnesses), only when it changed.
    A CODEOWNERS block that `contractspec owners` wrote is kept current too.

    \b
    Exit codes: 0 ok (and --diff), 1 stale with --check, 2 usage,
    3 spec or configuration error (e.g. a data step's file is missing).
    """
    from ..commands.build import build
    from ..errors import StaleError

    result = build(
        references,
        all_=all_,
        project=project,
        check=check,
        diff=diff,
        stdout=to_stdout,
        use_cache=not no_cache,
    )
    output = result.harness or result.diff
    if output:
        click.echo(output, nl=False)
    click.echo(result.summary, err=True)
    if check and result.stale:
        what = "generated harnesses are"
        if not any(change.status != "unchanged" for change in result.changes):
            what = "the CODEOWNERS block is"  # only it
        raise StaleError(f"{what} out of date; run: {result.rebuild_command}")
