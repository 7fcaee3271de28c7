"""`contractspec lint`: every SQL text of every spec parsed, checked, mapped to the spec.

Each SQL text (schema SQL, data SQL inline or in a `.sql` file, assertions,
check expressions) is parsed in the project's dialect (`contractspec.sql`).
contractspec's own rules run on both dialects (`rules.py`); on PostgreSQL,
squawk's rules run too (`squawk.py`), and every live-database finding is
weighed in its context (`context.py`: a table this migration created is not
live). A step accepts a rule with `lint_ignore={"rule": "reason"}`;
`[tool.contractspec] lint_ignore` lists rules the project never wants.
`build` runs BUILD_RULES through `build_findings`: the same parser and
rules, no second opinion. Each migration's risk is computed here too
(`risk.py`), from the same SQL texts and parser.
"""

from __future__ import annotations

import contextlib
from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass, field, replace
from typing import Any

from ..config import Config
from ..errors import Diagnostic, SpecError
from ..loader import LoadedSpec
from ..spec import FieldPath
from ..sql import Parsed, parse
from .context import Candidate, Migration, live_findings
from .findings import ERROR, RULES, SQUAWK_DROPPED, WARNING, Finding, squawk_rule
from .positions import SourceMap
from .risk import Risk
from .rules import BUILD_RULES, spec_findings, sql_findings
from .sources import STATEMENTS, SqlText, sql_texts

__all__ = [
    "ERROR",
    "WARNING",
    "Finding",
    "LintReport",
    "RULES",
    "Reviewed",
    "lint_specs",
]


@dataclass(frozen=True)
class Reviewed:
    """A linted migration as its reviewers see it: whom it asks, how risky it is."""

    key: str
    path: str  # the spec file
    stability: str
    owners: tuple[str, ...]  # as the spec names them
    handles: tuple[str, ...]  # what [tool.contractspec.owners] maps them to
    risk: Risk


@dataclass
class LintReport:
    findings: list[Finding] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # e.g. squawk missing
    specs: int = 0
    reviewed: list[Reviewed] = field(default_factory=list)  # the specs linted

    def count(self, severity: str) -> int:
        return sum(1 for finding in self.findings if finding.severity == severity)

    def failed(self, strict: bool = False) -> bool:
        return any(f.severity == ERROR or strict for f in self.findings)


def _source(loaded: LoadedSpec, config: Config) -> SourceMap:
    return SourceMap(config.root / loaded.path, config.files)


def build_findings(loaded: LoadedSpec, config: Config) -> list[Finding]:
    """What `build` refuses: SQL that does not parse, or fights the runtime's transaction."""
    refused: list[Diagnostic] = []
    texts = list(sql_texts(loaded, config, _source(loaded, config), refused))
    if refused:
        raise SpecError(refused)
    dialect = config.dialect_for((item.path, item.text) for item in texts)
    return [
        finding
        for item in texts
        for finding in sql_findings(item, parse(item.text, dialect))
        if finding.rule in BUILD_RULES
    ]


# A finding and the step it belongs to (None: the migration).
_Found = tuple[Any, Finding]


def lint_specs(
    specs: Iterable[LoadedSpec],
    config: Config,
    *,
    use_squawk: bool = True,
    reported: Collection[str] | None = None,
    squawk_timeout: float | None = None,
) -> LintReport:
    """Lint specs, given in the order they run (dependencies first).

    reported: the keys whose findings are reported (None: all); the other
    specs are read only for what they leave behind (context.py)."""
    report = LintReport()
    found: list[_Found] = []
    places: dict[int, tuple[LoadedSpec, FieldPath]] = {}  # id(step) → its place
    migrations: list[Migration] = []
    refused: list[Diagnostic] = []  # .sql files that may not be read
    protected = _protected_targets(config)
    for loaded in specs:
        mine = reported is None or loaded.key in reported
        source = _source(loaded, config)
        texts = list(sql_texts(loaded, config, source, refused))
        migrations.append(Migration(loaded.key, texts, mine))
        if not mine:
            continue
        report.specs += 1
        for direction in ("up", "down"):
            for index, step in enumerate(getattr(loaded.spec.plan, direction) or []):
                places[id(step)] = (loaded, ("plan", direction, index))
        found += [(step, f) for step, f in spec_findings(loaded, source, protected)]
    if refused:
        raise SpecError(refused)
    reported_texts = [item for m in migrations if m.reported for item in m.texts]
    dialect = config.dialect_for((item.path, item.text) for item in reported_texts)
    parsed: dict[int, Parsed] = {}
    candidates: dict[int, list[Candidate]] = {}
    squawking = use_squawk and dialect == "postgresql"
    with _squawk(reported_texts, report, squawking, squawk_timeout) as squawk:
        squawk_ran = squawk is not None
        # texts that don't parse: squawk's word on them is noise; too deep: said
        broken: set[int] = set()
        deep: set[int] = set()
        for migration in migrations:
            for item in migration.texts:
                if not (migration.reported or item.role == STATEMENTS):
                    continue  # context comes from statements only
                parsed[id(item)] = result = parse(item.text, dialect)
                if migration.reported:
                    found += [(item.step, f) for f in sql_findings(item, result)]
                if result.error is not None:
                    broken.add(id(item))
                elif any(statement.too_deep for statement in result.statements):
                    deep.add(id(item))
        if squawk is not None:  # while squawk ran, we parsed
            for violation in squawk.violations():
                if id(violation.item) in broken or violation.rule in SQUAWK_DROPPED:
                    continue
                rule = squawk_rule(violation.rule, violation.message, violation.hint)
                candidates.setdefault(id(violation.item), []).append(
                    Candidate(violation.offset, rule)
                )
            for item, reason in squawk.unread:
                if id(item) not in broken | deep:
                    found.append((item.step, _unread(item, reason)))
            report.notes += squawk.problems
    found += [(i.step, f) for i, f in live_findings(migrations, parsed, candidates)]
    report.findings = sorted(
        _once_per_migration(_suppressed(found, places, config, squawk_ran), places),
        key=lambda f: (f.path, f.line, f.col, f.rule, f.message),
    )
    return report


def _squawk(
    texts: list[SqlText],
    report: LintReport,
    use_squawk: bool,
    timeout: float | None,
) -> contextlib.AbstractContextManager[Any]:
    """squawk running on the (PostgreSQL) texts, or None (not asked, nothing to
    read, not installed); leaving the context stops it."""
    if not (use_squawk and texts):
        return contextlib.nullcontext(None)
    from .squawk import MISSING, TIMEOUT_S, Squawk, squawk_binary

    binary = squawk_binary()
    if binary is None:
        report.notes.append(MISSING)
        return contextlib.nullcontext(None)
    return Squawk(binary, texts, TIMEOUT_S if timeout is None else timeout)


def _unread(item: SqlText, reason: str) -> Finding:
    rule = RULES["lint-incomplete"]
    return Finding(
        item.path,
        *item.locate(0),
        rule.severity,
        rule.code,
        f"{item.label}: squawk stopped on this SQL ({reason}): its rules were not run on it",
        rule.hint,
    )


def _protected_targets(config: Config) -> tuple[str, ...]:
    """The protected environments the specs are on their way to: --env's when it
    is protected, none when it is not; without --env, every protected one."""
    if config.environment is not None:
        return (config.environment,) if config.protected else ()
    return config.protected_environments


def _suppressed(
    found: list[_Found],
    places: dict[int, tuple[LoadedSpec, FieldPath]],
    config: Config,
    squawk_ran: bool,
) -> Iterator[_Found]:
    """Findings less what the project or a step accepts; then unused acceptances
    (of squawk's rules only when squawk ran: a project linted as SQLite, or
    without squawk, can't tell)."""
    used: set[tuple[int, str]] = set()
    for step, finding in found:
        rule = RULES.get(finding.rule)
        if rule is not None and not rule.suppressible:
            yield step, finding
        elif finding.rule in config.lint_ignore:
            continue
        elif step is not None and finding.rule in _accepted(step):
            used.add((id(step), finding.rule))
        else:
            yield step, finding
    for key, (loaded, where) in places.items():
        step = _step_at(loaded, where)
        for code in _accepted(step):
            if (key, code) in used or (code not in RULES and not squawk_ran):
                continue
            rule = RULES.get(code)
            if rule is not None and not rule.suppressible:
                message = f"{code} can't be accepted: the step fails without the fix"
            else:
                message = f"lint_ignore accepts {code}, but the step does not break it"
            unused = RULES["unused-suppression"]
            line, col = loaded.position((*where, "lint_ignore", code))
            yield step, Finding(
                loaded.path,
                line,
                col,
                unused.severity,
                unused.code,
                message,
                unused.hint,
            )


def _once_per_migration(
    found: Iterable[_Found], places: dict[int, tuple[LoadedSpec, FieldPath]]
) -> Iterator[Finding]:
    """A down plan's findings as one per migration: the first of the most
    severe, naming the others (a down plan runs rarely, in a hurry, and is read
    as a whole). What can't run as written (BUILD_RULES) stays at its place."""
    groups: dict[str, list[Finding]] = {}
    for step, finding in found:
        loaded, where = places.get(id(step), (None, ()))
        if loaded is None or where[1] != "down" or finding.rule in BUILD_RULES:
            yield finding
        else:
            groups.setdefault(loaded.key, []).append(finding)
    for group_findings in groups.values():
        ordered = sorted(
            group_findings,
            key=lambda f: (f.severity != ERROR, f.path, f.line, f.col, f.rule),
        )
        first, others = ordered[0], ordered[1:]
        if others:
            others.sort(key=lambda f: (f.path, f.line, f.col, f.rule))
            more = ", ".join(f"{f.rule} ({f.line}:{f.col})" for f in others)
            first = replace(
                first,
                message=f"{first.message}; the down plan has {len(others)} more: {more}",
            )
        yield first


def _step_at(loaded: LoadedSpec, where: FieldPath) -> Any:
    return getattr(loaded.spec.plan, str(where[1]))[where[2]]  # ("plan", up|down, i)


def _accepted(step: Any) -> dict[str, str]:
    return getattr(step, "lint_ignore", None) or {}
