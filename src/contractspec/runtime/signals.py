"""SIGINT and SIGTERM: stop the statement that runs, roll back, exit 130/143.

Python runs a signal handler only in the main thread, between two bytecodes,
so a statement inside the driver (sqlite3's C code, libpq's wait) would run
to its end before the handler could raise. Inside interruptible(), the
C-level handler also writes the signal's number to a pipe as the signal
arrives (signal.set_wakeup_fd); a watcher thread wakes on it and interrupts
the statement of every database the main thread has open (sqlite3's
interrupt(), psycopg's cancel), again after a growing pause until the main
thread has taken the signal (an interrupt that lands between two statements
is lost when the next one starts); the handler then raises Interrupted, and
the migration rolls back.

The first signal raises; those that follow while it is handled (the
rollback, the failure events) are dropped, so the clean-up ends and the exit
code is the first signal's. A commit of ours is held (hold): a signal during
it is raised by release() once the commit is recorded, never half way; the
last commit of a run holds to the end of the run, whose work is then done.
"""

from __future__ import annotations

import contextlib
import os
import select
import signal
import sys
import threading
from typing import TYPE_CHECKING

from .exits import Interrupted

if TYPE_CHECKING:
    from collections.abc import Iterator
    from signal import _HANDLER
    from types import FrameType

    from .dialect import Database

SIGNALS = (signal.SIGINT, signal.SIGTERM)
# The watcher interrupts again after these pauses (doubling) while the main
# thread has not taken the signal.
_AGAIN_FIRST_S, _AGAIN_MAX_S = 0.02, 0.5


class _Signals:
    """The process's state: one per copy of the runtime (each harness folder's)."""

    def __init__(self) -> None:
        # Reentrant: the handler may run while the main thread holds it.
        self.lock = threading.RLock()
        self.depth = 0  # interruptible() scopes open in the main thread
        # Our signals, and the handlers to put back.
        self.previous: dict[int, _HANDLER] = {}
        # The wakeup fd to put back, and to pass other signals' bytes on to.
        self.previous_fd: int | None = None
        self.read_fd = self.write_fd = -1  # the pipe (none on Windows)
        self.databases: set[Database] = set()  # the main thread's open databases
        self.pending = False  # one of ours arrived; the main thread has not taken it
        self.taken: int | None = None  # the signal raised, being handled
        self.holding = False  # a commit of ours is under way (or the scope closes)
        self.held: int | None = None  # a signal that came meanwhile

    def enter(self) -> None:
        self.depth += 1  # first: a signal while this installs still leaves()
        if self.depth > 1:
            return
        self.taken = self.held = None
        self.pending = self.holding = False
        if self.read_fd < 0 and sys.platform != "win32":  # there it takes a socket
            self.read_fd, self.write_fd = os.pipe()
            os.set_blocking(self.read_fd, False)
            os.set_blocking(self.write_fd, False)  # as set_wakeup_fd requires
            watcher = threading.Thread(target=self._watch, name="contractspec-signals")
            watcher.daemon = True
            watcher.start()
        if self.read_fd >= 0:
            self.previous_fd = signal.set_wakeup_fd(
                self.write_fd, warn_on_full_buffer=False
            )
        for signum in SIGNALS:
            if signal.getsignal(signum) is not signal.SIG_IGN:  # the parent's choice
                self.previous[signum] = signal.signal(signum, _handler)

    def leave(self) -> None:
        self.depth -= 1
        if self.depth > 0:
            return
        with self.lock:
            self.holding = True  # a signal now is noted, then dropped: the run is over
        while self.previous:
            signum, handler = self.previous.popitem()
            signal.signal(signum, signal.SIG_DFL if handler is None else handler)
        if self.previous_fd is not None:
            signal.set_wakeup_fd(self.previous_fd)
        with self.lock:
            self._drain()
            self.previous_fd = self.taken = self.held = None
            self.pending = self.holding = False

    def _drain(self) -> None:
        """Read the pipe (the lock held): one of our signals makes a signal
        pending; another's byte goes on to the wakeup fd set before ours."""
        while self.read_fd >= 0:
            try:
                data = os.read(self.read_fd, 256)
            except (BlockingIOError, InterruptedError):
                return
            for byte in data:
                if byte in self.previous:
                    self.pending = self.taken is None
                elif self.previous_fd is not None and self.previous_fd >= 0:
                    with contextlib.suppress(OSError):
                        os.write(self.previous_fd, bytes([byte]))
            if not data:
                return

    def _watch(self) -> None:
        pause: float | None = None
        while True:
            select.select([self.read_fd], [], [], pause)
            with self.lock:
                self._drain()
                if not self.pending or self.taken is not None or self.holding:
                    self.pending, pause = False, None
                    continue
                for db in list(self.databases):
                    db.interrupt()
            pause = _AGAIN_FIRST_S if pause is None else min(2 * pause, _AGAIN_MAX_S)

    def handle(self, signum: int) -> None:
        with self.lock:
            self._drain()
            self.pending = False
            if self.taken is not None:
                return  # the first one is being handled: let its clean-up end
            if self.holding:
                self.held = self.held or signum
                return
            self.taken = signum
        raise Interrupted(signum)


_STATE = _Signals()


def _handler(signum: int, frame: FrameType | None) -> None:
    _STATE.handle(signum)


def _main_thread() -> bool:
    return threading.current_thread() is threading.main_thread()


@contextlib.contextmanager
def interruptible() -> Iterator[None]:
    """Inside, SIGINT and SIGTERM (what Kubernetes and systemd send) raise
    Interrupted, once, and interrupt the running statement of every session
    the main thread opened; a signal the process was started with ignored
    stays ignored. Scopes nest. Main thread only (where Python runs signal
    handlers); elsewhere nothing changes."""
    if not _main_thread():
        yield
        return
    try:
        _STATE.enter()  # inside the try: a signal while it installs still restores
        yield
    finally:
        _STATE.leave()


def watch(db: Database) -> None:
    """Interrupt db's statement when a signal arrives (a session of the main thread)."""
    if _main_thread():
        with _STATE.lock:
            _STATE.databases.add(db)


def unwatch(db: Database) -> None:
    with _STATE.lock:
        _STATE.databases.discard(db)


def hold() -> None:
    """A commit of ours begins: a signal waits for release() (the main thread's)."""
    if _main_thread():
        with _STATE.lock:
            _STATE.holding = True


def release() -> None:
    """The commit is recorded: raise Interrupted for a signal that came during it."""
    if not _main_thread():
        return
    with _STATE.lock:
        _STATE.holding = False
        signum, _STATE.held = _STATE.held, None
        if signum is None or _STATE.taken is not None:
            return
        _STATE.taken = signum
    raise Interrupted(signum)
