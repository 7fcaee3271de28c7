"""One step inside the migration's transaction: its payload prepared, its
checks, its timeout, and its attempts (a savepoint each, while a retry is
left); the one retry policy of every kind of step."""

from __future__ import annotations

import contextlib
import functools
import hashlib
import importlib
import sys
import time
import types
from pathlib import Path
from typing import TYPE_CHECKING

from .clock import ms, utcnow
from .dialect import LOCK_TIMEOUT, RETRIED, TIMEOUT
from .exits import CheckFailed, MigrationError, Restart
from .loader import NotReadable, read_regular_file
from .shapes import manual, step_label
from .urls import first_line
from .watchdog import Guard, Watchdog

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from .dialect import Connection, Database
    from .events import Run
    from .shapes import Check, Statement, Step, Timing

CHECK_FAILED = "check_failed"
# Where a step's payload is, by kind (a data step's is a script: SQL, or a
# file or function it names).
PAYLOADS = {"schema": "sql", "data": "script", "validation": "assertion"}
_BACKOFF_BASE_S, _BACKOFF_CAP_S = 0.05, 2.0


class Action:
    """A step's payload, ready to run: SQL (kind "sql", or "assert" for an
    assertion), a Python function of the connection (kind "call"), the
    statements of a step outside the transaction, one by one (kind
    "statements": split at build time, the harness's data), or nothing: a
    person's work (kind "manual")."""

    __slots__ = ("kind", "sql", "call", "statements")

    def __init__(
        self,
        kind: str,
        sql: str,
        call: Callable[[Connection], object] | None = None,
        statements: list[Statement] | None = None,
    ) -> None:
        self.kind, self.sql, self.call = kind, sql, call
        self.statements = statements or []


def classify(db: Database, exc: BaseException, timed: bool) -> str:
    """TIMEOUT, TRANSIENT, LOCK_TIMEOUT, CHECK_FAILED or PERMANENT: a failed
    check is retried only when what it raised is worth a retry."""
    if isinstance(exc, CheckFailed):
        kind = classify(db, exc.cause, timed) if exc.cause is not None else None
        return kind if kind in RETRIED else CHECK_FAILED
    return db.classify(exc, timed)


def retries_for(run: Run, step: Step, kind: str | None = None) -> int:
    """The retries a step has after a failure of kind (None: of any kind):
    its own `retries`, and after a lock timeout `lock_retries` more (the
    session's; 0 where no statement's lock wait is bounded)."""
    retries = max(0, int(step.get("retries") or 0))
    if kind in (LOCK_TIMEOUT, None):
        retries += run.session.lock_retries
    return retries


def _failure_reason(kind: str, step: Step, error: BaseException | None) -> str:
    """How a failed attempt is named in events and messages."""
    if kind == TIMEOUT or error is None:
        return f"timed out after {step.get('timeout_ms')} ms"
    return str(error) if kind == CHECK_FAILED else first_line(error)


def _backoff(attempt: int) -> float:
    delay = min(_BACKOFF_CAP_S, _BACKOFF_BASE_S * 2.0 ** (attempt - 1))
    import random  # only a retry waits

    return delay / 2 + random.uniform(0, delay / 2)


def failed_attempt(
    run: Run,
    index: int,
    attempt: int,
    step: Step,
    error: BaseException | None,
    fired: bool,
    timing: Timing,
    *,
    full: bool = False,
    where: str = "",
    note: str = "",
) -> tuple[str, str, float | None]:
    """Record a failed attempt of a step, and the retry when there is one: the
    one retry policy of steps in and outside the transaction and of batches.

    Returns (kind, reason, delay): delay is how long to wait before the next
    attempt, when a timeout or transient error has retries left; None when
    the step has failed (the reason then says if the retries ran out).
    full: the attempt event keeps a permanent error's whole text, not its
    first line; where and note go before and after the retry's detail."""
    if fired or error is None:  # the watchdog stopped it
        kind = TIMEOUT
    else:
        kind = classify(run.session.db, error, bool(step.get("timeout_ms")))
    reason = _failure_reason(kind, step, error)
    stored = str(error).strip() if full and kind == "permanent" else reason
    run.emit("attempt", index, attempt, kind, error=stored, **timing)
    if kind not in RETRIED:
        return kind, reason, None
    retries = retries_for(run, step, kind)
    if attempt > retries:
        reason += f" (attempt {attempt} of {retries + 1}, no retries left"
        if kind == LOCK_TIMEOUT:
            session = run.session
            reason += (
                f": lock_timeout_ms {session.lock_timeout_ms}, lock_retries"
                f" {session.lock_retries} on top of the step's retries"
                f" {retries - session.lock_retries}"
            )
        reason += ")"
        return kind, reason, None
    delay = _backoff(attempt)
    detail = f"{where}attempt {attempt + 1} of {retries + 1} in {ms(delay):.0f} ms"
    run.emit("retry", index, attempt, kind, error=reason, detail=detail + note)
    return kind, reason, delay


def assertion_check(step: Step) -> Check:
    """A validation step's assertion as the check it runs."""
    check: Check = {
        "description": step.get("description") or step["assertion"],
        "expression": step["assertion"],
    }
    if "expect" in step:
        check["expect"] = step["expect"]
    return check


def run_check(run: Run, index: int, attempt: int, phase: str, check: Check) -> None:
    """Run one check: it passes when the first column of its first row is
    truthy, or (expect "no_error") when its SQL runs to the end without an
    error. Raises CheckFailed when it does not."""
    description = check.get("description") or check["expression"]
    started, reason, cause = time.monotonic(), None, None
    try:
        if check.get("expect") == "no_error":
            run.session.db.run_to_end(check["expression"])
        else:
            got, row = run.session.db.run_sql(check["expression"])
            if not got or row is None:
                reason = "returned no row"
            elif not row or not row[0]:
                reason = f"returned {row[0] if row else None!r}"
    except Exception as exc:
        reason, cause = f"raised {first_line(exc)}", exc
    status, duration = "fail" if reason else "pass", ms(time.monotonic() - started)
    detail = f"{phase}: {description}"
    run.emit(
        "check",
        index,
        attempt,
        status,
        error=reason,
        detail=detail,
        duration_ms=duration,
    )
    if reason:
        raise CheckFailed(phase, description, reason, cause)


def _verified_bytes(step: Step, base_dir: Path) -> tuple[Path, bytes]:
    relative = step.get("script_path") or step["script"].rpartition(":")[0]
    path = (base_dir / relative).resolve()
    try:  # a FIFO or /dev/zero put in its place must not hang or exhaust the run
        data = read_regular_file(str(path))
    except NotReadable as exc:
        raise RuntimeError(f"{relative} {exc.strerror}") from None
    pinned = str(step.get("script_sha256") or "").lower().removeprefix("sha256:")
    actual = hashlib.sha256(data).hexdigest()
    if not pinned:
        raise RuntimeError(f"{relative} has no pinned sha256; rebuild the harness")
    if pinned != actual:
        raise RuntimeError(
            f"{relative} changed since the harness was built: sha256 {actual}, "
            f"pinned {pinned}; rebuild the harness (contractspec build)"
        )
    return path, data


def prepare(
    step: Step, base_dir: Path, fetched: Mapping[str, bytes] | None = None
) -> Action:
    """A step's payload, ready to run; referenced files are verified against
    their pinned sha256 first. fetched: pointers' SQL by URL, verified already."""
    if manual(step):
        return Action("manual", "")
    script_type = step.get("script_type")
    if script_type == "sql_file":  # the SQL lives in a pinned file
        sql = _verified_bytes(step, base_dir)[1].decode("utf-8")
    elif script_type == "url":  # a pointer: fetched and verified before the run
        if fetched is None or step["script"] not in fetched:
            raise RuntimeError("its pointer was not fetched")
        sql = fetched[step["script"]].decode("utf-8")
    else:
        sql = str(step.get(PAYLOADS[step["kind"]], ""))
    if "statements" in step:  # outside the transaction: split at build time
        return Action("statements", sql, statements=step["statements"])
    if step["kind"] == "validation":
        return Action("assert", sql)
    if script_type in (None, "inline_sql", "sql_file", "url"):
        return Action("sql", sql)
    script = step["script"]
    name, _, func = script.rpartition(":")
    if script_type == "python_module":
        target = importlib.import_module(name)
    elif script_type == "python_file":
        path, data = _verified_bytes(step, base_dir)  # run exactly these bytes
        module_name = "_contractspec_step_" + hashlib.sha256(data).hexdigest()[:16]
        target = sys.modules[module_name] = types.ModuleType(module_name)
        target.__file__ = str(path)
        exec(compile(data, str(path), "exec"), target.__dict__)
    else:
        raise RuntimeError(f"unknown script_type {script_type!r}")
    function = getattr(target, func, None)
    if not callable(function):
        raise RuntimeError(f"{script}: no function {func!r} in {name}")
    return Action("call", script, function)


def batch_rows(db: Database, action: Action) -> int:
    """One call of a batch: its statement or function; the rows it touched."""
    if action.call is not None:
        db.send_deferred()
        touched = action.call(db.conn)
        if not isinstance(touched, int) or isinstance(touched, bool) or touched < 0:
            raise RuntimeError(
                f"a batched Python step must return the rows it touched, got {touched!r}"
            )
        return touched
    count = db.execute_counted(action.sql)
    if count < 0:
        raise RuntimeError(
            "a batch statement must report a row count (one UPDATE, DELETE or INSERT)"
        )
    return count


def _payload(run: Run, index: int, attempt: int, step: Step, action: Action) -> None:
    db = run.session.db
    if step.get("batch_size"):  # a rehearsal: every batch, in the one transaction
        calls, limit = 1, step.get("max_batches")
        while batch_rows(db, action) and not (limit and calls >= limit):
            calls += 1
    elif action.kind == "sql":
        db.run_sql(action.sql)
    elif action.kind == "assert":
        run_check(run, index, attempt, "assertion", assertion_check(step))
    elif action.call is not None:
        db.send_deferred()  # the step sees the savepoint in place
        action.call(db.conn)
    if not db.in_transaction():
        raise RuntimeError(
            "the step committed or rolled back the migration's transaction (steps "
            "must not); part of the migration may have been committed"
        )


def timed(
    run: Run,
    index: int,
    attempt: int,
    step: Step,
    work: Callable[[], object],
    local: bool = False,
    guard: Guard | None = None,
) -> tuple[Exception | None, bool]:
    """Checks and work() under the step's timeout: the watchdog (or the
    step's guard), and the server's timeouts, for the transaction (local) or
    else for the session and restored after. Returns (error, fired)."""
    db, timeout_ms = run.session.db, step.get("timeout_ms")
    error, fired = None, False
    watchdog: Guard | Watchdog | None = guard.arm() if guard is not None else None
    if guard is None and timeout_ms:
        watchdog = Watchdog(db, timeout_ms / 1000.0)
    try:
        if timeout_ms:
            db.set_timeouts(timeout_ms, local=local)
            if not local:
                db.send_deferred()
        for check in step.get("pre_checks") or ():
            run_check(run, index, attempt, "pre-check", check)
        work()
        for check in step.get("post_checks") or ():
            run_check(run, index, attempt, "post-check", check)
    except Exception as exc:
        error = exc
    finally:
        fired = watchdog.disarm() if watchdog is not None else False
        if fired and not local:
            db.settle_interrupt()
        if timeout_ms and not local:
            with contextlib.suppress(Exception):
                db.set_timeouts(None, local=False)
                db.send_deferred()
    return error, fired


def _rollback_to(db: Database, savepoint: str, fired: bool) -> bool:
    """Undo one attempt. False if it cannot be undone alone: the database had
    already dropped the whole transaction (SQLite does that when a write is
    interrupted), or the savepoint was never made (PostgreSQL rejects a text
    with a syntax error as a whole, the deferred SAVEPOINT in front of it too)."""
    db.deferred.clear()  # not sent, and moot: the attempt is undone
    if not db.in_transaction():
        return False
    if fired:
        db.settle_interrupt()
    for last in (False, True):
        try:
            db.conn.execute(f"ROLLBACK TO SAVEPOINT {savepoint}")
            break
        except Exception as exc:
            if db.savepoint_missing(exc):
                return False
            if last or not db.in_transaction():
                raise
    db.defer(f"RELEASE SAVEPOINT {savepoint}")
    return True


def run_step(
    run: Run, index: int, count: int, step: Step, action: Action, used: dict[int, int]
) -> int:
    """Run one step, attempt after attempt; return how many attempts it took.
    used: attempts spent per step before the transaction restarted."""
    db, label = run.session.db, step_label(step)
    retries, timeout_ms = retries_for(run, step), step.get("timeout_ms")
    run.emit("step_start", index, detail=label)
    step_started, step_t0 = utcnow(), time.monotonic()
    attempt = used.get(index, 0)
    while True:
        attempt += 1
        started, t0 = utcnow(), time.monotonic()
        # A savepoint only where an attempt may be undone alone, to retry it:
        # a failure without retries left rolls back the whole migration anyway.
        savepoint = (
            f"contractspec_step_{index}_{attempt}" if attempt <= retries else None
        )
        if savepoint:
            db.defer(f"SAVEPOINT {savepoint}")
        work = functools.partial(_payload, run, index, attempt, step, action)
        error, fired = timed(run, index, attempt, step, work, local=True)
        timing: Timing = {
            "started_at": started,
            "duration_ms": ms(time.monotonic() - t0),
        }
        if error is None and not fired:
            if savepoint:
                db.defer(f"RELEASE SAVEPOINT {savepoint}")
            if timeout_ms:
                db.set_timeouts(None)
            run.emit("attempt", index, attempt, "ok", **timing)
            run.step_end(index, attempt, label, step_started, step_t0)
            return attempt
        kept = savepoint is not None and _rollback_to(db, savepoint, fired)
        note = "" if kept else "; the database dropped the transaction: restarting it"
        kind, reason, delay = failed_attempt(
            run, index, attempt, step, error, fired, timing, full=True, note=note
        )
        if delay is not None and not kept:
            used[index] = attempt
            raise Restart(delay)
        if delay is not None:
            time.sleep(delay)
            continue
        message = f"{run.command} step {index}/{count} ({label}): {reason}"
        run.emit("failure", index, attempt, kind, error=message)
        raise MigrationError(message) from error
