"""The `contractspec` command line: parse → one command function → print → exit code.

Subcommands live in sibling modules, one per area; each registers itself on
`root` when imported, and `Root.MODULES` says which module has which command,
so that a command line imports only its own command's module. Errors become messages and exit codes in exactly one place:
`Root.main`. Heavy libraries (black, libcst, jinja2) load only inside the
commands that need them, so `contractspec --help` stays fast.
"""

from __future__ import annotations

import errno
import importlib
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn

import click

from .. import __version__
from ..errors import (
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_OK,
    ContractspecError,
    Interrupted,
    Shown,
    SpecError,
    UsageError,
)
from .options import (
    JSON_REQUESTED,
    echo_json,
    root_database_option,
    root_env_option,
    root_project_option,
)


class Root(click.Group):
    """The root group. A subcommand's module is imported when that command is
    looked up (`contractspec migrate status` imports cli.migrate alone, and
    none of what the other commands need); --help and completion, which list
    them all, import every one."""

    # Command name -> the module of this package that registers it on `root`.
    MODULES = {
        "build": "build",
        "create": "migrate",
        "graph": "registry",
        "import": "importers",
        "init": "init",
        "lint": "lint",
        "list": "registry",
        "migrate": "migrate",
        "owners": "owners",
        "show": "registry",
        "spec": "spec",
    }

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in self.MODULES:
            importlib.import_module(f"{__name__}.{self.MODULES[cmd_name]}")
        return super().get_command(ctx, cmd_name)

    def list_commands(self, ctx: click.Context) -> list[str]:
        for module in sorted(set(self.MODULES.values())):
            importlib.import_module(f"{__name__}.{module}")
        return super().list_commands(ctx)

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        """Run one command line; the one place where every failure (ours,
        click's usage errors, interrupts, anything unexpected) becomes a
        message, a JSON object under --json, and an exit code."""
        argv = list(sys.argv[1:] if args is None else args)
        prog_name = prog_name or "contractspec"
        # Shell completion (`_CONTRACTSPEC_COMPLETE=...`) answers and exits here.
        self._main_shell_completion(extra, prog_name, complete_var)
        code = self.run(argv, prog_name, **extra)
        if standalone_mode:
            sys.exit(code)
        return code

    def run(self, argv: list[str], prog_name: str, **extra: Any) -> int:
        meta: dict[str, Any] = {}
        try:
            with self.make_context(prog_name, argv, **extra) as ctx:
                meta = ctx.meta  # shared with the subcommands' contexts
                self.invoke(ctx)
            return EXIT_OK
        except click.exceptions.Exit as exc:  # --help, --version
            return exc.exit_code
        except click.ClickException as exc:  # usage: click's message and hint
            if not meta.get(JSON_REQUESTED, "--json" in argv):
                exc.show()
                return exc.exit_code
            error: ContractspecError = UsageError(exc.format_message())
            error.exit_code = exc.exit_code
        except ContractspecError as exc:
            error = exc
        except (KeyboardInterrupt, click.Abort) as exc:
            code = getattr(exc, "exit_code", EXIT_INTERRUPTED)  # SIGTERM: 143
            error = Interrupted("interrupted", code)
        except OSError as exc:
            if exc.errno == errno.EPIPE:  # the reader went away: nothing to say
                return EXIT_FAILED
            where = f"{exc.filename}: " if exc.filename else ""
            error = ContractspecError(f"{where}{exc.strerror or exc}")
        except Exception as exc:  # a bug of ours (RecursionError, MemoryError too)
            if os.environ.get("CONTRACTSPEC_TRACEBACK"):
                raise
            error = ContractspecError(
                f"internal error: {type(exc).__name__}: {exc}"
                " (set CONTRACTSPEC_TRACEBACK=1 to see where)"
            )
        if not isinstance(error, Shown):
            report(error)
            if meta.get(JSON_REQUESTED, "--json" in argv):
                echo_json(error.as_dict())
        return error.exit_code


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
      contractspec owners                    # route reviews: the CODEOWNERS block
      contractspec migrate up                # apply what is pending
      contractspec migrate status            # what is applied, pending, drifted

    Exit codes: 0 ok, 1 stale or failed, 2 usage, 3 spec or config error,
    4 rehearsal partial (steps outside a transaction were not rehearsed),
    5 waiting for a person's work (confirm it: migrate confirm).
    Interrupted: 130 (Ctrl-C), 143 (SIGTERM).
    """


def main(argv: list[str] | None = None) -> NoReturn:
    root.main(args=argv, prog_name="contractspec")
    raise AssertionError("unreachable: Root.main exits")


def command_names() -> list[str]:
    """Every subcommand's name (imports every subcommand's module)."""
    return root.list_commands(click.Context(root))
