"""Which live-database findings stand: the context each statement runs in.

A finding of a live-database rule (squawk's, and `table-rewrite`) is about
a table that is in use while the migration runs. lint walks the migrations
in the order they run (dependencies first), each one's up plan then its down
plan, statement by statement, and knows at each statement:

- which relations are new: created earlier in the same migration and plan
  (or renamed from one that was). Nothing reads or writes them yet, so
  locking, rewriting or renaming them is no hazard. Every other table is
  live: an earlier migration created it, or nothing in the project did (an
  imported or legacy table);
- what the up plan created, for its down plan: a down statement that only
  drops what its own up created (a table, column, index, view, constraint),
  or only touches relations its up created, undoes the migration: no finding;
- which `CHECK (col IS NOT NULL)` constraints are valid, here or in a
  migration that ran before: `SET NOT NULL` then skips its scan (PostgreSQL
  12+), and dropping the check once the column is NOT NULL loses nothing.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from ..sql import Objects, Parsed, Part, Relation, Statement
from .findings import RULES, Finding, Rule
from .sources import STATEMENTS, SqlText

# squawk reports a foreign key, UNIQUE or PRIMARY KEY added without NOT VALID
# twice: under its own rule and as constraint-missing-not-valid. One is enough.
_MORE_PRECISE = {
    "adding-foreign-key-constraint",
    "disallowed-unique-constraint",
    "adding-serial-primary-key-field",
}
_VALIDATED_WHERE_ADDED = (
    "VALIDATE CONSTRAINT in the transaction that added the constraint: the ADD's"
    " ACCESS EXCLUSIVE lock on {table} is held through the whole scan"
)


@dataclass(frozen=True)
class Candidate:
    """A finding a live-database rule makes, before its context is weighed."""

    offset: int  # character offset in its text
    rule: Rule
    what: str = ""  # for table-rewrite: what rewrites


@dataclass(frozen=True)
class Migration:
    key: str
    texts: list[SqlText]  # in plan order
    reported: bool  # False: read for context only (a dependency not being linted)


@dataclass
class _NotNullChecks:
    """CHECK (col IS NOT NULL) constraints and NOT NULL columns, as migrations run."""

    checks: dict[tuple[Relation, str], tuple[str, bool]] = field(default_factory=dict)
    not_null: set[tuple[Relation, str]] = field(default_factory=set)

    def proves(self, table: Relation, column: str) -> bool:
        return any(
            relation == table and (column, True) == proof
            for (relation, _), proof in self.checks.items()
        )

    def redundant(self, part: Part) -> bool:
        """A dropped constraint that was a NOT NULL check on a column now NOT NULL."""
        table, kind, name = part
        check = self.checks.get((table, name))
        if kind != "constraint" or check is None:
            return False
        return (table, check[0]) in self.not_null

    def apply(self, objects: Objects) -> None:
        for table, name, column, valid in objects.not_null_checks:
            self.checks[(table, name)] = (column, valid)
        for table, name in objects.validates:
            if (table, name) in self.checks:
                self.checks[(table, name)] = (self.checks[(table, name)][0], True)
        for table, kind, name in objects.adds:
            if kind == "not null":
                self.not_null.add((table, name))
        for table, kind, name in objects.removes:
            if kind == "constraint":
                self.checks.pop((table, name), None)
            elif kind in ("not null", "column"):
                self.not_null.discard((table, name))


@dataclass
class _Plan:
    """What one migration's plan has done so far (and, for its down plan, its up)."""

    direction: str
    new: set[Relation] = field(default_factory=set)
    added: set[Part] = field(default_factory=set)
    up: _Plan | None = None

    def mine(self, relation: Relation) -> bool:
        """Created earlier in this plan, or (down) by the up plan it undoes."""
        return relation in self.new or (self.up is not None and relation in self.up.new)

    def undoes(self, objects: Objects) -> bool:
        """A down statement that only drops what its up created."""
        up = self.up
        if up is None or not objects.only_drops:
            return False
        return all(r in up.new for r in objects.drops) and all(
            part in up.added or part[0] in up.new for part in objects.removes
        )

    def apply(self, objects: Objects) -> None:
        self.new.update(objects.creates)
        self.new.update(new for old, new in objects.renames if old in self.new)
        self.added.update(objects.adds)


def live_findings(
    migrations: Iterable[Migration],
    parsed: dict[int, Parsed],
    candidates: dict[int, list[Candidate]],
) -> Iterator[tuple[SqlText, Finding]]:
    """The findings of live-database rules that stand, for the reported migrations.

    parsed and candidates are keyed by id() of the text; the table-rewrite
    candidates come from the parsed statements here."""
    checks = _NotNullChecks()
    for migration in migrations:
        up = _Plan("up")
        for plan in (up, _Plan("down", up=up)):
            for item in migration.texts:
                if item.direction != plan.direction or item.role != STATEMENTS:
                    continue
                statements = parsed[id(item)].statements
                waiting = candidates.get(id(item), []) if migration.reported else []
                by_statement = _by_statement(waiting, statements)
                for index, statement in enumerate(statements):
                    if migration.reported:
                        found = by_statement.get(index, [])
                        if statement.rewrite is not None:
                            what, offset = statement.rewrite
                            found.append(
                                Candidate(offset, RULES["table-rewrite"], what)
                            )
                        for candidate in _most_precise(found):
                            if _stands(candidate.rule, statement.objects, plan, checks):
                                yield item, _finding(item, statement, candidate)
                    plan.apply(statement.objects)
                    if plan.up is None:  # the database as migrations leave it: up plans
                        checks.apply(statement.objects)


def _by_statement(
    candidates: list[Candidate], statements: list[Statement]
) -> dict[int, list[Candidate]]:
    """The candidates of each statement (the first also takes what comes before it)."""
    starts = [statement.start for statement in statements]
    grouped: dict[int, list[Candidate]] = {}
    for candidate in candidates:
        index = max(bisect.bisect_right(starts, candidate.offset) - 1, 0)
        grouped.setdefault(index, []).append(candidate)
    return grouped


def _most_precise(candidates: list[Candidate]) -> list[Candidate]:
    """Each constraint reported once: a precise rule hides the generic one just before it."""
    if len(candidates) < 2:
        return candidates
    generic = sorted(
        (c for c in candidates if c.rule.code == "constraint-missing-not-valid"),
        key=lambda c: c.offset,
    )
    hidden: set[int] = set()
    for precise in sorted(candidates, key=lambda c: c.offset):
        if precise.rule.code in _MORE_PRECISE:
            before = [
                g for g in generic if g.offset <= precise.offset and id(g) not in hidden
            ]
            if before:
                hidden.add(id(before[-1]))
    return [c for c in candidates if id(c) not in hidden]


def _stands(rule: Rule, objects: Objects, plan: _Plan, checks: _NotNullChecks) -> bool:
    if not rule.live:
        return True
    if objects.changes and all(plan.mine(r) for r in objects.changes):
        return False  # only on relations this migration made: nothing uses them yet
    if plan.undoes(objects):
        return False
    made_not_null = [(t, name) for t, kind, name in objects.adds if kind == "not null"]
    if rule.code == "adding-not-nullable-field" and made_not_null:
        return not all(checks.proves(*column) for column in made_not_null)
    if rule.code == "ban-alter-domain-with-add-constraint":
        return not objects.not_valid  # squawk bans even the safe form
    if rule.code == "ban-drop-constraint" and objects.removes:
        return not all(checks.redundant(part) for part in objects.removes)
    return True


def _finding(item: SqlText, statement: Statement, candidate: Candidate) -> Finding:
    rule, objects = candidate.rule, statement.objects
    template = rule.summary
    if rule.code == "constraint-missing-not-valid" and objects.validates:
        template = _VALIDATED_WHERE_ADDED
    table = objects.changes[0] if objects.changes else "the table"
    message = template.format(table=table, what=candidate.what)
    return Finding(
        item.path,
        *item.locate(candidate.offset),
        rule.severity,
        rule.code,
        f"{item.label}: {message}",
        rule.hint,
    )
