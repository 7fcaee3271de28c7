"""`init`: make a folder a contractspec project."""

from __future__ import annotations

from pathlib import Path

import click

from ..config import DEFAULTS, ENV_DATABASE
from ..sql import DIALECTS, Dialect
from . import root


@root.command("init")
@click.argument(
    "directory",
    metavar="[DIR]",
    required=False,
    type=click.Path(file_okay=False, path_type=Path),
)
@click.option(
    "--dialect",
    type=click.Choice(DIALECTS),
    help="The SQL dialect the specs are written in; default: the --database URL's,"
    " else sqlite.",
)
@click.option(
    "--database",
    "database_url",
    metavar="URL",
    help="The default database, e.g. postgresql://app@db.internal/app (it sets the"
    " dialect); never with a password: libpq reads PGPASSWORD or ~/.pgpass, or keep"
    f" the whole URL in ${ENV_DATABASE}. Default: {DEFAULTS['database']} for sqlite,"
    f" ${ENV_DATABASE} for postgresql.",
)
@click.option("--specs", help=f"The specs folder.  [default: {DEFAULTS['specs']}]")
@click.option(
    "--harnesses", help=f"The harness folder.  [default: {DEFAULTS['harnesses']}]"
)
def init_command(
    directory: Path | None,
    dialect: Dialect | None,
    database_url: str | None,
    specs: str | None,
    harnesses: str | None,
) -> None:
    """Make DIR (default: the current folder) a contractspec project.

    Adds [tool.contractspec] to DIR/pyproject.toml (creating it, or editing
    it in place without disturbing the rest) with the dialect the specs are
    written in, creates the specs and harness folders, and adds
    contractspec's lines to .gitignore and .gitattributes.

    \b
      contractspec init                         # SQLite: sqlite:///contractspec.db
      contractspec init --dialect postgresql    # the URL from $CONTRACTSPEC_DATABASE_URL
      contractspec init --database postgresql://app@db.internal/app

    Safe to run again: nothing that is there already is changed; an option
    adds its key to a table that lacks it, and one that contradicts the
    table is refused.
    """
    from ..commands.init import init

    done = init(
        directory,
        specs=specs,
        harnesses=harnesses,
        database=database_url,
        dialect=dialect,
    )
    for line in done.written:
        click.echo(f"wrote {line}", err=True)
    if not done.written:
        click.echo(f"{done.root} is already set up; nothing changed", err=True)
    for note in done.notes:
        click.echo(f"note: {note}", err=True)
    click.echo("next:", err=True)
    for command in done.next_commands:
        click.echo(f"  {command}", err=True)
