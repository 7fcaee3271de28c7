"""A migration's risk: computed from what it does, never declared.

The rule lives here and nowhere else (docs/review.md says it for people).
Each reason below counts once, however many steps give it, with its points;
the points add up to the level: 0 is low, 1 or 2 medium, 3 or more high.

| reason               | points | when                                                   |
| -------------------- | ------ | ------------------------------------------------------ |
| destructive          | 3      | an up step destroys stored data: DROP TABLE, ALTER     |
|                      |        | TABLE ... DROP COLUMN, TRUNCATE, DELETE without WHERE  |
| irreversible         | 1      | no down plan                                           |
| outside-transaction  | 1      | an up step runs outside the transaction                |
| batched              | 1      | an up data step commits in batches (batch_size)        |
| instructions         | 1      | an up step is a person's work: the run stops there     |
| accepted-lint-error  | 1      | an up step accepts an error-level lint rule            |
|                      |        | (lint_ignore={"rule": "reason"})                       |
| unstable             | 1      | stability below beta: idea, in_creation, experimental  |

Only the up plan's steps count: risk is what applying the migration may do
(the down plan shows as `irreversible` when there is none). Destructive
statements are read by `contractspec.sql`'s parser from the SQL a step runs
(inline or from its `.sql` file); Python data steps are not read. A table the
same up plan created before dropping it (PostgreSQL, where the parser names
what a statement creates) is scratch, not stored data.

`remembered` is `assess` for commands that show every migration's risk on
every run (`migrate status`, `show`, dry runs): each risk is kept in
.contractspec_cache/ (`KnownRisks`, sealed like every cache there) by the
hash of everything assess reads, so only a spec whose inputs changed is
read again.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from ..cachedir import JsonCache, cache_dir
from ..config import RISK_LEVELS, Config
from ..errors import Diagnostic, SpecError
from ..loader import LoadedSpec
from ..spec import STABILITIES
from ..sql import Dialect, Parsed, parse, written_for
from .findings import ERROR, RULES, SQUAWK_RULES
from .positions import SourceMap
from .sources import STATEMENTS, SqlText, sql_texts, transactional

DESTRUCTIVE, IRREVERSIBLE = "destructive", "irreversible"
OUTSIDE_TRANSACTION, BATCHED = "outside-transaction", "batched"
INSTRUCTIONS = "instructions"
ACCEPTED_LINT_ERROR, UNSTABLE = "accepted-lint-error", "unstable"
POINTS = {
    DESTRUCTIVE: 3,
    IRREVERSIBLE: 1,
    OUTSIDE_TRANSACTION: 1,
    BATCHED: 1,
    INSTRUCTIONS: 1,
    ACCEPTED_LINT_ERROR: 1,
    UNSTABLE: 1,
}
# The points from which each level starts (RISK_LEVELS, lowest first).
THRESHOLDS = {"low": 0, "medium": 1, "high": 3}
STABLE_ENOUGH = STABILITIES.index("beta")  # below it: unstable
# The words of every statement that destroys stored data (contractspec.sql)
_MAY_DESTROY = re.compile(r"\b(?:drop|truncate|delete)\b", re.IGNORECASE)


@dataclass(frozen=True)
class RiskReason:
    reason: str  # a key of POINTS
    detail: str  # for people: which steps, doing what
    points: int


@dataclass(frozen=True)
class Risk:
    """A migration's risk level and the reasons that make it."""

    level: str  # low | medium | high
    reasons: tuple[RiskReason, ...] = ()

    def __str__(self) -> str:
        """`high (destructive: ...; irreversible: ...)`, or `low`."""
        if not self.reasons:
            return self.level
        said = "; ".join(f"{r.reason}: {r.detail}" for r in self.reasons)
        return f"{self.level} ({said})"


def level_of(points: int) -> str:
    """The level that points reach."""
    return [level for level in RISK_LEVELS if points >= THRESHOLDS[level]][-1]


def exceeds(level: str, limit: str) -> bool:
    """Whether a risk level is above a limit (max_risk)."""
    return RISK_LEVELS.index(level) > RISK_LEVELS.index(limit)


def assess(specs: Iterable[LoadedSpec], config: Config) -> dict[str, Risk]:
    """Each spec's risk, by key. SQL that names DROP, TRUNCATE or DELETE is
    parsed in the project's dialect (or, where the project declares none,
    the one the text can only be meant for: status and show must not fail
    where lint asks for the dialect); a spec whose SQL names none of them
    destroys nothing, unparsed (`migrate status` assesses every spec). A
    `.sql` file that may not be read is a SpecError at its step."""
    refused: list[Diagnostic] = []
    found: list[tuple[LoadedSpec, list[SqlText]]] = []
    for loaded in specs:
        source = SourceMap(config.root / loaded.path, config.files)
        texts = sql_texts(loaded, config, source, refused)
        ups = [t for t in texts if t.direction == "up" and t.role == STATEMENTS]
        destroying = any(_MAY_DESTROY.search(t.text) for t in ups)
        found.append((loaded, ups if destroying else []))
    if refused:
        raise SpecError(refused)
    return {
        loaded.key: risk_of(
            _reasons(loaded, [(t, parse(t.text, _dialect(t, config))) for t in ups])
        )
        for loaded, ups in found
    }


class KnownRisks(JsonCache):
    """Risks, by the hash of everything `assess` reads of a spec: its
    fingerprint (its canonical data and the sha256 of each `.sql` file it
    runs), its path, the project's root, the declared dialect and the file
    limits. The schema includes the contractspec version (the rule, the lint
    rules' severities and the parser are that version's)."""

    def __init__(self, config: Config):
        from .. import __version__

        path = cache_dir(config.root) / "risks.marshal"
        super().__init__(path, f"contractspec-risks-1 {__version__}")
        # The project's part of every key, once (repr(FileLimits) is not cheap).
        self.project = [str(config.root), config.declared_dialect, repr(config.files)]

    def entry(self, loaded: LoadedSpec, fingerprint: str) -> str:
        inputs = [fingerprint, loaded.path, self.project]
        return self.key(json.dumps(inputs).encode("utf-8"))


def remembered(
    specs: Iterable[LoadedSpec],
    config: Config,
    fingerprints: Mapping[str, str],
    complete: bool,
) -> dict[str, Risk]:
    """`assess`, from KnownRisks where a spec's inputs are unchanged since a
    run remembered its risk. fingerprints: each spec's, with its files (a spec
    without one is assessed, never remembered); complete: these are every
    spec of the project (see JsonCache.save)."""
    specs = list(specs)
    cache = KnownRisks(config)
    entries = {
        loaded.key: cache.entry(loaded, fingerprints[loaded.key])
        for loaded in specs
        if loaded.key in fingerprints
    }
    risks: dict[str, Risk] = {}
    for key, entry in entries.items():
        found = cache.get(entry)
        if found is not None:
            level, reasons = found
            risks[key] = Risk(level, tuple(RiskReason(*r) for r in reasons))
    changed = assess([loaded for loaded in specs if loaded.key not in risks], config)
    for key, risk in changed.items():
        if key in entries:
            kept = [[r.reason, r.detail, r.points] for r in risk.reasons]
            cache.put(entries[key], [risk.level, kept])
    cache.save(complete)
    risks.update(changed)
    return {loaded.key: risks[loaded.key] for loaded in specs}


def _dialect(text: SqlText, config: Config) -> Dialect:
    declared = config.declared_dialect
    if declared is not None:
        return declared
    meant = written_for(text.text)
    return "sqlite" if meant is None else meant[0]


def risk_of(reasons: Iterable[RiskReason]) -> Risk:
    """The level that the reasons' points reach, with the reasons."""
    given = tuple(reasons)
    return Risk(level_of(sum(r.points for r in given)), given)


def _reason(reason: str, detail: str) -> RiskReason:
    return RiskReason(reason, detail, POINTS[reason])


def _steps(numbers: list[int], one: str, many: str) -> str:
    """`up step 2 <one>`, `up steps 2, 3 <many>` (numbered from 1, as the runtime says)."""
    if len(numbers) == 1:
        return f"up step {numbers[0]} {one}"
    return f"up steps {', '.join(map(str, numbers))} {many}"


def _reasons(
    loaded: LoadedSpec, parsed: list[tuple[SqlText, Parsed]]
) -> Iterator[RiskReason]:
    """The reasons a spec gives, in the order of POINTS."""
    spec = loaded.spec
    steps: list[Any] = spec.plan.up
    number = {id(step): index for index, step in enumerate(steps, 1)}
    losses: list[str] = []
    created: set[str] = set()
    for text, result in parsed:
        for statement in result.statements:
            created.update(statement.objects.creates)
            losses += [
                f"up step {number[id(text.step)]}: {loss}"
                for loss in statement.destroys
                if loss.table not in created
            ]
    if losses:
        yield _reason(DESTRUCTIVE, "; ".join(dict.fromkeys(losses)))
    if spec.plan.down is None:
        yield _reason(IRREVERSIBLE, "no down plan")
    apart = [number[id(s)] for s in steps if not transactional(s)]
    if apart:
        detail = _steps(apart, "commits on its own", "commit on their own")
        yield _reason(OUTSIDE_TRANSACTION, detail)
    batched = [number[id(s)] for s in steps if getattr(s, "batch_size", None)]
    if batched:
        yield _reason(
            BATCHED, _steps(batched, "commits in batches", "commit in batches")
        )
    manual = [number[id(s)] for s in steps if getattr(s, "instructions", None)]
    if manual:
        yield _reason(
            INSTRUCTIONS,
            _steps(manual, "is a person's work", "are a person's work"),
        )
    accepted = [
        f"up step {number[id(s)]} accepts {code} ({why})"
        for s in steps
        for code, why in (s.lint_ignore or {}).items()
        if _severity(code) == ERROR
    ]
    if accepted:
        yield _reason(ACCEPTED_LINT_ERROR, "; ".join(accepted))
    if STABILITIES.index(spec.meta.stability) < STABLE_ENOUGH:
        yield _reason(UNSTABLE, f"stability {spec.meta.stability}, below beta")


def _severity(code: str) -> str | None:
    rule = RULES.get(code) or SQUAWK_RULES.get(code)
    return None if rule is None else rule.severity
