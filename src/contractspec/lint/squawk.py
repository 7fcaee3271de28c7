"""squawk's PostgreSQL migration rules, run on our statements, findings mapped back.

squawk (`pip install 'contractspec[lint]'`, the `squawk-cli` wheel) runs once
per lint over temporary files, one per SQL text: once with
`--assume-in-transaction` for the texts of transactional steps (that is how
the runtime runs them), once without for the others. What contractspec
already guarantees, or reports itself, is dropped (see DROPPED, TIMEOUTS).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

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


def squawk_binary() -> str | None:
    """The squawk next to this Python (a venv not on PATH), else on PATH."""
    beside = Path(sys.executable).parent / (
        "squawk.exe" if sys.platform == "win32" else "squawk"
    )
    return str(beside) if beside.is_file() else shutil.which("squawk")


def run_squawk(binary: str, items: list[SqlText]) -> Iterator[tuple[SqlText, Finding]]:
    with tempfile.TemporaryDirectory(prefix="contractspec-lint-") as folder:
        for in_transaction in (True, False):
            batch = {
                str(Path(folder) / f"{index}.sql"): item
                for index, item in enumerate(items)
                if transactional(item.step) == in_transaction
            }
            if not batch:
                continue
            for name, item in batch.items():
                Path(name).write_text(item.text, encoding="utf-8")
            command = [binary, "--reporter", "json", *batch]
            if in_transaction:
                command.insert(1, "--assume-in-transaction")
            result = subprocess.run(
                command, capture_output=True, text=True, encoding="utf-8"
            )
            for violation in json.loads(result.stdout or "[]"):
                item = batch[violation["file"]]
                finding = _translate(violation, item)
                if finding is not None:
                    yield item, finding


def _translate(violation: dict, item: SqlText) -> Finding | None:
    rule = violation["rule_name"]
    if rule in DROPPED or (rule in TIMEOUTS and item.step.timeout_ms):
        return None
    # squawk counts lines from 0 and columns in UTF-8 bytes from 0
    lines = item.text.split("\n")
    line = min(violation["line"], len(lines) - 1)
    column = len(
        lines[line].encode("utf-8")[: violation["column"]].decode("utf-8", "replace")
    )
    offset = sum(len(text) + 1 for text in lines[:line]) + column
    severity = ERROR if violation.get("level", "").lower() == "error" else WARNING
    return Finding(
        item.path,
        *item.locate(offset),
        severity,
        rule,
        f"{item.label}: {violation['message']}",
        violation.get("help") or "",
    )
