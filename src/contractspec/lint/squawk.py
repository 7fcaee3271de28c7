"""squawk's PostgreSQL migration rules, run on our statements, violations mapped back.

squawk (`pip install 'contractspec[lint]'`, the `squawk-cli` wheel) reads
temporary files, one per transaction a migration's steps run in: the steps
that share the migration's transaction together, with
`--assume-in-transaction` (a table created in step 1 is new in step 2, and a
constraint validated in the transaction that added it is a hazard), each step
outside a transaction or batched alone. Which violations are reported, how
severe, in whose words, is `context`'s and `findings`' to say.

squawk never outlives lint: it runs in a process group of its own, within a
deadline, and the group is killed when lint finishes, fails or is
interrupted. A squawk that crashes on one text (it overflows its stack on an
expression of 200,000 terms) is rerun on halves of its files until the text
is found; its other texts keep their findings.
"""

from __future__ import annotations

import bisect
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from types import TracebackType

from ..runtime import signals
from ..sql import sendable
from .sources import STATEMENTS, SqlText, transactional

MISSING = (
    "squawk is not installed: PostgreSQL migration rules were not run;"
    " install them with: pip install 'contractspec[lint]'"
)
# Between two texts in one file: a line of its own, so a trailing `--` comment can't swallow it.
SEPARATOR = "\n;\n"
# squawk reads 1,500 statements in about 40 ms: a minute is far past any real project.
TIMEOUT_S = 60.0


@dataclass(frozen=True)
class Violation:
    """One of squawk's findings, placed in one of our texts."""

    item: SqlText
    offset: int  # character offset in item.text
    rule: str
    message: str
    hint: str


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
    name: str = ""  # where it is written

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
    """One file per transaction of a migration's steps (sources.transaction_groups).

    Texts a driver can't send are left out: they are syntax errors already."""
    files: dict[tuple[str, str, int], _File] = {}
    for item in items:
        if item.role == STATEMENTS and sendable(item.text):
            where = (item.key, item.direction, item.transaction)
            files.setdefault(where, _File(transactional(item.step))).add(item)
    return list(files.values())


def _scratch_folder() -> str | None:
    """Memory-backed when there is one: writing a thousand small files to disk costs seconds."""
    shm = "/dev/shm"
    return shm if os.path.isdir(shm) and os.access(shm, os.W_OK) else None


class Squawk:
    """squawk started on the texts in the background; `violations()` waits for it.

    A context manager: leaving it kills whatever squawk still runs."""

    def __init__(self, binary: str, items: list[SqlText], timeout: float = TIMEOUT_S):
        self.binary, self.timeout = binary, timeout
        self.deadline = time.monotonic() + timeout
        self.folder = tempfile.TemporaryDirectory(
            prefix="contractspec-lint-", dir=_scratch_folder()
        )
        self.running: list[subprocess.Popen[str]] = []
        self.problems: list[str] = []  # squawk failing, for the report's notes
        self.unread: list[tuple[SqlText, str]] = []  # texts squawk stopped on, and why
        files = _files(items)
        try:  # a signal here must not leave a squawk behind either
            for index, file in enumerate(files):
                file.name = os.path.join(self.folder.name, f"{index}.sql")
                with open(file.name, "xb") as out:  # bytes: a text file costs more
                    out.write(file.text.encode("utf-8"))
            batches = [
                batch
                for in_transaction in (True, False)
                if (batch := [f for f in files if f.in_transaction == in_transaction])
            ]
            with signals.interruptible():  # for _start's hold
                self.batches = [(self._start(batch), batch) for batch in batches]
        except BaseException:
            self.__exit__(None, None, None)
            raise

    def __enter__(self) -> Squawk:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        for process in self.running:
            _kill(process)
        self.running.clear()
        self.folder.cleanup()

    def _start(self, batch: list[_File]) -> subprocess.Popen[str]:
        command = [self.binary, "--reporter", "json", *(f.name for f in batch)]
        if batch[0].in_transaction:
            command.insert(1, "--assume-in-transaction")
        # A signal raised inside Popen (after the fork, before the process is
        # in self.running) would leave this squawk behind: held until it is in.
        signals.hold()
        try:
            process = subprocess.Popen(
                command,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                encoding="utf-8",
                errors="replace",
                start_new_session=True,  # its own process group: killed as one
            )
            self.running.append(process)
        finally:
            signals.release()
        return process

    def violations(self) -> Iterator[Violation]:
        for process, batch in self.batches:
            yield from self._read(process, batch)

    def _read(
        self, process: subprocess.Popen[str], batch: list[_File]
    ) -> Iterator[Violation]:
        remaining = self.deadline - time.monotonic()
        try:
            output, errors = process.communicate(timeout=max(remaining, 0.01))
        except subprocess.TimeoutExpired:
            _kill(process)
            texts = sum(len(file.items) for file in batch)
            self.problems.append(
                f"squawk did not finish within {self.timeout:g} s and was stopped:"
                f" its rules were not run on {texts} SQL text{'s' if texts != 1 else ''}"
            )
            return
        finally:
            if process.returncode is not None:
                self.running.remove(process)
        if process.returncode in (0, 1):  # 1: it found something
            yield from self._placed(output, batch)
            return
        reason = (errors.strip().splitlines() or [f"exit {process.returncode}"])[-1]
        if len(batch) == 1 and len(batch[0].items) == 1:
            self.unread.append((batch[0].items[0], reason))
            return
        # Find the text it stops on: halves of the files, then a file's texts one by one.
        if len(batch) > 1:
            halves = [batch[: len(batch) // 2], batch[len(batch) // 2 :]]
        else:
            halves = [[self._alone(item, batch[0])] for item in batch[0].items]
        for half in halves:
            yield from self._read(self._start(half), half)

    def _alone(self, item: SqlText, file: _File) -> _File:
        alone = _File(file.in_transaction)
        alone.add(item)
        alone.name = f"{file.name[:-4]}.{len(self.running)}.{id(item)}.sql"
        with open(alone.name, "xb") as out:
            out.write(alone.text.encode("utf-8"))
        return alone

    def _placed(self, output: str, batch: list[_File]) -> Iterator[Violation]:
        files = {file.name: file for file in batch}
        try:
            violations = json.loads(output or "[]")
        except ValueError:
            self.problems.append("squawk failed: its report is not JSON")
            return
        for violation in violations:
            item, offset = files[violation["file"]].at(
                violation["line"], violation["column"]
            )
            yield Violation(
                item,
                offset,
                violation["rule_name"],
                violation.get("message", ""),
                violation.get("help") or "",
            )


def _kill(process: subprocess.Popen[str]) -> None:
    """End squawk's process group, and reap it."""
    if process.poll() is None:
        if sys.platform == "win32":
            process.kill()
        else:
            try:
                os.killpg(process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
    process.communicate()
