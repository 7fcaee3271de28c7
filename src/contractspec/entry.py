"""The `contractspec` process: SIGINT and SIGTERM handled from its first line
to its last, then the command line (`cli`).

This module is the console script's target and `python -m contractspec`'s,
and the package imports nothing when it starts (its exports load on first
use), so the handlers are in place within a millisecond of the interpreter
running our code: before the command line and the runtime load, a signal
exits 130/143 at once (nothing has begun); while a command runs, the
runtime's interruptible() turns it into Interrupted, which stops the running
statement and rolls back; once the exit code is decided, both signals are
ignored to the end, so none turns it into a traceback or a death by signal.
"""

from __future__ import annotations

import gc
import os
import signal
import sys

TYPE_CHECKING = False  # not typing's: importing typing costs more than the rest
if TYPE_CHECKING:
    from types import FrameType
    from typing import NoReturn


def _stop(signum: int, frame: FrameType | None) -> None:
    """Nothing has begun, or all is decided: exit at once. (Raising instead
    could land in a finalizer, where Python prints the exception and drops it.)"""
    try:
        sys.stdout.flush()  # what the command printed; a write under way may refuse
    finally:
        os._exit(128 + signum)


def main() -> NoReturn:
    """Run the command line in this process, and exit with its code."""
    ours = [
        signum
        for signum in (signal.SIGINT, signal.SIGTERM)
        if signal.getsignal(signum) is not signal.SIG_IGN  # the parent's choice
    ]
    for signum in ours:
        signal.signal(signum, _stop)
    # Importing makes tens of thousands of objects that live as long as the
    # process: no collection while they are made, then none ever walks them
    # again (gc.freeze); garbage the command makes is collected as usual.
    gc.disable()
    from . import runtime
    from .cli import root

    gc.freeze()
    gc.enable()

    try:
        with runtime.interruptible():
            code = root.main(prog_name="contractspec", standalone_mode=False)
    except KeyboardInterrupt as exc:  # raised where the command could not report it
        code = runtime.interrupt_code(exc)
    for signum in ours:  # the outcome is decided: no signal changes it now
        signal.signal(signum, signal.SIG_IGN)
    sys.exit(code)
