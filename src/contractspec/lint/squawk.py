"""squawk's PostgreSQL migration rules, run on our statements, findings mapped back.

squawk (`pip install 'contractspec[lint]'`, the `squawk-cli` wheel) runs in
one process per lint over temporary files: one per migration for the SQL of
its transactional steps, checked with `--assume-in-transaction` (they run in
one transaction, so a table created in step 1 is new in step 2), and one per
step outside a transaction. What contractspec already guarantees, or
reports itself, is dropped (DROPPED, TIMEOUTS).
"""

from __future__ import annotations

import bisect
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from .findings import ERROR, WARNING, Finding
from .sources import SqlText, transactional

# Ours instead: syntax errors come from pglast; transaction rules know the step.
DROPPED = {
    "syntax-error",
    "transaction-nesting",
    "ban-uncommitted-transaction",
    "ban-concurrent-index-creation-in-transaction",
}
# A step with timeout_ms gets lock_timeout and statement_timeout from the runtime.
TIMEOUTS = {
    "require-lock-timeout",
    "require-statement-timeout",
    "require-timeout-settings",
}

MISSING = (
    "squawk is not installed: PostgreSQL migration rules were not run;"
    " install them with: pip install 'contractspec[lint]'"
)
# Between two texts in one file: a line of its own, so a trailing `--` comment can't swallow it.
SEPARATOR = "\n;\n"


def squawk_binary() -> str | None:
    """The squawk next to this Python (a venv not on PATH), else on PATH."""
    name = "squawk.exe" if sys.platform == "win32" else "squawk"
    beside = Path(sys.executable).parent / name
    return str(beside) if beside.is_file() else shutil.which("squawk")


@dataclass
class _File:
    """Several SQL texts, one after the other, as squawk reads them."""

    in_transaction: bool
    starts: list[int] = field(default_factory=list)
    items: list[SqlText] = field(default_factory=list)
    text: str = ""

    def add(self, item: SqlText) -> None:
        self.starts.append(len(self.text))
        self.items.append(item)
        self.text += item.text + SEPARATOR

    @cached_property
    def line_starts(self) -> list[int]:
        return [0, *(match.end() for match in re.finditer("\n", self.text))]

    @cached_property
    def ascii(self) -> bool:
        return self.text.isascii()

    def at(self, line: int, column: int) -> tuple[SqlText, int]:
        """The text and character offset in it of squawk's 0-based line and UTF-8 byte column."""
        starts = self.line_starts
        offset = starts[min(line, len(starts) - 1)]
        if self.ascii:  # a byte is a character
            offset += column
        else:
            end = self.text.find("\n", offset)
            text = self.text[offset:] if end < 0 else self.text[offset:end]
            offset += len(text.encode("utf-8")[:column].decode("utf-8", "replace"))
        index = bisect.bisect_right(self.starts, offset) - 1
        item = self.items[index]
        return item, min(offset - self.starts[index], len(item.text))


def _files(items: list[SqlText]) -> list[_File]:
    """One file per migration's transactional texts (per direction), one per text outside."""
    together: dict[tuple[str, str], _File] = {}
    alone: list[_File] = []
    for item in items:
        if transactional(item.step):
            direction = item.label.partition("[")[0]  # up and down: two transactions
            together.setdefault((item.key, direction), _File(True)).add(item)
        else:
            alone.append(_File(False))
            alone[-1].add(item)
    return [*together.values(), *alone]


def _scratch_folder() -> str | None:
    """Memory-backed when there is one: writing a thousand small files to disk costs seconds."""
    shm = "/dev/shm"
    return shm if os.path.isdir(shm) and os.access(shm, os.W_OK) else None


class Squawk:
    """squawk started on the texts in the background; `findings()` waits for it."""

    def __init__(self, binary: str, items: list[SqlText]):
        self.folder = tempfile.TemporaryDirectory(
            prefix="contractspec-lint-", dir=_scratch_folder()
        )
        self.runs: list[tuple[subprocess.Popen[str], dict[str, _File]]] = []
        self.problems: list[str] = []  # squawk failing, for the report's notes
        files = _files(items)
        for in_transaction in (True, False):
            batch = {
                os.path.join(self.folder.name, f"{index}.sql"): file
                for index, file in enumerate(files)
                if file.in_transaction == in_transaction
            }
            if not batch:
                continue
            for name, file in batch.items():
                with open(name, "xb") as out:  # bytes: a text file costs more
                    out.write(file.text.encode("utf-8"))
            command = [binary, "--reporter", "json", *batch]
            if in_transaction:
                command.insert(1, "--assume-in-transaction")
            process = subprocess.Popen(
                command,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                encoding="utf-8",
            )
            self.runs.append((process, batch))

    def findings(self) -> Iterator[tuple[SqlText, Finding]]:
        try:
            for process, batch in self.runs:
                output, errors = process.communicate()
                if process.returncode not in (0, 1):  # 1: it found something
                    last = errors.strip().splitlines()[-1:] or [
                        f"exit {process.returncode}"
                    ]
                    self.problems.append(f"squawk failed: {last[0]}")
                    continue
                for violation in json.loads(output or "[]"):
                    item, offset = batch[violation["file"]].at(
                        violation["line"], violation["column"]
                    )
                    finding = _translate(violation, item, offset)
                    if finding is not None:
                        yield item, finding
        finally:
            self.folder.cleanup()


def _translate(violation: dict[str, Any], item: SqlText, offset: int) -> Finding | None:
    rule = violation["rule_name"]
    if rule in DROPPED or (rule in TIMEOUTS and item.step.timeout_ms):
        return None
    severity = ERROR if violation.get("level", "").lower() == "error" else WARNING
    return Finding(
        item.path,
        *item.locate(offset),
        severity,
        rule,
        f"{item.label}: {violation['message']}",
        violation.get("help") or "",
    )
