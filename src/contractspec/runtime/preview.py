"""The preview (`python harness.py plan`): what up and down would run,
without touching any database."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .shapes import in_parts, manual, step_label
from .urls import redact_url

if TYPE_CHECKING:
    from collections.abc import Iterable

    from .shapes import Check, Migration, Statement, Step


def _block(title: str, text: object) -> list[str]:
    lines = str(text).strip("\n").splitlines()
    return [f"     {title}:"] + ["       " + line for line in lines]


def _expecting(check: Check | Step) -> str:
    """How a check passes, when it is not the default rule."""
    no_error = check.get("expect") == "no_error"
    return " (passes when it runs without error)" if no_error else ""


def _step_mode(step: Step) -> str:
    if step.get("transactional") is False:
        return ", outside a transaction"
    if step.get("batch_size"):
        mode = f", batches of {step.get('batch_size')}"
        if step.get("pause_ms"):
            mode += f", {step.get('pause_ms')} ms apart"
        if step.get("max_batches"):
            mode += f", at most {step.get('max_batches')}"
        return mode
    return ""


def atomicity(steps: Iterable[Step] | None) -> str | None:
    """None for steps that run in one transaction, else what commits on its own
    ("step 2 runs outside a transaction, step 3 in batches, step 4 waits for
    a person")."""
    parts = [
        f"step {index} {_apart(step)}"
        for index, step in enumerate(steps or (), 1)
        if in_parts(step)
    ]
    return ", ".join(parts) or None


def _apart(step: Step) -> str:
    if manual(step):
        return "waits for a person"
    return "in batches" if step.get("batch_size") else "runs outside a transaction"


def _on_rerun(statement: Statement) -> str:
    """What a rerun does with a statement an interrupted run may have cut short."""
    if "builds_index" in statement:
        return f" (a rerun drops {statement['builds_index']} if invalid, keeps it if valid)"
    if "reindexes_index" in statement or "reindexes_table" in statement:
        return " (a rerun first drops the invalid indexes an interrupted one left)"
    return " (safe to rerun)" if statement.get("safe_to_rerun") else ""


def _step_lines(index: int, step: Step) -> list[str]:
    timeout = f"{step.get('timeout_ms')} ms" if step.get("timeout_ms") else "none"
    limits = f"timeout {timeout}, retries {int(step.get('retries') or 0)}"
    if manual(step):  # no timeout, no retries: a person's work, done once
        limits = "a person's work: the run stops here until it is confirmed"
    lines = [f"  {index}. {step_label(step)} [{limits}{_step_mode(step)}]"]
    for check in step.get("pre_checks") or ():
        name = f"pre-check {check.get('description')!r}{_expecting(check)}"
        lines += _block(name, check["expression"])
    if manual(step):
        lines += _block("instructions", step.get("instructions"))
        if step.get("confirm_by"):
            lines.append(
                f"     confirmed by: {', '.join(step.get('confirm_by') or ())}"
            )
    elif step["kind"] == "schema" and "sql" in step:
        lines += _block("sql", step.get("sql"))
    elif step["kind"] == "validation":
        lines += _block("assertion" + _expecting(step), step.get("assertion"))
    elif "script" in step:
        kind = step.get("script_type") or "inline_sql"
        pin = f", {step.get('script_sha256')}" if step.get("script_sha256") else ""
        lines += _block(f"script ({kind}{pin})", redact_url(step.get("script")))
    for number, statement in enumerate(step.get("statements") or (), 1):
        lines += _block(f"statement {number}{_on_rerun(statement)}", statement["sql"])
    for number, sql in enumerate(step.get("reconcile") or (), 1):
        lines += _block(f"reconcile {number} (before a rerun)", sql)
    for check in step.get("post_checks") or ():
        name = f"post-check {check.get('description')!r}{_expecting(check)}"
        lines += _block(name, check["expression"])
    return lines


def plan_text(migration: Migration) -> str:
    """What up and down would run, without touching any database."""
    title, spec = migration.get("title"), migration.get("spec_path")
    dependencies = ", ".join(migration.get("dependencies") or ()) or "nothing"
    lines = [f"plan for {migration['key']}" + (f": {title}" if title else "")]
    lines.append(f"  spec: {spec} ({migration.get('spec_fingerprint')})")
    lines.append(f"  depends on: {dependencies}")
    for plan, steps in (("up", migration["up"]), ("down", migration.get("down"))):
        if steps is None:
            lines.append(f"{plan}: irreversible (no down plan)")
            continue
        apart = atomicity(steps)
        where = f"NOT atomic: {apart}" if apart else "in one transaction"
        lines.append(f"{plan}: {len(steps)} step(s) {where}")
        for index, step in enumerate(steps, 1):
            lines += _step_lines(index, step)
    return "\n".join(lines) + "\n"
