"""`contractspec lint`: every SQL text of every spec parsed, checked, mapped to the spec.

Each SQL text (schema SQL, data SQL inline or in a `.sql` file, assertions,
check expressions) is parsed in the project's dialect (`contractspec.sql`).
contractspec's own rules run on both dialects (`rules.py`); on PostgreSQL,
squawk's rules run too (`squawk.py`). A step accepts a rule with
`lint_ignore={"rule": "reason"}`; `[tool.contractspec] lint_ignore` lists
rules the project never wants. `build` runs BUILD_RULES through
`build_findings`: the same parser and rules, no second opinion.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from ..config import Config
from ..loader import LoadedSpec
from ..spec import FieldPath
from ..sql import parse
from .findings import ERROR, RULES, WARNING, Finding
from .positions import SourceMap
from .rules import BUILD_RULES, spec_findings, sql_findings
from .sources import SqlText, sql_texts

__all__ = ["ERROR", "WARNING", "Finding", "LintReport", "RULES", "lint_specs"]


@dataclass
class LintReport:
    findings: list[Finding] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # e.g. squawk missing
    specs: int = 0

    def count(self, severity: str) -> int:
        return sum(1 for finding in self.findings if finding.severity == severity)

    def failed(self, strict: bool = False) -> bool:
        return any(f.severity == ERROR or strict for f in self.findings)


def _source(loaded: LoadedSpec, config: Config) -> SourceMap:
    return SourceMap(config.root / loaded.path)


def build_findings(loaded: LoadedSpec, config: Config) -> list[Finding]:
    """What `build` refuses: SQL that does not parse, or fights the runtime's transaction."""
    texts = list(sql_texts(loaded, config, _source(loaded, config)))
    dialect = config.dialect_for((item.path, item.text) for item in texts)
    return [
        finding
        for item in texts
        for finding in sql_findings(item, parse(item.text, dialect))
        if finding.rule in BUILD_RULES
    ]


def lint_specs(
    specs: Iterable[LoadedSpec], config: Config, *, use_squawk: bool = True
) -> LintReport:
    report = LintReport()
    found: list[tuple[Any, Finding]] = []  # (the step it belongs to, or None; finding)
    places: dict[int, tuple[LoadedSpec, FieldPath]] = (
        {}
    )  # id(step) → its place in the spec
    texts: list[SqlText] = []
    protected = _protected_targets(config)
    for loaded in specs:
        report.specs += 1
        source = _source(loaded, config)
        for direction in ("up", "down"):
            for index, step in enumerate(getattr(loaded.spec.plan, direction) or []):
                places[id(step)] = (loaded, ("plan", direction, index))
        texts += sql_texts(loaded, config, source)
        found += spec_findings(loaded, source, protected)
    squawk = _start_squawk(texts, config, report) if use_squawk else None
    broken: set[int] = set()  # texts that don't parse: squawk's word on them is noise
    dialect = config.dialect_for((item.path, item.text) for item in texts)
    for item in texts:  # while squawk runs
        parsed = parse(item.text, dialect)
        found += [(item.step, finding) for finding in sql_findings(item, parsed)]
        if parsed.error is not None:
            broken.add(id(item))
    if squawk is not None:
        found += [(i.step, f) for i, f in squawk.findings() if id(i) not in broken]
        report.notes += squawk.problems
    report.findings = sorted(
        _suppressed(found, places, config),
        key=lambda f: (f.path, f.line, f.col, f.rule, f.message),
    )
    return report


def _protected_targets(config: Config) -> tuple[str, ...]:
    """The protected environments the specs are on their way to: --env's when it
    is protected, none when it is not; without --env, every protected one."""
    if config.environment is not None:
        return (config.environment,) if config.protected else ()
    return config.protected_environments


def _start_squawk(texts: list[SqlText], config: Config, report: LintReport) -> Any:
    """squawk running on the PostgreSQL texts, or None (SQLite, nothing to read, not installed)."""
    if not texts or config.dialect != "postgresql":
        return None
    from .squawk import MISSING, Squawk, squawk_binary

    binary = squawk_binary()
    if binary is None:
        report.notes.append(MISSING)
        return None
    return Squawk(binary, texts)


def _suppressed(
    found: list[tuple[Any, Finding]],
    places: dict[int, tuple[LoadedSpec, FieldPath]],
    config: Config,
) -> Iterator[Finding]:
    """Findings less what the project or a step accepts; then unused acceptances."""
    used: set[tuple[int, str]] = set()
    for step, finding in found:
        rule = RULES.get(finding.rule)
        if rule is not None and not rule.suppressible:
            yield finding
        elif finding.rule in config.lint_ignore:
            continue
        elif step is not None and finding.rule in _accepted(step):
            used.add((id(step), finding.rule))
        else:
            yield finding
    for key, (loaded, where) in places.items():
        step = _step_at(loaded, where)
        for code in _accepted(step):
            if (key, code) in used:
                continue
            rule = RULES.get(code)
            if rule is not None and not rule.suppressible:
                message = f"{code} can't be accepted: the step fails without the fix"
            else:
                message = f"lint_ignore accepts {code}, but the step does not break it"
            unused = RULES["unused-suppression"]
            line, col = loaded.position((*where, "lint_ignore", code))
            yield Finding(
                loaded.path,
                line,
                col,
                unused.severity,
                unused.code,
                message,
                unused.hint,
            )


def _step_at(loaded: LoadedSpec, where: FieldPath) -> Any:
    return getattr(loaded.spec.plan, str(where[1]))[where[2]]  # ("plan", up|down, i)


def _accepted(step: Any) -> dict[str, str]:
    return getattr(step, "lint_ignore", None) or {}
