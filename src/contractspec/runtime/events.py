"""The events of one run of one migration: buffered for contractspec_events,
written to the audit log and the standard logging module at once; and the
result dict the run returns."""

from __future__ import annotations

import functools
import json
import sys
import time
from typing import TYPE_CHECKING

from .clock import ms, utcnow
from .urls import redact_url

if TYPE_CHECKING:
    import logging
    import types

    from .session import Session
    from .shapes import Event, Migration, Result, Waiting

# Every event also goes to the standard logging module, for applications'
# own logs: failures as warnings or errors, runs as info, the rest as debug
# (logging's numbers, as logging is imported only by an application that uses it).
_DEBUG, _INFO, _WARNING, _ERROR = 10, 20, 30, 40
_EVENT_LEVELS = {"run_start": _INFO, "failure": _WARNING, "retry": _WARNING}
_EVENT_LEVELS["run_end"] = _INFO
_CLEAN_RUN = {"run_start", "step_start", "check", "attempt", "step_end", "run_end"}
_REPEATED_BY_END = {"run_start", "step_start", "attempt"}


def _logger() -> logging.Logger | None:
    """The "contractspec" logger, or None while nothing has imported logging:
    then no application can have configured it, and importing logging would
    be the runtime's costliest import, in every run."""
    module = sys.modules.get("logging")
    return None if module is None else _library_logger(module)


@functools.cache
def _library_logger(module: types.ModuleType) -> logging.Logger:
    logger: logging.Logger = module.getLogger("contractspec")
    if not logger.handlers:  # a library's logger: silent until the application says
        logger.addHandler(module.NullHandler())
    return logger


class Run:
    """Events of one migration run: buffered for the table, audited at once.
    `events` holds those not written yet; a migration in parts writes them
    as each part commits, and `committed` lists the steps that did."""

    def __init__(
        self, session: Session, migration: Migration, command: str, rehearse: bool
    ) -> None:
        self.session, self.migration, self.key = session, migration, migration["key"]
        self.command, self.rehearse = command, rehearse
        self.events: list[Event] = []
        self.committed: list[int] = []
        self.resumed: list[int] = []
        self.in_parts = False
        self.waiting: Waiting | None = None  # where the run stopped for a person
        self.started_at, self.t0 = utcnow(), time.monotonic()

    def emit(
        self,
        event: str,
        step: int | None = None,
        attempt: int | None = None,
        status: str | None = None,
        audit: bool = True,
        *,
        error: str | None = None,
        detail: str | None = None,
        started_at: str | None = None,
        duration_ms: float | None = None,
    ) -> Event:
        secrets = self.session.secrets
        if error is not None:  # stored and audited: no password
            error = redact_url(error, secrets)
        if detail is not None:
            detail = redact_url(detail, secrets)
        record: Event = {
            "run_id": self.session.run_id,
            "migration": self.key,
            "step": step,
            "attempt": attempt,
            "event": event,
            "status": status,
            "error": error,
            "detail": detail,
            "started_at": started_at,
            "at": utcnow(),
            "duration_ms": duration_ms,
        }
        self.events.append(record)
        if audit:
            self.audit(record)
        return record

    def audit(self, record: Event) -> None:
        logger = _logger()
        level = _EVENT_LEVELS.get(record["event"], _DEBUG)
        if record["status"] == "failed":
            level = _ERROR
        if logger is not None and logger.isEnabledFor(level):
            where = "" if record["step"] is None else f" step {record['step']}"
            if record["attempt"] is not None:
                where += f" attempt {record['attempt']}"
            text = f"{record['migration']} {record['event']}{where}: {record['status']}"
            text += f" ({record['error']})" if record["error"] else ""
            logger.log(level, "%s", text, extra={"contractspec_event": record})
        if self.session.audit is not None:
            line = dict(record, database=self.session.database)
            self.session.audit.write(json.dumps(line, ensure_ascii=False) + "\n")
            self.session.audit.flush()

    def step_end(
        self, index: int, attempts: int, detail: str, started_at: str, t0: float
    ) -> None:
        """A step that succeeded: its attempts, and its time since t0 (monotonic)."""
        duration = ms(time.monotonic() - t0)
        self.emit(
            "step_end",
            index,
            attempts,
            "ok",
            detail=detail,
            started_at=started_at,
            duration_ms=duration,
        )

    def elapsed_ms(self) -> float:
        return ms(time.monotonic() - self.t0)

    def journal_done(self, index: int) -> None:
        """The step's work commits with this event; which spec it was, for a rerun."""
        fingerprint = self.migration.get("spec_fingerprint")
        self.emit("step_done", index, status="ok", detail=fingerprint)

    def forget_uncommitted(self) -> None:
        """Unwritten step_done events belong to a part that was rolled back."""
        self.events = [e for e in self.events if e["event"] != "step_done"]

    def to_store(self) -> list[Event]:
        """The events to write as the run commits. A clean run (one transaction,
        every step right at its first attempt) keeps only its step_end and
        run_end rows: they carry the start times and attempt counts that its
        run_start, step_start and attempt rows repeat (a run_start with a
        detail, such as who accepted the run's risk, says more: it stays).
        Anything else keeps all."""
        clean = not self.in_parts and all(
            e["event"] in _CLEAN_RUN and e["attempt"] in (None, 1) for e in self.events
        )
        if not clean:
            return self.events
        return [
            e
            for e in self.events
            if e["event"] not in _REPEATED_BY_END
            or (e["event"] == "run_start" and e["detail"] is not None)
        ]


def result(
    run: Run,
    status: str,
    steps: int,
    attempts: int = 0,
    *,
    message: str,
    error: str | None = None,
    applied_at: object = None,
    not_rehearsed: list[str] | None = None,
) -> Result:
    """What running one migration returns (docs/runtime.md, "the result dict")."""
    outcome: Result = {
        "key": run.key,
        "command": run.command,
        "status": status,
        "duration_ms": run.elapsed_ms(),
        "steps": steps,
        "attempts": attempts,
        "run_id": run.session.run_id,
        "database": run.session.database,
        "rehearse": run.rehearse,
    }
    if applied_at is not None:
        outcome["applied_at"] = applied_at
    if error is not None:
        outcome["error"] = error
    outcome["message"] = message
    if not_rehearsed:
        outcome["not_rehearsed"] = not_rehearsed
    return outcome
