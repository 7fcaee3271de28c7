"""contractspec's own rules: over each parsed SQL text, and over the spec itself."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ..loader import LoadedSpec
from ..spec import PLACEHOLDER_MARKER, FieldPath
from ..sql import Parsed
from .findings import RULES, Finding
from .positions import SourceMap
from .sources import QUERY, SCRIPT_CHECK, SqlText, transactional

# What `build` refuses too: SQL that can't run as written, whatever a reviewer says.
BUILD_RULES = ("syntax-error", "transaction-control", "non-transactional-statement")


def _finding(path: str, line: int, col: int, code: str, message: str) -> Finding:
    rule = RULES[code]
    return Finding(path, line, col, rule.severity, code, message, rule.hint)


def sql_findings(item: SqlText, parsed: Parsed) -> Iterator[Finding]:
    def at(offset: int, code: str, message: str) -> Finding:
        return _finding(
            item.path, *item.locate(offset), code, f"{item.label}: {message}"
        )

    if parsed.error is not None:
        yield at(parsed.error.offset, "syntax-error", parsed.error.message)
    for statement in parsed.statements:
        if statement.too_deep:
            yield at(
                statement.start,
                "lint-incomplete",
                "this statement nests deeper than lint can read: its rules were not run on it",
            )
        if statement.transaction_control:
            keyword = statement.text.split(None, 1)[0].rstrip(";").upper()
            yield at(
                statement.start,
                "transaction-control",
                f"{keyword} inside a step: the runtime owns the transaction",
            )
        if statement.outside_transaction and transactional(item.step):
            yield at(
                statement.start,
                "non-transactional-statement",
                f"{statement.outside_transaction} does not work inside a transaction,"
                " and this step runs in the migration's transaction",
            )
    if item.role == QUERY and parsed.error is None:
        statements = parsed.statements
        if len(statements) != 1:
            offset = statements[1].start if len(statements) > 1 else 0
            yield at(
                offset,
                "query-not-read-only",
                f"a check holds {len(statements)} statements, not one query",
            )
        elif not (statements[0].read_only or statements[0].too_deep):
            yield at(
                statements[0].start,
                "query-not-read-only",
                "a check or assertion must only read: this statement can write",
            )
    if item.role == SCRIPT_CHECK and parsed.error is None:
        for statement in parsed.statements:
            # A DO block is how PL/pgSQL asserts (RAISE): it may stay.
            if not (
                statement.read_only
                or statement.too_deep
                or _is_do_block(statement.text)
            ):
                yield at(
                    statement.start,
                    "query-not-read-only",
                    "a check must only read: this statement can write",
                )
    marker = item.text.find(PLACEHOLDER_MARKER)
    if marker >= 0:
        yield at(marker, "scaffold-placeholder", "the scaffold's placeholder SQL")


def _is_do_block(text: str) -> bool:
    return text[:2].upper() == "DO" and text[2:3].isspace()


def spec_findings(
    loaded: LoadedSpec, source: SourceMap, protected: tuple[str, ...] = ()
) -> Iterator[tuple[Any, Finding]]:
    """Findings about the spec, each with the step it is about (None: the migration).

    protected: the protected environments the spec is on its way to."""

    def at(where: FieldPath, code: str, message: str) -> Finding:
        return _finding(loaded.path, *loaded.position(where), code, message)

    plan = loaded.spec.plan
    for direction in ("up", "down"):
        for index, step in enumerate(getattr(plan, direction) or []):
            manual = step.payload_field == "instructions"
            if step.kind == "data" and not step.post_checks:
                yield step, at(
                    ("plan", direction, index),
                    (
                        "instructions-without-post-check"
                        if manual
                        else "data-step-without-post-check"
                    ),
                    f"{direction}[{index}]: "
                    + ("a person's work" if manual else "data step")
                    + " without a post-check",
                )
    undo = [step for step in plan.down or [] if step.payload_field == "instructions"]
    for index, step in enumerate(plan.up):
        if step.payload_field == "instructions" and plan.down is not None and not undo:
            yield step, at(
                ("plan", "up", index),
                "manual-step-not-undone",
                f"up[{index}] is a person's work, and the down plan has no instructions"
                " to undo it",
            )
    if plan.down is None:
        where = ("plan", "down")
        line = loaded.positions.get(where, (0, 0))[0]
        if not (line and source.commented(line)):
            yield None, at(
                where,
                "irreversible-without-reason",
                f"{loaded.key} has no down plan and no comment saying why",
            )
    if loaded.spec.meta.stability == "in_creation" and protected:
        environments = "environment" + ("s" if len(protected) > 1 else "")
        yield None, at(
            ("meta", "stability"),
            "in-creation",
            f"{loaded.key} is still in_creation, on its way to protected"
            f" {environments} {', '.join(protected)}",
        )
