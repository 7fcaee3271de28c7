"""The data the runtime reads and returns, as TypedDicts: a harness's
MIGRATION with its steps and checks, a run's result, a history row, an
event. docs/architecture.md describes MIGRATION.

They exist for readers and for mypy. At run time a TypedDict is a plain dict
(a harness holds literal data), and creating these classes would be most of
the time this package takes to import, in every run: there, each name is
`dict`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

Row = dict[str, object]  # a row of a query of ours, by column name

if TYPE_CHECKING:
    from typing import Literal, Required, TypedDict

    StepKind = Literal["schema", "data", "validation"]

    class Check(TypedDict, total=False):
        """A pre-check, post-check or validation assertion. It passes when the
        first column of its first row is truthy (expect "truthy", the default),
        or, with expect "no_error", when its SQL runs without an error."""

        description: str | None
        expression: Required[str]
        expect: Literal["truthy", "no_error"]

    class Statement(TypedDict, total=False):
        """One statement of a step outside the transaction, as it is sent, and
        what a rerun needs to know of it (split and read at build time by the
        dialect's own parser): at most one of the other keys."""

        sql: Required[str]
        safe_to_rerun: bool  # it may run again as written
        builds_index: str  # CREATE INDEX CONCURRENTLY: the index's SQL name
        reindexes_index: str  # REINDEX INDEX CONCURRENTLY: the index's SQL name
        reindexes_table: str  # REINDEX TABLE CONCURRENTLY: the table's SQL name

    class Step(TypedDict, total=False):
        """One step of a plan: its payload under the key its kind names (sql,
        script or assertion); an option left at its default is absent."""

        kind: Required[StepKind]
        description: str | None
        sql: str
        script: str
        assertion: str
        expect: Literal["truthy", "no_error"]  # a validation step's, as a Check's
        timeout_ms: int | None
        retries: int
        pre_checks: list[Check]
        post_checks: list[Check]
        transactional: bool
        statements: list[Statement]  # a step outside the transaction's, one by one
        reconcile: list[str]  # run before such a step runs again, one by one
        batch_size: int | None
        pause_ms: int | None
        max_batches: int | None
        script_type: str | None
        script_path: str | None
        script_sha256: str | None
        instructions: str  # a data step that is a person's work, instead of script
        confirm_by: list[str]

    class Waiting(TypedDict):
        """Where a run stopped for a person: the instructions step of a plan."""

        command: str  # the plan: up or down
        step: int  # 1-based
        label: str  # the step as messages name it
        instructions: str
        confirm_by: list[str]

    class Migration(TypedDict, total=False):
        """A harness's MIGRATION; spec_fingerprint is added from its header to
        run it (harness_migration)."""

        key: Required[str]
        name: str
        version: int
        title: str
        description: str | None
        domain: str | None
        owners: list[str]
        tags: list[str]
        stability: str
        spec_path: str
        spec_fingerprint: str
        dependencies: list[str]
        up: Required[list[Step]]
        down: list[Step] | None

    class Result(TypedDict, total=False):
        """What running one migration returns (and a failure carries)."""

        key: Required[str]
        command: str
        status: Required[str]
        duration_ms: float
        steps: int
        attempts: int
        run_id: str
        database: str
        rehearse: bool
        message: str
        error: str
        applied_at: object
        not_rehearsed: list[str]
        plan: str
        waiting: Waiting  # status "waiting" (or a rehearsal that would stop there)
        step: int  # confirm: the step confirmed
        direction: str  # confirm: the plan it is in, up or down
        by: str  # confirm: who did the work

    class HistoryRow(TypedDict):
        """A row of contractspec_history: one applied migration."""

        key: str
        name: str
        version: int
        spec_fingerprint: str
        harness_fingerprint: str
        applied_at: str
        duration_ms: int
        applied_by: str

    class Event(TypedDict):
        """A row of contractspec_events (without its id), in column order."""

        run_id: str
        migration: str
        step: int | None
        attempt: int | None
        event: str
        status: str | None
        error: str | None
        detail: str | None
        started_at: str | None
        at: str
        duration_ms: float | None

    class Timing(TypedDict):
        """When an attempt (or a step, or a run) started, and how long it took."""

        started_at: str
        duration_ms: float

else:
    Check = Statement = Step = Migration = Result = HistoryRow = Event = Timing = dict
    Waiting = dict


def step_label(step: Step) -> str:
    """A step as messages name it: its kind, and its description when it has one."""
    text = step.get("description")
    return f"{step.get('kind')} {text!r}" if text else str(step.get("kind"))


def manual(step: Step) -> bool:
    """Whether a step is a person's work (instructions), not the runtime's."""
    return "instructions" in step


def in_parts(step: Step) -> bool:
    """Whether a step commits on its own (outside the transaction, batched), or
    is a person's work: what comes before it commits first, in each case."""
    return (
        step.get("transactional") is False
        or bool(step.get("batch_size"))
        or manual(step)
    )
