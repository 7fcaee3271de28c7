"""Times as the runtime writes them: UTC, ISO 8601 to the millisecond."""

from __future__ import annotations

import datetime
import time

# The last whole second seen, and it as text: formatting it is most of the cost.
_SECOND: list[int | str] = [-1, ""]


def utcnow() -> str:
    """Now, UTC, ISO 8601 to the millisecond: 2025-01-31T12:00:00.123Z."""
    now = time.time()
    second = int(now)
    if second != _SECOND[0]:
        _SECOND[:] = second, time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second))
    return f"{_SECOND[1]}.{int((now - second) * 1000):03d}Z"


def iso(value: object) -> object:
    """A timestamp the driver returned as our text form; anything else as is."""
    if not isinstance(value, datetime.datetime):
        return value
    value = value.astimezone(datetime.UTC)
    return value.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def ms(seconds: float) -> float:
    """Seconds as milliseconds, to the microsecond."""
    return round(seconds * 1000.0, 3)
