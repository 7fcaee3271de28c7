"""Adopting contractspec: `init` a project, `import` another tool's migrations."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from ..config import DEFAULTS, ENV_DATABASE
from ..sql import DIALECTS, Dialect
from . import root
from .options import F, project_option

if TYPE_CHECKING:
    from ..commands.importers import Imported


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


@root.group("import")
def import_group() -> None:
    """Turn another tool's migrations into specs (one file per migration).

    \b
      contractspec import sqitch path/to/sqitch-project --domain library
      contractspec import flyway path/to/flyway-project   (flyway.toml or flyway.conf)
      contractspec import flyway db/schema db/data --domain billing --owner team-billing

    The SQL is read in the project's dialect ([tool.contractspec] dialect);
    a project without one takes the other tool's (sqitch.conf's engine,
    Flyway's jdbc url), and a disagreement stops the import. Nothing is
    written unless every spec can be. Then build the harnesses, and either
    `migrate up` a new database or `migrate baseline --all --verify` one that
    the old tool already migrated. See docs/adopting.md.
    """


def _import_options(function: F) -> F:
    function = click.option(
        "--owner",
        "owners",
        multiple=True,
        help="An owner of the imported specs (repeatable; default: your user name).",
    )(function)
    function = click.option(
        "--domain", help="The first segment of every imported name (domain.db.slug)."
    )(function)
    function = project_option(function)
    return function


_FOLDER = click.Path(exists=True, file_okay=False, path_type=Path)


def _report(imported: Imported) -> None:
    for path in imported.paths:
        click.echo(path)
    for note in imported.notes:
        click.echo(f"note: {note}", err=True)
    click.echo(
        f"imported {len(imported.keys)} migrations; next: contractspec build --all, then"
        " contractspec migrate up (a new database) or contractspec migrate baseline --all"
        " --verify (a database the old tool migrated)",
        err=True,
    )


@import_group.command("sqitch")
@click.argument("directory", type=_FOLDER)
@_import_options
def import_sqitch_command(
    directory: Path, project: Path | None, domain: str | None, owners: tuple[str, ...]
) -> None:
    """Import a Sqitch project: DIR/sqitch.conf, its plan, deploy/revert/verify scripts.

    Each change becomes a spec: deploy -> up, revert -> down, verify -> a
    validation step with expect="no_error", which fails exactly when the
    script fails (Sqitch's `SELECT 1/COUNT(*) ...`, a DO block that RAISEs).
    A reworked change becomes versions of one name, its earlier scripts found
    as Sqitch finds them (deploy/NAME@TAG.sql, each tag between the change
    and its rework in turn); [dependencies] become dependencies on the exact
    versions they meant; tags become tags. Statements that can't run in a
    transaction (CREATE INDEX CONCURRENTLY) get steps of their own outside
    it. Conflicts (!name) and cross-project dependencies are reported, not
    imported. The domain defaults to the plan's %project.
    """
    from ..commands.importers import import_sqitch

    _report(import_sqitch(directory, project, domain=domain, owners=list(owners)))


@import_group.command("flyway")
@click.argument("directories", metavar="DIR...", nargs=-1, required=True, type=_FOLDER)
@_import_options
def import_flyway_command(
    directories: tuple[Path, ...],
    project: Path | None,
    domain: str | None,
    owners: tuple[str, ...],
) -> None:
    """Import Flyway scripts: V<version>__<desc>.sql as a chain in version order.

    DIR is a location (a folder of scripts, searched recursively), or several,
    merged by version as Flyway merges them (1 < 1.1 < 2 < 13.1 < 14); or a
    Flyway project folder with flyway.toml or flyway.conf, whose filesystem:
    locations and jdbc url are used. The same version twice is an error.
    U<version>__<desc>.sql becomes the down plan of its version. A script
    with statements that can't run in a transaction (CREATE INDEX
    CONCURRENTLY, VACUUM), or with executeInTransaction=false in its .conf,
    gets steps outside the transaction, as Flyway runs it. Repeatable (R__),
    baseline (B) and callback scripts and ${placeholders} are reported, not
    imported. The domain defaults to "app".
    """
    from ..commands.importers import import_flyway

    _report(import_flyway(directories, project, domain=domain, owners=list(owners)))
