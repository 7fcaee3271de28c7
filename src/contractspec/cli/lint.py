"""`lint`: dangerous and broken SQL, reported at the spec's own lines."""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path
from typing import TYPE_CHECKING

import click

from . import root
from .options import database_option, echo_json, env_option, project_option

if TYPE_CHECKING:
    from ..lint import LintReport


def _github(value: str, property_: bool = False) -> str:
    """Escaped for a workflow command (GitHub's own escaping rules)."""
    value = value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    return value.replace(":", "%3A").replace(",", "%2C") if property_ else value


def _markdown(text: str) -> str:
    """Text for one cell of a Markdown table."""
    return text.replace("|", "\\|").replace("\r", " ").replace("\n", " ")


def review_table(report: LintReport) -> str:
    """The linted migrations as a Markdown table for the pull request: each
    one's risk and why, its stability, and whose review it asks for."""
    lines = [
        "### contractspec: migrations to review",
        "",
        "| migration | risk | why | stability | owners |",
        "| --- | --- | --- | --- | --- |",
    ]
    for row in report.reviewed:
        why = "<br>".join(
            _markdown(f"{r.reason}: {r.detail}") for r in row.risk.reasons
        )
        owners = ", ".join(_markdown(owner) for owner in row.owners)
        handles = [h for h in row.handles if h not in row.owners]  # not emails again
        if handles:
            owners += " (" + ", ".join(f"`{h}`" for h in handles) + ")"
        lines.append(
            f"| `{row.key}` | **{row.risk.level}** | {why or '-'} |"
            f" {row.stability} | {owners} |"
        )
    if not report.reviewed:
        lines.append("| (none) | | | | |")
    return "\n".join(lines) + "\n"


def _github_summary(report: LintReport) -> None:
    """In a GitHub Actions job: the review table into the step summary, and
    the highest risk as the step's output `risk` (low, medium or high)."""
    from ..config import RISK_LEVELS

    summary, output = os.environ.get("GITHUB_STEP_SUMMARY"), os.environ.get(
        "GITHUB_OUTPUT"
    )
    if summary:
        with open(summary, "a", encoding="utf-8") as handle:
            handle.write(review_table(report))
    if output:
        levels = [RISK_LEVELS.index(row.risk.level) for row in report.reviewed]
        with open(output, "a", encoding="utf-8") as handle:
            handle.write(f"risk={RISK_LEVELS[max(levels, default=0)]}\n")


def _print(report: LintReport, format_: str) -> None:
    """The findings as text or workflow annotations (json: printed whole
    already); the notes on stderr, and as annotations for github."""
    for finding in report.findings:
        if format_ == "text":
            click.echo(str(finding))
            if finding.hint:
                click.echo(f"    hint: {finding.hint}")
        elif format_ == "github":
            command = "error" if finding.severity == "error" else "warning"
            click.echo(
                f"::{command} file={_github(finding.path, True)},line={finding.line},"
                f"col={finding.col},title={_github(finding.rule, True)}::"
                f"{_github(finding.message + (' (' + finding.hint + ')' if finding.hint else ''))}"
            )
    for note in report.notes:
        if format_ == "github":  # shown on the workflow run, not only in its log
            click.echo(f"::notice title=contractspec lint::{_github(note)}")
        click.echo(f"contractspec: note: {note}", err=True)


@root.command("lint")
@click.argument("references", nargs=-1, metavar="[NAME[.vN]]...")
@click.option(
    "--format",
    "format_",
    type=click.Choice(["text", "json", "github"]),
    default="text",
    show_default=True,
    help="text for people, json for tools, github for workflow annotations.",
)
@click.option(
    "--strict", is_flag=True, help="Warnings count as errors (advice fails too)."
)
@click.option(
    "--changed-since",
    metavar="REF",
    help="Only specs whose file (or .sql file) changed since this git ref, e.g. origin/main.",
)
@click.option(
    "--no-squawk",
    is_flag=True,
    help="Run contractspec's own rules only, not squawk's (PostgreSQL).",
)
@project_option
@database_option
@env_option
def lint_command(
    references: tuple[str, ...],
    format_: str,
    strict: bool,
    changed_since: str | None,
    no_squawk: bool,
    project: Path | None,
    database: str | None,
    environment: str | None,
) -> None:
    """Parse every SQL text of the specs and report dangerous or broken SQL.

    Each finding points at the statement inside the spec file (or the data
    step's .sql file): `path:line:col: severity rule: message`, and its hint
    says the safe form. An error is SQL that can't run as written or, on
    PostgreSQL, a hazard for a table that is live while the migration runs
    (a rewrite, a lock that blocks reads or writes while it scans or builds,
    a rename running code still uses); a table created earlier in the same
    migration is not live. Warnings are advice. The dialect is
    [tool.contractspec] dialect, else the database URL's. On PostgreSQL,
    squawk's rules run too (pip install 'contractspec[lint]'). Rules are
    listed in docs/lint.md.

    Each linted migration's risk (low, medium, high, with the reasons) is in
    --format json; --format github also writes a review table (risk, why,
    owners) to the job's step summary ($GITHUB_STEP_SUMMARY) and the highest
    risk to the step output `risk` ($GITHUB_OUTPUT).

    \b
    Exit codes: 0 no error, 1 an error (or a warning with --strict),
    2 usage, 3 spec or configuration error.
    """
    from ..commands.lint import lint
    from ..errors import LintFailed

    report = lint(
        references,
        project=project,
        database=database,
        environment=environment,
        changed_since=changed_since,
        strict=strict,
        use_squawk=not no_squawk,
    )
    if format_ == "json":
        echo_json(
            {
                "findings": [f.as_dict() for f in report.findings],
                "notes": report.notes,
                "errors": report.count("error"),
                "warnings": report.count("warning"),
                "specs": report.specs,
                "migrations": [dataclasses.asdict(row) for row in report.reviewed],
            }
        )
    _print(report, format_)
    if format_ == "github":
        _github_summary(report)
    errors, warnings = report.count("error"), report.count("warning")
    summary = (
        f"{errors} error{'s' if errors != 1 else ''}, {warnings} warning{'s' if warnings != 1 else ''}"
        f" in {report.specs} spec{'s' if report.specs != 1 else ''}"
    )
    if report.failed(strict):
        raise LintFailed(summary)
    click.echo(summary, err=True)
