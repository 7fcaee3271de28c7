"""The fleet report (--report FILE), written as the run goes, and the status
histogram.

The report is JSON Lines, one object a line, each written and flushed as it
happens, so that a run killed at any moment leaves a true partial report:
a `run` line first (the command, fleet, shard and how many targets), then
one `target` line per target as it finishes (its outcome), then a `summary`
line, which only a run that finished (or was interrupted and stopped
cleanly) writes. A report without its summary line is a run that was
killed; every target line in it is true. `jq -s` reads it as one array."""

from __future__ import annotations

import json
import threading
from collections import Counter
from typing import IO, Any

from ...errors import ConfigError
from .engine import Outcome

REPORT_FORMAT = 1


class ReportWriter:
    def __init__(self, path: str) -> None:
        try:
            self.file: IO[str] | None = open(
                path, "w", encoding="utf-8"
            )  # noqa: SIM115
        except OSError as exc:
            raise ConfigError(
                f"cannot write the report {path}: {exc.strerror}"
            ) from None
        self.path = path

    def line(self, kind: str, data: dict[str, Any]) -> None:
        if self.file is not None:
            self.file.write(json.dumps({kind: data}, ensure_ascii=False) + "\n")
            self.file.flush()

    def close(self) -> None:
        if self.file is not None:
            self.file.close()
            self.file = None


def histogram(outcomes: list[Outcome]) -> dict[str, Any]:
    """status's summary: targets by the migration they are at (their head),
    and by state."""
    heads = Counter(o.head or "(none)" for o in outcomes if o.state != "unreachable")
    states = Counter(o.state for o in outcomes)
    return {"heads": dict(heads.most_common()), "states": dict(states.most_common())}


class Locked:
    """A lock for text streams shared by the sessions of several workers (the
    audit log): each line is written whole."""

    def __init__(self, stream: IO[str]) -> None:
        self.stream, self.guard = stream, threading.Lock()

    def write(self, text: str) -> int:
        with self.guard:
            return self.stream.write(text)

    def flush(self) -> None:
        with self.guard:
            self.stream.flush()

    def close(self) -> None:
        self.stream.close()


def open_audit(path: str | None) -> Locked | None:
    if path is None:
        return None
    try:
        return Locked(open(path, "a", encoding="utf-8"))  # noqa: SIM115
    except OSError as exc:
        raise ConfigError(f"cannot open audit log {path}: {exc.strerror}") from None
