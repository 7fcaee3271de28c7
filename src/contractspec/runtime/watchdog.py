"""Timeouts the database cannot keep by itself: a thread that interrupts
(SQLite) or cancels (PostgreSQL) the connection's work at a step's deadline.
On PostgreSQL the server's own statement_timeout fires first; the watchdog
(a little later) also stops a Python step that is not waiting on a query."""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .dialect import Database


class Watchdog:
    """One deadline: interrupts the connection's work once it passes; nothing
    is sent once disarm() has returned."""

    def __init__(self, db: Database, seconds: float) -> None:
        self.db = db
        self.lock, self.armed, self.fired = threading.Lock(), True, False
        self.timer = threading.Timer(seconds + db.timeout_slack, self._fire)
        self.timer.daemon = True
        self.timer.start()

    def _fire(self) -> None:
        with self.lock:
            if self.armed:
                self.fired = True
                self.db.interrupt()

    def disarm(self) -> bool:
        """Stop watching; whether the deadline had passed (and interrupted)."""
        with self.lock:
            self.armed = False
        self.timer.cancel()
        return self.fired


class Guard:
    """A watchdog for the many short attempts of one step (its batches): one
    thread, armed per attempt (a thread per batch cost more than a batch)."""

    def __init__(self, db: Database, seconds: float) -> None:
        self.db, self.seconds = db, seconds + db.timeout_slack
        self.cond = threading.Condition()
        self.deadline: float | None = None
        self.fired = self.closed = False
        threading.Thread(target=self._watch, daemon=True).start()

    def arm(self) -> Guard:
        with self.cond:
            self.deadline, self.fired = time.monotonic() + self.seconds, False
            self.cond.notify()
        return self

    def disarm(self) -> bool:
        with self.cond:
            self.deadline = None
            return self.fired

    def close(self) -> None:
        with self.cond:
            self.closed = True
            self.cond.notify()

    def _watch(self) -> None:
        with self.cond:
            while not self.closed:
                left = (
                    None if self.deadline is None else self.deadline - time.monotonic()
                )
                if left is None or left > 0:
                    self.cond.wait(left)
                    continue
                self.deadline, self.fired = None, True
                self.db.interrupt()
