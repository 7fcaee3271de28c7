"""`list`, `show`, `graph`: read-only views of the registry."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import click

from . import root
from .options import echo_json, json_option, project_option, table


@root.command("list")
@project_option
@json_option
def list_command(project: Path | None, as_json: bool) -> None:
    """List every migration in dependency order.

    Dependencies come first; ties are broken by name, then numeric version.
    """
    from ..commands.registry import list_migrations
    from ..commands.results import json_value

    rows = list_migrations(project)
    if as_json:
        echo_json([json_value(row) for row in rows])
        return
    if not rows:
        click.echo("no migrations found", err=True)
        return
    click.echo(
        table(
            [
                [
                    r.key,
                    r.stability,
                    ",".join(r.owners),
                    ", ".join(r.dependencies) or "-",
                ]
                for r in rows
            ],
            ["KEY", "STABILITY", "OWNERS", "DEPENDS ON"],
        )
    )
    click.echo(f"{len(rows)} migration{'s' if len(rows) != 1 else ''}", err=True)


@root.command("show")
@click.argument("reference", metavar="NAME[.vN]")
@project_option
@json_option
@click.option(
    "--typescript",
    is_flag=True,
    help="With --json: the TypeScript field names (timeoutMs, preChecks, ...).",
)
def show_command(
    reference: str, project: Path | None, as_json: bool, typescript: bool
) -> None:
    """Show one migration: NAME (its highest version) or an exact NAME.vN key."""
    from ..commands.registry import show_migration

    data = show_migration(reference, project, typescript=typescript)
    if as_json:
        echo_json({**data, "risk": dataclasses.asdict(data["risk"])})
        return
    meta = data["meta"]
    lines = [
        f"{data['key']}  {meta['title']}",
        f"  file:        {data['path']}",
        f"  domain:      {meta['domain'] or '-'}",
        f"  owners:      {', '.join(meta['owners'])}",
        f"  tags:        {', '.join(meta['tags']) or '-'}",
        f"  stability:   {meta['stability']}",
        f"  risk:        {data['risk']}",
        f"  depends on:  {', '.join(data['resolved_dependencies']) or '-'}",
        f"  needed by:   {', '.join(data['dependents']) or '-'}",
    ]
    if meta["description"]:
        lines.append(f"  description: {meta['description']}")
    for direction in ("up", "down"):
        steps = data["plan"][direction]
        if steps is None:
            lines.append(f"{direction}: none (irreversible)")
            continue
        lines.append(f"{direction}:")
        for index, step in enumerate(steps, start=1):
            lines.append(
                f"  {index}. {step['kind']}: {step.get('description') or ''}".rstrip()
            )
    click.echo("\n".join(lines))


@root.command("graph")
@project_option
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "mermaid", "dot"]),
    default="text",
    show_default=True,
    help="text: one line per migration with its dependencies; mermaid or dot for diagrams.",
)
def graph_command(project: Path | None, fmt: str) -> None:
    """Print the dependency graph, in dependency order."""
    from ..commands.registry import graph

    click.echo(graph(project, fmt), nl=False)
