"""Adopting contractspec: `init` a project, `import` another tool's migrations."""

from __future__ import annotations

from pathlib import Path

import click

from ..config import DEFAULTS
from . import root


@root.command("init")
@click.argument(
    "directory",
    metavar="[DIR]",
    required=False,
    type=click.Path(file_okay=False, path_type=Path),
)
@click.option(
    "--specs", default=DEFAULTS["specs"], show_default=True, help="The specs folder."
)
@click.option(
    "--harnesses",
    default=DEFAULTS["harnesses"],
    show_default=True,
    help="The harness folder.",
)
@click.option(
    "--database",
    "database_url",
    default=DEFAULTS["database"],
    show_default=True,
    metavar="URL",
    help="The default database (no password in it: see docs/migrate.md).",
)
def init_command(directory, specs, harnesses, database_url) -> None:
    """Make DIR (default: the current folder) a contractspec project.

    Adds [tool.contractspec] to DIR/pyproject.toml (creating it, or editing
    it in place without disturbing the rest), creates the specs and harness
    folders, and adds contractspec's lines to .gitignore and .gitattributes.
    Safe to run again: nothing that is there already is changed.
    """
    from ..commands.init import init

    done = init(directory, specs=specs, harnesses=harnesses, database=database_url)
    for line in done.written:
        click.echo(f"wrote {line}", err=True)
    if not done.written:
        click.echo(f"{done.root} is already set up; nothing changed", err=True)
    click.echo("next:", err=True)
    for command in done.next_commands:
        click.echo(f"  {command}", err=True)
