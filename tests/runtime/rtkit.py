"""Builders for MIGRATION dicts (the shape of docs/architecture.md), shared
by the runtime tests (imported as a plain module: `from rtkit import ...`)."""

from __future__ import annotations

import hashlib
from pathlib import Path


def make_step(kind: str = "schema", payload: str = "SELECT 1", **extra) -> dict:
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
    return step


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
    return make_step(
        "data",
        script,
        script_type=script_type,
        script_path=relative,
        script_sha256="sha256:" + hashlib.sha256(path.read_bytes()).hexdigest(),
        **extra,
    )
