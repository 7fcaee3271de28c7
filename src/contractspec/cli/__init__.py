"""The `contractspec` command line: parse → one command function → print → exit code.

Subcommands live in sibling modules, one per area; each registers itself on
`root`. Errors become messages and exit codes in exactly one place:
`Root.invoke`. Heavy libraries (black, libcst, jinja2) load only inside the
commands that need them, so `contractspec --help` stays fast.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from .. import __version__
from ..errors import EXIT_FAILED, EXIT_USAGE, ContractspecError, SpecError, UsageError
from .options import root_database_option, root_env_option, root_project_option


class Root(click.Group):
    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except ContractspecError as exc:
            report(exc)
            ctx.exit(exc.exit_code)
        except KeyboardInterrupt:
            click.echo("contractspec: interrupted", err=True)
            ctx.exit(EXIT_FAILED)


def report(exc: ContractspecError) -> None:
    if isinstance(exc, SpecError) and exc.diagnostics:
        for diagnostic in exc.diagnostics:
            click.echo(str(diagnostic), err=True)
        count = len(exc.diagnostics)
        click.echo(f"{count} problem{'s' if count != 1 else ''} found", err=True)
    else:
        click.echo(f"contractspec: error: {exc}", err=True)
    if isinstance(exc, UsageError):
        click.echo("Try 'contractspec --help' for help.", err=True)


@click.group(
    cls=Root,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.version_option(__version__, "--version", prog_name="contractspec")
@root_project_option
@root_database_option
@root_env_option
def root(project: Path | None, database: str | None, environment: str | None) -> None:
    """Declarative, reviewable, safe database migrations.

    Write each migration as a spec (a Python file under migrations/), build
    it into a standalone harness module that you commit and review, and run
    the harnesses in dependency order against SQLite or PostgreSQL.

    \b
    Typical session:
      contractspec list                      # the registry, in dependency order
      contractspec build --all               # write harnesses for every spec
      contractspec build --check             # CI: exit 1 when a harness is stale
      contractspec lint                      # review: dangerous or broken SQL
      contractspec migrate up                # apply what is pending
      contractspec migrate status            # what is applied, pending, drifted

    Exit codes: 0 ok, 1 stale or failed, 2 usage, 3 spec or config error,
    4 rehearsal partial (steps outside a transaction were not rehearsed).
    """


def main(argv: list[str] | None = None) -> None:
    try:
        root.main(args=argv, prog_name="contractspec")
    except UsageError as exc:  # pragma: no cover - raised outside a command
        report(exc)
        sys.exit(EXIT_USAGE)


# Subcommands register themselves on `root` when imported.
from . import adopt as _adopt  # noqa: E402,F401
from . import build as _build  # noqa: E402,F401
from . import lint as _lint  # noqa: E402,F401
from . import migrate as _migrate  # noqa: E402,F401
from . import registry as _registry  # noqa: E402,F401
from . import spec as _spec  # noqa: E402,F401
