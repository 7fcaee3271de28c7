"""The view model: everything a harness template prints, as plain, ordered data.

Templates never reach into spec objects or the file system; they get this
dict of strings, ints, None, lists and dicts. Step order is the spec's;
dependencies are sorted (name, then numeric version) so the view of a spec
doesn't depend on the order its dependencies were written in.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..config import relative_posix
from ..spec import (
    OPTIONAL_STEP_FIELDS,
    MigrationSpec,
    MigrationStep,
    meta_to_dict,
    split_key,
)
from .naming import module_name
from .scripts import Resolution, ResolvedScript

if TYPE_CHECKING:
    from ..loader import LoadedSpec


def _dependency_sort_key(key: str) -> tuple[str, int, str]:
    name, version = split_key(key)
    return name, version or 0, key


def spec_path_of(loaded: LoadedSpec, root: Path) -> str:
    """The spec file relative to the project root, posix (never absolute when it can be helped)."""
    spec_file = os.path.normpath(os.path.join(root, loaded.path))
    inside = os.path.relpath(spec_file, root)  # strings: once per spec per command
    if not inside.startswith(os.pardir):
        return inside.replace(os.sep, "/")
    return relative_posix(Path(spec_file), root, climb=True)


def step_view(step: MigrationStep, data: ResolvedScript | None) -> dict[str, Any]:
    return {
        "kind": step.kind,
        "description": step.description,
        "payload_field": step.payload_field,
        "payload": step.payload,
        "timeout_ms": step.timeout_ms,
        "retries": step.retries,
        "checks": [
            {
                "field": field,
                "entries": [
                    {"description": c.description, "expression": c.expression}
                    for c in getattr(step, field)
                ],
            }
            for field in ("pre_checks", "post_checks")
        ],
        # Only what differs from the default, so existing harnesses keep their bytes.
        "options": [
            {"name": name, "value": getattr(step, name, default)}
            for name, default in OPTIONAL_STEP_FIELDS.items()
            if getattr(step, name, default) != default
        ],
        "data": (
            None
            if data is None
            else {
                "script_type": data.script_type,
                "script_path": data.script_path,
                "script_sha256": data.script_sha256,
            }
        ),
    }


def harness_view(
    spec: MigrationSpec,
    *,
    spec_path: str,
    dependencies: list[str],
    resolution: Resolution,
    fingerprint: str,
    harness_format: int,
) -> dict[str, Any]:
    meta = spec.meta
    dependencies = sorted(dict.fromkeys(dependencies), key=_dependency_sort_key)
    plans: list[dict[str, Any]] = []
    for direction in ("up", "down"):
        steps = getattr(spec.plan, direction)
        plans.append(
            {
                "direction": direction,
                "steps": (
                    None
                    if steps is None
                    else [
                        step_view(step, resolution.steps.get((direction, index)))
                        for index, step in enumerate(steps)
                    ]
                ),
            }
        )
    for plan in plans:
        for step in plan["steps"] or []:
            if step["kind"] == "data" and step["data"] is None:
                raise ValueError(f"{spec.key}: a data step was not resolved")
    return {
        "module": module_name(spec.key),
        "spec_path": spec_path,
        "fingerprint": fingerprint,
        "harness_format": harness_format,
        "doc": {
            "key": spec.key,
            "name": meta.name,
            "title": meta.title,
            "owners": list(meta.owners),
            "domain": meta.domain,
            "stability": meta.stability,
            "dependencies": dependencies,
        },
        "m": {
            "key": spec.key,
            **meta_to_dict(
                meta
            ),  # the harness's MIGRATION keeps the spec's field order
            "spec_path": spec_path,
            "dependencies": dependencies,
            "plans": plans,
        },
    }


def migration_data(m: dict[str, Any]) -> dict[str, Any]:
    """The value of a harness's `MIGRATION` literal, from the view's `m`.

    The template prints exactly this (tests compare the two for every
    example and for random specs); `migrate` compares it with a committed
    harness's literal, so a hand edit is caught before anything runs."""
    data = {k: v for k, v in m.items() if k != "plans"}
    for plan in m["plans"]:
        steps = plan["steps"]
        data[plan["direction"]] = (
            None if steps is None else [_step_data(step) for step in steps]
        )
    return data


def _step_data(step: dict[str, Any]) -> dict[str, Any]:
    """A step's entries; those left at the runtime's default are not written."""
    data: dict[str, Any] = {"kind": step["kind"]}
    if step["description"] is not None:
        data["description"] = step["description"]
    data[step["payload_field"]] = step["payload"]
    if step["timeout_ms"] is not None:
        data["timeout_ms"] = step["timeout_ms"]
    if step["retries"]:
        data["retries"] = step["retries"]
    for group in step["checks"]:
        if group["entries"]:
            data[group["field"]] = [dict(check) for check in group["entries"]]
    for option in step["options"]:
        data[option["name"]] = option["value"]
    if step["data"] is not None:
        data.update(step["data"])
    return data
