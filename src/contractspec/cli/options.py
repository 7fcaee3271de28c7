"""Options shared by several subcommands."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

project_option = click.option(
    "-C",
    "--project",
    "project",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Project folder (holds pyproject.toml with [tool.contractspec]). Default: the nearest one above the current folder.",
)

database_option = click.option(
    "--database",
    "database",
    metavar="URL",
    default=None,
    help="Database URL, e.g. sqlite:///app.db or postgresql://user@host/db."
    " Default: $CONTRACTSPEC_DATABASE_URL, then [tool.contractspec] database, then sqlite:///contractspec.db.",
)

json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON for machines instead of a table.")


def echo_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, ensure_ascii=False))


def table(rows: list[list[str]], headers: list[str]) -> str:
    """A plain left-aligned text table."""
    widths = [max(len(str(cell)) for cell in column) for column in zip(headers, *rows)]
    lines = [headers] + rows
    return "\n".join(
        "  ".join(str(cell).ljust(width) for cell, width in zip(line, widths)).rstrip()
        for line in lines
    )
