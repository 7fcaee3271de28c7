"""`spec …`: edit one spec file in place, leaving every other byte as it was."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import click

from ..errors import Shown
from ..spec import EXPECT_TRUTHY, EXPECTATIONS
from . import report, root
from .options import F, project_option

if TYPE_CHECKING:
    from ..edit.operations import Operation


@root.group("spec")
def spec_group() -> None:
    """Edit one spec file in place (comments and layout are kept).

    TARGET is a migration NAME (its highest version), an exact NAME.vN key,
    or the path of a spec file. Only the lines the edit needs change; new
    code follows the file's style. An edit that is already applied does
    nothing and says so; a target that is not a literal, or a result that
    would not load, is refused and the file is left as it was.

    \b
    Every command takes:
      --diff   print the change as a unified diff; write nothing
      --check  write nothing; exit 1 if the edit would change the file
      -C DIR   the project folder

    \b
    Payload values (--sql, --script, --assertion, --expression):
      TEXT     the value itself
      @FILE    the contents of FILE
      -        standard input
      @@TEXT   the literal text @TEXT
    """


def edit_options(function: F) -> F:
    function = project_option(function)
    function = click.option(
        "--check",
        "check",
        is_flag=True,
        help="Write nothing; exit 1 if the edit would change the file.",
    )(function)
    function = click.option(
        "--diff",
        "diff",
        is_flag=True,
        help="Print the change as a unified diff; write nothing.",
    )(function)
    return function


def step_options(function: F) -> F:
    """--step N [--down]: the step an edit of one step (add-check, lint-ignore) is about."""
    function = click.option(
        "--down", is_flag=True, help="The step is in the down plan."
    )(function)
    return click.option(
        "--step",
        "step",
        type=click.IntRange(min=1),
        required=True,
        help="1-based number of the step, as `contractspec show` prints it.",
    )(function)


def run_edit(
    target: str, operation: Operation, project: Path | None, diff: bool, check: bool
) -> None:
    from ..commands.spec import edit_spec
    from ..edit import EditRefused

    try:
        outcome = edit_spec(target, operation, project, write=not (diff or check))
    except EditRefused as exc:
        report(exc)
        if exc.note:
            click.echo(exc.note, err=True)
        raise Shown(str(exc), exc.exit_code) from None
    result = outcome.result
    for warning in outcome.warnings:
        click.echo(f"warning: {warning}", err=True)
    if not result.changed:
        click.echo(f"{outcome.path}: {result.message}; nothing to do", err=True)
        return
    if diff:
        click.echo(result.diff(), nl=False)
    if check or diff:
        click.echo(
            f"{outcome.path}: would change: {result.message} (nothing written)",
            err=True,
        )
        if check:
            raise Shown(f"{outcome.path}: would change")
        return
    click.echo(f"{outcome.path}: {result.message}", err=True)


def _payload(value: str | None) -> str | None:
    if value is None:
        return None
    from ..commands.spec import read_value

    return read_value(
        value
    )  # `-` reads sys.stdin (click.get_text_stream is deprecated)


@spec_group.command("bump-version")
@click.argument("target", metavar="TARGET")
@click.option(
    "--to",
    "to",
    type=click.IntRange(min=1),
    default=None,
    help="Set this version (not lower than the current one) instead of adding 1.",
)
@edit_options
def bump_version_command(
    target: str, to: int | None, project: Path | None, diff: bool, check: bool
) -> None:
    """Add 1 to the spec's version (or set it with --to).

    Refused when the new NAME.vN already exists, or when another spec depends
    on the old NAME.vN exactly (depend on the bare NAME to follow versions).
    """
    from ..edit import BumpVersion

    run_edit(target, BumpVersion(to), project, diff, check)


@spec_group.command("new-version")
@click.argument("name", metavar="NAME")
@project_option
def new_version_command(name: str, project: Path | None) -> None:
    """Rework NAME: copy its highest version N into <file>_v<N+1>.py as version N+1.

    Version N, its harness and its history stay; N+1 runs after it. Edit the
    copy's steps into the change from N to N+1, then build it. This is the
    way to change a migration that is applied somewhere.
    """
    from ..commands.spec import new_version

    created = new_version(name, project)
    click.echo(created.path)
    click.echo(
        f"created {created.key} from {created.copied_from}; next: edit its steps,"
        f" then contractspec build {created.key}",
        err=True,
    )


@spec_group.command("set")
@click.argument("target", metavar="TARGET")
@click.argument(
    "field",
    type=click.Choice(
        ["title", "description", "domain", "stability", "owners", "tags"]
    ),
)
@click.argument("values", nargs=-1, required=True, metavar="VALUE...")
@edit_options
def set_command(
    target: str,
    field: str,
    values: tuple[str, ...],
    project: Path | None,
    diff: bool,
    check: bool,
) -> None:
    """Set a meta field: title, description, domain, stability, owners or tags.

    owners and tags take several values, separated by commas or given as
    separate arguments (`owners team-core,alice` = `owners team-core alice`);
    `tags ""` empties the tags. The other fields take exactly one VALUE.
    """
    from ..commands.spec import split_values
    from ..edit import LIST_FIELDS, SetField
    from ..errors import UsageError

    if field in LIST_FIELDS:
        operation = SetField(field, split_values(values))
    else:
        if len(values) != 1:
            raise UsageError(
                f"{field} takes exactly one value (quote it if it has spaces)"
            )
        operation = SetField(field, values[0])
    run_edit(target, operation, project, diff, check)


@spec_group.command("add-dependency")
@click.argument("target", metavar="TARGET")
@click.argument("reference", metavar="REF")
@edit_options
def add_dependency_command(
    target: str, reference: str, project: Path | None, diff: bool, check: bool
) -> None:
    """Make TARGET depend on REF (a NAME, meaning its highest version, or NAME.vN)."""
    from ..edit import AddDependency

    run_edit(target, AddDependency(reference), project, diff, check)


@spec_group.command("remove-dependency")
@click.argument("target", metavar="TARGET")
@click.argument("reference", metavar="REF")
@edit_options
def remove_dependency_command(
    target: str, reference: str, project: Path | None, diff: bool, check: bool
) -> None:
    """Remove REF from TARGET's dependencies (spelled as it is in the spec)."""
    from ..edit import RemoveDependency

    run_edit(target, RemoveDependency(reference), project, diff, check)


def _expect_option(passes_when: str) -> Callable[[F], F]:
    return click.option(
        "--expect",
        type=click.Choice(EXPECTATIONS),
        default=EXPECT_TRUTHY,
        show_default=True,
        help=f"{passes_when} the first column of its first row is truthy"
        " (truthy), or when its SQL runs without an error (no_error: `SELECT"
        " 1/COUNT(*) ...`, a DO block that RAISEs).",
    )


@spec_group.command("add-step")
@click.argument("target", metavar="TARGET")
@click.option(
    "--kind",
    type=click.Choice(["schema", "data", "validation"]),
    default=None,
    help="The step kind; implied by --sql / --script / --assertion.",
)
@click.option("--sql", default=None, metavar="VALUE", help="A schema step's SQL.")
@click.option(
    "--script",
    default=None,
    metavar="VALUE",
    help="A data step's script: a .sql file, file.py:function, module:function, or inline SQL.",
)
@click.option(
    "--assertion",
    default=None,
    metavar="VALUE",
    help="A validation step's SQL assertion.",
)
@click.option(
    "--instructions",
    default=None,
    metavar="VALUE",
    help="A data step that is a person's work: what to do. A run stops there until"
    " `migrate confirm` (add a post-check that verifies it: spec add-check --post).",
)
@click.option(
    "--confirm-by",
    "confirm_by",
    multiple=True,
    metavar="OWNER",
    help="With --instructions: who may confirm it (repeatable; default: anyone).",
)
@click.option(
    "--sha256",
    default=None,
    metavar="HEX",
    help="With a --script that is an https:// or file:// URL: the sha256 of the"
    " file it points at (sha256sum FILE); the run refuses anything else.",
)
@click.option(
    "--down",
    is_flag=True,
    help="Add to the down plan (created if absent) instead of the up plan.",
)
@click.option(
    "--position",
    type=click.IntRange(min=1),
    default=None,
    help="1-based position of the new step; default: last.",
)
@click.option("--description", default=None, help="What the step does.")
@click.option(
    "--timeout-ms",
    "timeout_ms",
    type=click.IntRange(min=1),
    default=None,
    help="Bound on one attempt, in milliseconds.",
)
@click.option(
    "--retries",
    type=click.IntRange(min=0),
    default=None,
    help="Extra attempts after the first (transient errors only).",
)
@click.option(
    "--no-transaction",
    "no_transaction",
    is_flag=True,
    help="Run the step outside the migration's transaction (CREATE INDEX"
    " CONCURRENTLY, VACUUM): transactional=False.",
)
@_expect_option("A validation step passes when")
@edit_options
def add_step_command(
    target: str,
    kind: str | None,
    sql: str | None,
    script: str | None,
    assertion: str | None,
    instructions: str | None,
    confirm_by: tuple[str, ...],
    sha256: str | None,
    down: bool,
    position: int | None,
    description: str | None,
    timeout_ms: int | None,
    retries: int | None,
    no_transaction: bool,
    expect: str,
    project: Path | None,
    diff: bool,
    check: bool,
) -> None:
    """Add a step to the up (or, with --down, the down) plan.

    Multi-line SQL is written as a triple-quoted string that starts and ends
    on its own line. Adding a step identical to one the plan already has is
    a no-op.

    \b
    A data step that a person does (the run stops there until it is confirmed):
      contractspec spec add-step NAME --instructions @steps.md \\
          --confirm-by team-finance --description "Re-export the ledger"
    """
    from ..edit import AddStep
    from ..errors import UsageError

    given = {
        option: value
        for option, value in (
            ("--sql", sql),
            ("--script", script),
            ("--assertion", assertion),
            ("--instructions", instructions),
        )
        if value is not None
    }
    if len(given) != 1:
        raise UsageError(
            "give exactly one of --sql (schema), --script or --instructions (data),"
            " or --assertion (validation)"
        )
    ((option, value),) = given.items()
    implied = {"--sql": "schema", "--assertion": "validation"}.get(option, "data")
    if confirm_by and instructions is None:
        raise UsageError("--confirm-by goes with --instructions")
    if sha256 is not None and script is None:
        raise UsageError("--sha256 pins a --script that is an https:// or file:// URL")
    if kind is not None and kind != implied:
        option = {"schema": "--sql", "data": "--script", "validation": "--assertion"}[
            kind
        ]
        raise UsageError(f"a {kind} step takes {option}")
    payload = _payload(value)
    assert payload is not None
    operation = AddStep(
        implied,
        payload,
        down,
        position,
        description,
        timeout_ms,
        retries,
        transactional=not no_transaction,
        expect=expect,
        instructions=instructions is not None,
        confirm_by=confirm_by,
        sha256=sha256,
    )
    run_edit(target, operation, project, diff, check)


@spec_group.command("add-check")
@click.argument("target", metavar="TARGET")
@step_options
@click.option(
    "--pre/--post",
    "pre",
    default=None,
    help="Run the check before or after the step's payload.",
)
@click.option(
    "--description", required=True, help="What the check guards (shown when it fails)."
)
@click.option(
    "--expression",
    required=True,
    metavar="VALUE",
    help="SQL whose first column of the first row must be truthy (or, with"
    " --expect no_error, that must run without an error).",
)
@_expect_option("The check passes when")
@edit_options
def add_check_command(
    target: str,
    step: int,
    down: bool,
    pre: bool | None,
    description: str,
    expression: str,
    expect: str,
    project: Path | None,
    diff: bool,
    check: bool,
) -> None:
    """Add a pre- or post-check to a step."""
    from ..edit import AddCheck
    from ..errors import UsageError

    if pre is None:
        raise UsageError("give --pre or --post")
    payload = _payload(expression)
    assert payload is not None
    when = "pre" if pre else "post"
    operation = AddCheck(step, when, description, payload, down, expect=expect)
    run_edit(target, operation, project, diff, check)


@spec_group.command("lint-ignore")
@click.argument("target", metavar="TARGET")
@step_options
@click.option("--rule", required=True, help="The lint rule the step accepts.")
@click.option("--reason", required=True, help="Why: a reviewer reads it in the spec.")
@edit_options
def lint_ignore_command(
    target: str,
    step: int,
    down: bool,
    rule: str,
    reason: str,
    project: Path | None,
    diff: bool,
    check: bool,
) -> None:
    """Let a step accept a lint rule, with the reason (its lint_ignore).

    `contractspec lint` then no longer reports that rule for the step, and
    reports the entry if the step stops breaking the rule.
    """
    from ..edit import AcceptLintRule

    run_edit(target, AcceptLintRule(step, rule, reason, down), project, diff, check)


@spec_group.command("remove-step")
@click.argument("target", metavar="TARGET")
@click.argument("number", type=click.IntRange(min=1), metavar="N")
@click.option("--down", is_flag=True, help="Remove from the down plan.")
@edit_options
def remove_step_command(
    target: str, number: int, down: bool, project: Path | None, diff: bool, check: bool
) -> None:
    """Remove step N (1-based) of the up (or down) plan, with its own comments."""
    from ..edit import RemoveStep

    run_edit(target, RemoveStep(number, down), project, diff, check)
