"""`migrate up/down/baseline/status`: the whole registry, through its
committed harnesses.

What runs is what was reviewed, and what was reviewed is what the spec
generates: before anything runs, each harness is checked against its spec
today (`harnesses`), and the checked data runs through the installed
runtime's session API, one session (one connection, one lock) for a whole
run. By concern:

    harnesses  what may run: the committed harnesses and runtime package, checked
    session    the runtime's session, its errors as ours; the history; drift
    runs       up, down, baseline: the migrations a run takes, run in order
    reverting  which applied migrations `down` reverts, in which order
    status     a row per migration: its state, its harness, its last failure
    confirm    a person's work that a run stopped at is done: checked, recorded
"""

from .confirm import confirm
from .runs import Progress, baseline, down, up
from .session import Notice
from .status import status

__all__ = ["Notice", "Progress", "baseline", "confirm", "down", "status", "up"]
