"""Exit codes and the runtime's exceptions.

This is contractspec's one exit-code table: `contractspec.errors` imports it.
A harness's entry points repeat one code (3) as a literal, because they
report that this package could not be loaded.
"""

from __future__ import annotations

import signal
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .shapes import Result

EXIT_OK = 0
EXIT_FAILED = 1  # a failed migration, a stale harness, a gate that wants attention
EXIT_USAGE = 2
EXIT_SPEC = 3  # spec or configuration: a bad URL or spec, malformed MIGRATION data
EXIT_PARTIAL = 4  # a rehearsal left out steps that run outside a transaction
EXIT_WAITING = 5  # a run stopped at a step a person must do (instructions)
EXIT_INTERRUPTED = 128 + signal.SIGINT  # 130, as a shell reports Ctrl-C; SIGTERM 143


class MigrationError(Exception):
    """An expected failure; `exit_code`: 1 failed, 2 usage, 3 spec/config;
    `result`: the run's result (status "failed") when the run had started."""

    def __init__(
        self, message: str, exit_code: int = EXIT_FAILED, result: Result | None = None
    ) -> None:
        super().__init__(message)
        self.exit_code, self.result = exit_code, result


class Interrupted(KeyboardInterrupt):
    """SIGINT or SIGTERM as an exception (signals.interruptible): like Ctrl-C,
    it rolls back the current migration and is re-raised once that is
    recorded; `outcome` then says what the run left (rolled back, or partly
    applied)."""

    def __init__(self, signum: int = signal.SIGINT) -> None:
        super().__init__(f"interrupted by {signal_name(signum)}")
        self.signum, self.exit_code = signum, 128 + signum
        self.outcome: str | None = None


def signal_name(signum: int) -> str:
    return signal.Signals(signum).name


def interrupt_code(exc: BaseException) -> int:
    """The exit code of a KeyboardInterrupt: 130 for Ctrl-C, 143 for SIGTERM
    (read by name: another harness folder's copy has its own Interrupted)."""
    code = getattr(exc, "exit_code", EXIT_INTERRUPTED)
    return code if isinstance(code, int) else EXIT_INTERRUPTED


class CheckFailed(Exception):
    """A check that did not pass; cause: the error it raised, if it raised one."""

    def __init__(
        self, phase: str, description: str, reason: str, cause: Exception | None
    ) -> None:
        super().__init__(f"{phase} {description!r} failed: {reason}")
        self.cause = cause


class Restart(Exception):
    """The database dropped the whole transaction: run it again from the top."""

    def __init__(self, delay: float) -> None:
        super().__init__("restart")
        self.delay = delay
