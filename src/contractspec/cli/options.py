"""Options shared by several subcommands."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol, TypeVar

import click

from ..errors import ContractspecError

F = TypeVar("F", bound=Callable[..., Any])


class Decorator(Protocol):
    """What click.option returns: the decorated function, unchanged in type."""

    def __call__(self, function: F, /) -> F: ...


Callback = Callable[[click.Context, click.Parameter, Any], Any]


def _or_from_root(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
    """A subcommand's -C/--database falls back to the one given before the subcommand."""
    if value is None and ctx.parent is not None:
        return ctx.find_root().params.get(param.name)
    return value


def _project(callback: Callback | None = None) -> Decorator:
    return click.option(
        "-C",
        "--project",
        "project",
        type=click.Path(file_okay=False, path_type=Path),
        default=None,
        callback=callback,
        help="Project folder (holds pyproject.toml with [tool.contractspec])."
        " Default: the nearest one at or above the current folder.",
    )


def _database(callback: Callback | None = None) -> Decorator:
    return click.option(
        "--database",
        "database",
        metavar="URL",
        default=None,
        callback=callback,
        help="Database URL, e.g. sqlite:///app.db or postgresql://user@host/db. Default:"
        " $CONTRACTSPEC_DATABASE_URL, then $DATABASE_URL, then [tool.contractspec] database,"
        " then sqlite:///contractspec.db.",
    )


def _environment(callback: Callback | None = None) -> Decorator:
    return click.option(
        "--env",
        "environment",
        metavar="NAME",
        default=None,
        callback=callback,
        help="A named environment, [tool.contractspec.environments.NAME] (url or url_env).",
    )


# On the root group (`contractspec -C DIR list`) and on each subcommand (`contractspec list -C DIR`).
root_project_option, root_database_option = _project(), _database()
project_option, database_option = _project(_or_from_root), _database(_or_from_root)
root_env_option, env_option = _environment(), _environment(_or_from_root)

JSON_REQUESTED = "contractspec.json"  # in ctx.meta: failures print JSON too


def _note_json(ctx: click.Context, param: click.Parameter, value: bool) -> bool:
    ctx.meta[JSON_REQUESTED] = value
    return value


json_option = click.option(
    "--json",
    "as_json",
    is_flag=True,
    callback=_note_json,
    help="Print JSON for machines instead of a table.",
)


def ask_or_refuse(question: str, refusal: str) -> None:
    """A yes/no question on stderr; no (or no answer: end of input) stops the
    command with refusal."""
    try:
        answer = click.confirm(question, err=True)
    except click.Abort:
        answer = False
    if not answer:
        raise ContractspecError(refusal)


def echo_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, ensure_ascii=False))


def table(rows: list[list[str]], headers: list[str]) -> str:
    """A plain left-aligned text table."""
    widths = [
        max(len(str(cell)) for cell in column)
        for column in zip(headers, *rows, strict=False)
    ]
    lines = [headers] + rows
    return "\n".join(
        "  ".join(
            str(cell).ljust(width) for cell, width in zip(line, widths, strict=False)
        ).rstrip()
        for line in lines
    )
