"""Builders for MIGRATION dicts (the shape of docs/architecture.md), shared
by the runtime tests (imported as a plain module: `from rtkit import ...`)."""

from __future__ import annotations

import hashlib
from pathlib import Path


def make_step(
    kind: str = "schema",
    payload: str = "SELECT 1",
    dialect: str = "postgresql",
    **extra,
) -> dict:
    """A step of MIGRATION data. One outside the transaction
    (transactional=False) is split into its statements as `build` splits it,
    by the dialect's parser (codegen.statements), its reconcile too."""
    step = {
        "kind": kind,
        "description": extra.pop("description", None),
        {"schema": "sql", "data": "script", "validation": "assertion"}[kind]: payload,
        "timeout_ms": extra.pop("timeout_ms", None),
        "retries": extra.pop("retries", 0),
        "pre_checks": [
            check(*c) if isinstance(c, tuple) else c
            for c in extra.pop("pre_checks", [])
        ],
        "post_checks": [
            check(*c) if isinstance(c, tuple) else c
            for c in extra.pop("post_checks", [])
        ],
    }
    if kind == "data":
        step.update(script_type="inline_sql", script_path=None, script_sha256=None)
    step.update(extra)
    if step.get("transactional") is False:
        _split_outside(step, dialect)
    return step


def _split_outside(step: dict, dialect: str) -> None:
    from contractspec.codegen.statements import split_statements, statement_entries

    base_dir = step.pop("base_dir", None)
    if step.get("reconcile"):
        step["reconcile"] = split_statements(step["reconcile"], dialect)
    if step.get("script_type") in ("python_file", "python_module"):
        return
    payload = "sql" if step["kind"] == "schema" else "script"
    if step.get("script_type") == "sql_file":
        sql = (Path(base_dir) / step["script_path"]).read_text()
    else:
        sql = step.pop(payload)
    step["statements"] = statement_entries(sql, dialect)


def check(description: str, expression: str) -> dict:
    return {"description": description, "expression": expression}


def make_migration(
    name: str = "app.db.2025_01_test",
    up: list | None = None,
    down: list | None = None,
    version: int = 1,
    dependencies: list | None = None,
    fingerprint: str = "sha256:" + "a" * 64,
) -> dict:
    return {
        "key": f"{name}.v{version}",
        "name": name,
        "version": version,
        "title": "Test migration",
        "spec_path": f"migrations/{name.rsplit('.', 1)[-1]}.py",
        "spec_fingerprint": fingerprint,
        "dependencies": list(dependencies or []),
        "up": list(up or [make_step("schema", "CREATE TABLE t1 (id INTEGER)")]),
        "down": down,
    }


def file_step(
    folder: Path,
    relative: str,
    content: str,
    script_type: str,
    func: str | None = None,
    **extra,
) -> dict:
    path = folder / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(content, encoding="utf-8")
    script = f"{relative}:{func}" if func else relative
    if extra.get("transactional") is False:
        extra["base_dir"] = folder  # its statements are read from the file
    return make_step(
        "data",
        script,
        script_type=script_type,
        script_path=relative,
        script_sha256="sha256:" + hashlib.sha256(path.read_bytes()).hexdigest(),
        **extra,
    )
