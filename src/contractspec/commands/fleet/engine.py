"""Running a fleet: workers over its targets, wave after wave, within a
failure budget; a target whose lock another runner holds is retried at the
end of its wave, not waited for in a worker.

Threads, not processes: a target's time is spent in the database (SQLite's
C code and PostgreSQL's server, both outside the GIL), and a worker needs
the project loaded and checked once, which threads share for free
(bench/bench_fleet.py measures both: docs/fleets.md, "Parallel").
With one worker the targets run in the calling thread, with nothing handed
over between threads."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import IO, Any

from ... import runtime
from ...config import Config
from ..migrate.session import pointers
from .targets import Target, Wave

# What a target can end as (a run's): ok, failed, unreachable, locked,
# stopped (at a clean boundary, by a stop), not started; a dry run's pending.
# status's: synced, pending, failed, drifted, locked, unreachable, unknown.
OK_STATES = frozenset({"ok", "synced", "pending"})
LOCKED, NOT_STARTED, STOPPED = "locked", "not started", "stopped"
WAITING = "waiting"  # stopped at a person's work: `migrate confirm` on the target
_STATUS_ONLY = ("head", "drifted", "unknown")


@dataclass
class Outcome:
    """What became of one target, as progress, the report and --json say it."""

    target: str
    state: str
    wave: str = ""
    done: list[str] = field(default_factory=list)  # keys applied/reverted/recorded
    pending: list[str] = field(default_factory=list)  # keys still to run
    error: str | None = None  # redacted
    duration_ms: float = 0.0
    # status: the last migration applied (in dependency order), and what is off
    head: str | None = None
    drifted: list[str] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.state in OK_STATES

    def as_dict(self) -> dict[str, Any]:
        """Every field; status's own (head, drifted, unknown) only when set."""
        return {
            key: value
            for key, value in asdict(self).items()
            if value or key not in _STATUS_ONLY
        }


@dataclass
class Totals:
    """The running total: targets done (of which failed), remaining, and when
    the rest should be done at the rate so far."""

    total: int
    done: int = 0
    failed: int = 0
    started: float = field(default_factory=time.monotonic)

    @property
    def remaining(self) -> int:
        return self.total - self.done

    @property
    def eta_s(self) -> float | None:
        if not self.done:
            return None
        return (time.monotonic() - self.started) / self.done * self.remaining


class Control:
    """What the targets of a run share: whether to stop, how long a lock is
    waited for in this pass, and the sessions open now (to interrupt)."""

    def __init__(
        self,
        lock_timeout: float,
        audit: IO[str] | None,
        config: Config,
        scripts_dirs: Sequence[Path] = (),
    ) -> None:
        self.stopping = threading.Event()
        self.interrupted = False
        self.lock_wait = 0.0  # the first pass waits for no lock
        self.lock_timeout, self.audit = lock_timeout, audit
        # Each statement's lock waits (PostgreSQL): the project's, as migrate's
        self.lock_timeout_ms, self.lock_retries = (
            config.lock_timeout_ms,
            config.lock_retries,
        )
        self.pointers = pointers(config, scripts_dirs)  # shared: a fetch once
        self._open: set[runtime.Session] = set()
        self._guard = threading.Lock()

    def stop(self) -> bool:
        return self.stopping.is_set()

    @contextlib.contextmanager
    def session(self, target: Target) -> Iterator[runtime.Session]:
        """A session on target without the lock (take_lock when there is work)."""
        with runtime.open_session(
            target.url,
            schema=target.schema,
            lock=False,
            lock_timeout=self.lock_timeout,
            audit_log=self.audit,
            lock_timeout_ms=self.lock_timeout_ms,
            lock_retries=self.lock_retries,
        ) as session:
            session.pointers = self.pointers
            with self._guard:
                self._open.add(session)
            try:
                yield session
            finally:
                with self._guard:
                    self._open.discard(session)

    def interrupt(self) -> None:
        """Stop everything: no new target, and the statements running now."""
        self.interrupted = True
        self.stopping.set()
        with self._guard:
            for session in self._open:
                session.db.interrupt()


Work = Callable[[Target, Control], Outcome]
OnOutcome = Callable[[Outcome, Totals], None]
Between = Callable[[Wave, Wave], bool]


class Engine:
    """Runs work on every target of every wave: `parallel` workers, at most
    `budget` failures (None: no limit) before no new target starts; with
    retry_locked, a target found locked is tried again at the end of its wave."""

    def __init__(
        self,
        work: Work,
        control: Control,
        parallel: int,
        budget: int | None,
        total: int,
        on_outcome: OnOutcome,
        on_locked: Callable[[Outcome], None],
        retry_locked: bool = True,
    ) -> None:
        self.work, self.control = work, control
        self.retry_locked = retry_locked
        self.parallel, self.budget = parallel, budget
        self.totals = Totals(total)
        self.on_outcome, self.on_locked = on_outcome, on_locked
        self.outcomes: list[Outcome] = []
        self._output = threading.Lock()

    def run(self, waves: list[Wave], between: Between | None) -> list[Outcome]:
        """between(done, next): between two waves; False stops the run there."""
        for index, wave in enumerate(waves):
            if index and not self.control.stop() and between is not None:
                if not between(waves[index - 1], wave):
                    self.control.stopping.set()
            if self.control.stop():
                self.not_started(wave, wave.targets)
                continue
            self.control.lock_wait = 0.0
            locked = self._pass(wave, wave.targets, final=False)
            if locked:  # the wave's last act: now a worker may wait for them
                self.control.lock_wait = self.control.lock_timeout
                self._pass(wave, locked, final=True)
        return self.outcomes

    def _pass(self, wave: Wave, targets: list[Target], final: bool) -> list[Target]:
        """Every target once; returns those locked by another runner (final:
        none, they end as locked)."""
        queue = iter(targets)
        take = threading.Lock()
        locked: list[Target] = []

        def worker() -> None:
            while not self.control.stop():
                with take:
                    target = next(queue, None)
                if target is None:
                    return
                self._one(wave, target, final, locked)

        try:
            if self.parallel == 1:
                worker()
            else:
                threads = [
                    threading.Thread(target=worker, name=f"contractspec-fleet-{n}")
                    for n in range(min(self.parallel, len(targets)))
                ]
                for thread in threads:
                    thread.start()
                _join(threads, self.control)
        finally:
            with take:
                self.not_started(wave, list(queue))
        return locked

    def _one(
        self, wave: Wave, target: Target, final: bool, locked: list[Target]
    ) -> None:
        t0 = time.monotonic()
        try:
            outcome = self.work(target, self.control)
        except KeyboardInterrupt:  # one worker in the calling thread: rolled back
            self.control.interrupt()
            self._finish(wave, Outcome(target.name, STOPPED, error="interrupted"), t0)
            raise
        if self.control.interrupted and outcome.state in ("failed", STOPPED):
            interrupted = "interrupted" + ("; rolled back" if outcome.error else "")
            outcome.state, outcome.error = STOPPED, interrupted
        if outcome.state == LOCKED and self.retry_locked and not final:
            outcome.wave = wave.name
            with self._output:
                locked.append(target)
                self.on_locked(outcome)
            return
        self._finish(wave, outcome, t0)

    def _finish(self, wave: Wave, outcome: Outcome, t0: float | None) -> None:
        outcome.wave = wave.name
        if t0 is not None:
            outcome.duration_ms = round((time.monotonic() - t0) * 1000, 1)
        with self._output:
            self.outcomes.append(outcome)
            self.totals.done += 1
            if not outcome.ok and outcome.state not in (STOPPED, NOT_STARTED):
                self.totals.failed += 1
                if self.budget is not None and self.totals.failed > self.budget:
                    self.control.stopping.set()
            self.on_outcome(outcome, self.totals)

    def not_started(self, wave: Wave, targets: list[Target]) -> None:
        """Targets that will not start (a stop, or the run interrupted)."""
        for target in targets:
            self._finish(wave, Outcome(target.name, NOT_STARTED), None)


def _join(threads: list[threading.Thread], control: Control) -> None:
    """Wait for the workers; Ctrl-C or SIGTERM meanwhile interrupts what they
    run (each rolls its migration back), waits for them, and goes on."""
    try:
        for thread in threads:
            thread.join()
    except KeyboardInterrupt:
        control.interrupt()
        for thread in threads:
            while thread.is_alive():
                with contextlib.suppress(KeyboardInterrupt):
                    thread.join()
        raise
