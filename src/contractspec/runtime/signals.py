"""SIGINT and SIGTERM: stop the statement that runs, roll back, exit 130/143.

Python runs a signal handler only in the main thread, between two bytecodes,
so a statement inside the driver (sqlite3's C code, libpq's wait) would run
to its end before the handler could raise. Inside interruptible(), the
C-level handler also writes the signal's number to a pipe as the signal
arrives (signal.set_wakeup_fd); a watcher thread wakes on it and interrupts
the statement of every database the main thread has open (sqlite3's
interrupt(), psycopg's cancel), again after a growing pause until the main
thread has run the handler (an interrupt that lands between two statements
is lost when the next one starts); the handler raises Interrupted, and the
migration rolls back.

The first signal raises; those that follow while it is handled (the
rollback, the failure events) are dropped, so the clean-up ends and the exit
code is the first signal's. A handler may run inside a finalizer (a __del__,
a weakref callback), where Python drops the exception it raises: our
sys.unraisablehook then stays silent, and the watcher sends the signal to
the main thread again until its handler raises elsewhere. A commit of
ours is held (hold): a signal during it is raised by release() once the
commit is recorded, never half way; the last commit of a run holds to the
end of the run, whose work is then done.
"""

from __future__ import annotations

import _thread
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
# The watcher interrupts the databases again after these pauses (doubling)
# while the main thread has not run the handler.
_AGAIN_FIRST_S, _AGAIN_MAX_S = 0.02, 0.5
_WAKE = 0  # a byte in the pipe that only wakes the watcher (no signal is 0)


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
        self.previous_hook = sys.unraisablehook
        self.read_fd = self.write_fd = -1  # the pipe (none on Windows)
        self.databases: set[Database] = set()  # the main thread's open databases
        self._reset()

    def _reset(self) -> None:
        self.pending = False  # one of ours arrived; the handler has not run
        self.resend: int | None = None  # a signal whose Interrupted was dropped
        self.in_hook = False  # the unraisable hook runs: raising there is dropped
        self.taken: int | None = None  # the signal raised, being handled
        self.holding = False  # a commit of ours is under way (or the scope closes)
        self.held: int | None = None  # a signal that came meanwhile

    def enter(self) -> None:
        self.depth += 1  # first: a signal while this installs still leaves()
        if self.depth > 1:
            return
        self._reset()
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
        self.previous_hook, sys.unraisablehook = sys.unraisablehook, _unraisable
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
        if sys.unraisablehook is _unraisable:
            sys.unraisablehook = self.previous_hook
        with self.lock:
            self._drain()
            self.previous_fd = None
            self._reset()

    def _drain(self) -> None:
        """Read the pipe (the lock held): one of our signals makes a signal
        pending; another's byte goes on to the wakeup fd set before ours."""
        while self.read_fd >= 0:
            try:
                data = os.read(self.read_fd, 256)
            except (BlockingIOError, InterruptedError):
                return
            for byte in data:
                if byte == _WAKE:
                    continue
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
                if self.resend is not None:  # to run the handler again, elsewhere
                    main = threading.main_thread().ident
                    signal.pthread_kill(main or 0, self.resend)
            pause = _AGAIN_FIRST_S if pause is None else min(2 * pause, _AGAIN_MAX_S)

    def handle(self, signum: int) -> None:
        with self.lock:
            self._drain()
            if self.taken is not None:
                return  # the first one is being handled: let its clean-up end
            if self.holding:
                self.held = self.held or signum
                return
            if self.in_hook:  # it would be dropped too: the watcher sends it again
                self.resend = self.resend or signum
                self._wake()
                return
            self.pending, self.resend, self.taken = False, None, signum
        raise Interrupted(signum)

    def dropped(self, signum: int) -> None:
        """Our Interrupted was raised where Python drops exceptions (the lock
        free): the watcher sends the signal again once this hook is over."""
        with self.lock:
            if self.depth == 0 or self.taken != signum:
                return
            self.taken, self.resend = None, signum
            self._wake()
        if self.read_fd < 0:  # no watcher (Windows): once, from here
            _thread.interrupt_main(signal.Signals(signum))

    def _wake(self) -> None:
        """Have the watcher act (the lock held)."""
        self.pending = True
        if self.write_fd >= 0:
            with contextlib.suppress(OSError):
                os.write(self.write_fd, bytes([_WAKE]))


_STATE = _Signals()


def _handler(signum: int, frame: FrameType | None) -> None:
    _STATE.handle(signum)


def _unraisable(unraisable: sys.UnraisableHookArgs) -> None:
    """An Interrupted raised in a finalizer is no error to print: sent again."""
    _STATE.in_hook = True
    try:
        if isinstance(unraisable.exc_value, Interrupted):
            _STATE.dropped(unraisable.exc_value.signum)
        else:
            _STATE.previous_hook(unraisable)
    finally:
        _STATE.in_hook = False


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


def start() -> None:
    """A migration starts: an interrupt handled before is over, and a signal
    held since the last commit is raised now."""
    if _main_thread():
        with _STATE.lock:
            _STATE.taken = None
        release()


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
