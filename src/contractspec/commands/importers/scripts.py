"""Another tool's SQL script as spec steps, read by the project dialect's parser.

The script's own BEGIN/COMMIT/ROLLBACK go (each migration already runs in a
transaction of its own). Statements that can't run in a transaction (`CREATE
INDEX CONCURRENTLY`, `VACUUM`, ...: `contractspec.sql` knows which) become
steps with transactional=False, one each, as Flyway and Sqitch run them
outside a transaction; the statements between them stay together in
transactional steps, in the script's order.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from ...errors import UsageError
from ...sql import Dialect, Parsed, parse
from ..create import Step

# Statements that open or close the whole transaction (not savepoints, which
# stay for build to refuse where a person sees them): contractspec owns it.
_WHOLE_TRANSACTION = re.compile(
    r"(BEGIN|START|COMMIT|END|ROLLBACK|ABORT)\b(?!\s+TO\b)", re.IGNORECASE
)


def strip_transaction(sql: str, dialect: Dialect) -> str:
    """The script without its own BEGIN/COMMIT/ROLLBACK statements, found by
    the dialect's parser (a `COMMIT;` inside a string or a function body stays)."""
    kept, last = [], 0
    for statement in parse(sql, dialect).statements:
        if statement.transaction_control and _WHOLE_TRANSACTION.match(statement.text):
            end = statement.end + (sql[statement.end : statement.end + 1] == ";")
            kept.append(sql[last : statement.start])
            last = end
    kept.append(sql[last:])
    return _tidy("".join(kept))


def _tidy(sql: str) -> str:
    return re.sub(r"\n\s*\n(\s*\n)+", "\n\n", sql).strip() + "\n"


@dataclass(frozen=True)
class Part:
    """A run of a script's statements: in the migration's transaction, or
    (outside is the statement's kind, e.g. "CREATE INDEX CONCURRENTLY") not."""

    sql: str
    outside: str | None = None
    line: int = 1  # a statement outside: its line in the script, for notes


def script_steps(
    sql: str,
    dialect: Dialect,
    shown: str,
    label: str,
    notes: list[str],
    *,
    in_transaction: bool = True,
) -> list[Step]:
    """The script as schema steps in order (see the module docstring), with
    what a reviewer should know added to notes.

    in_transaction=False (Flyway's executeInTransaction=false): the whole
    script is one step outside the transaction, as the tool runs it. A script
    the parser can't read is one transactional step (build refuses it where a
    person sees it), unless a statement before the error can't run in a
    transaction: then its parts can't be told apart, and it is refused."""
    parsed = parse(sql, dialect)
    if parsed.error is not None:
        notes.append(_parse_problem(sql, parsed, shown, dialect))
    text = strip_transaction(sql, dialect)
    if not in_transaction:
        parts = [Part(text, "executeInTransaction=false")]
    else:
        parts = _parts(sql, parsed, text, dialect, shown)
    note = _split_note(shown, parts)
    if note:
        notes.append(note)
    return _as_steps(parts, label)


def _parts(
    sql: str, parsed: Parsed, text: str, dialect: Dialect, shown: str
) -> list[Part]:
    outside = [s for s in parsed.statements if s.outside_transaction]
    if parsed.error is not None and outside:
        line, col = _position(sql, parsed.error.offset)
        raise UsageError(
            f"{shown}:{line}:{col}: cannot split this script into steps in and"
            f" outside a transaction ({outside[0].outside_transaction} at line"
            f" {_position(sql, outside[0].start)[0]}): the parser stops here:"
            f" {parsed.error.message}"
        )
    if not outside:
        return [Part(text)]
    # Lines in notes are the script's own: the parts come from the stripped
    # text, whose statements outside a transaction are the script's, in order.
    lines = iter([_position(sql, s.start)[0] for s in outside])
    return [
        replace(part, line=next(lines)) if part.outside else part
        for part in _split(text, parse(text, dialect))
    ]


def _split(text: str, parsed: Parsed) -> list[Part]:
    parts: list[Part] = []
    starts: list[int] = []  # where each part's text begins
    start = 0  # where the next part's text begins: comments before it go with it
    pending_end = None  # the end of the transactional statements not yet in a part

    def add(end: int, outside: str | None) -> None:
        nonlocal start
        parts.append(Part(_tidy(text[start:end]), outside))
        starts.append(start)
        start = end

    for statement in parsed.statements:
        end = statement.end + (text[statement.end : statement.end + 1] == ";")
        if statement.outside_transaction is None:
            pending_end = end
            continue
        if pending_end is not None:
            add(pending_end, None)
            pending_end = None
        add(end, statement.outside_transaction)
    if pending_end is not None:
        add(pending_end, None)
    if text[start:].strip():  # trailing comments stay with the last part
        parts[-1] = replace(parts[-1], sql=_tidy(text[starts[-1] :]))
    return parts


def _position(text: str, offset: int) -> tuple[int, int]:
    before = text[:offset]
    return before.count("\n") + 1, offset - (before.rfind("\n") + 1) + 1


def _parse_problem(sql: str, parsed: Parsed, shown: str, dialect: Dialect) -> str:
    assert parsed.error is not None
    line, col = _position(sql, parsed.error.offset)
    return (
        f"{shown}:{line}:{col}: the {dialect} parser stops here"
        f" ({parsed.error.message}): imported as one step, which build refuses"
        " until it parses"
    )


def _as_steps(parts: list[Part], label: str) -> list[Step]:
    """Schema steps, numbered in their label when there are several."""
    steps = []
    for number, part in enumerate(parts, start=1):
        description = label
        if len(parts) > 1:
            description += f" ({number}/{len(parts)})"
        if part.outside:
            description += ", outside the transaction"
        steps.append(Step("schema", part.sql, description, part.outside is None))
    return steps


def _split_note(shown: str, parts: list[Part]) -> str | None:
    """What a reviewer should know about a script that runs (partly) outside a transaction."""
    outside = [(n, p) for n, p in enumerate(parts, start=1) if p.outside]
    if not outside:
        return None
    if len(parts) == 1:
        return (
            f"{shown}: runs outside a transaction ({parts[0].outside}), as a step"
            " with transactional=False"
        )
    listed = ", ".join(f"step {n} ({p.outside}, line {p.line})" for n, p in outside)
    return (
        f"{shown}: split into {len(parts)} steps in the script's order; outside the"
        f" transaction: {listed}; the steps before such a step commit first"
    )
