"""The view model: everything a harness template prints, as plain, ordered data.

Templates never reach into spec objects or the file system; they get this
dict of strings, ints, None, lists and dicts. Step order is the spec's;
dependencies are sorted (name, then numeric version) so the view of a spec
doesn't depend on the order its dependencies were written in.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from ..files import relative_posix
from ..spec import (
    OPTIONAL_STEP_FIELDS,
    MigrationSpec,
    MigrationStep,
    check_to_dict,
    meta_to_dict,
    split_key,
)
from .naming import module_name
from .scripts import INLINE_SQL, Resolution, ResolvedScript
from .statements import Outside

if TYPE_CHECKING:
    from ..loader import LoadedSpec
    from ..runtime import Migration, Step


def _dependency_sort_key(key: str) -> tuple[str, int, str]:
    name, version = split_key(key)
    return name, version or 0, key


def spec_path_of(loaded: LoadedSpec, root: Path) -> str:
    """The spec file relative to the project root, posix (never absolute when it can be helped)."""
    path = loaded.path  # as discovered: root-relative already, the usual case
    if not os.path.isabs(path) and os.path.normpath(path) == path:
        if not path.startswith(os.pardir):
            return path.replace(os.sep, "/")
    spec_file = os.path.normpath(os.path.join(root, loaded.path))
    return relative_posix(Path(spec_file), root, climb=True)


def step_data(
    step: MigrationStep, data: ResolvedScript | None, outside: Outside | None = None
) -> Step:
    """A step as its harness's MIGRATION holds it: what its spec sets, in a fixed
    order; an entry left at the runtime's default (no description, timeout or
    checks, no retries, an option's default) is not written. A step outside
    the transaction carries its statements last (codegen.statements), in place
    of its SQL when the SQL is inline, and its reconcile as statements too."""
    entry: dict[str, Any] = {"kind": step.kind}
    if step.description is not None:
        entry["description"] = step.description
    statements = outside.statements if outside is not None else None
    if statements is None or (data is not None and data.script_type != INLINE_SQL):
        entry[step.payload_field] = step.payload  # the SQL, or the file it is in
    if step.timeout_ms is not None:
        entry["timeout_ms"] = step.timeout_ms
    if step.retries:
        entry["retries"] = step.retries
    for group in ("pre_checks", "post_checks"):
        checks = getattr(step, group)
        if checks:
            entry[group] = [check_to_dict(c) for c in checks]
    for name, default in OPTIONAL_STEP_FIELDS.items():
        value = getattr(step, name, default)
        if value != default:  # so existing harnesses keep their bytes
            entry[name] = value
    if outside is not None and outside.reconcile is not None:
        entry["reconcile"] = outside.reconcile
    if data is not None:
        entry["script_type"] = data.script_type
        entry["script_path"] = data.script_path
        entry["script_sha256"] = data.script_sha256
    if statements is not None:
        entry["statements"] = statements
    return cast("Step", entry)  # the runtime's shape, field by field above


def _steps(
    spec: MigrationSpec, direction: str, resolution: Resolution
) -> list[Step] | None:
    steps = getattr(spec.plan, direction)
    if steps is None:
        return None
    entries = []
    for index, step in enumerate(steps):
        data = resolution.steps.get((direction, index))
        manual = getattr(step, "instructions", None) is not None
        if step.kind == "data" and data is None and not manual:
            raise ValueError(f"{spec.key}: a data step was not resolved")
        outside = resolution.outside.get((direction, index))
        entries.append(step_data(step, data, outside))
    return entries


def migration_data(
    spec: MigrationSpec,
    *,
    spec_path: str,
    dependencies: list[str],
    resolution: Resolution,
) -> Migration:
    """A harness's MIGRATION: the spec's field order, then its plans. `migrate`
    compares a committed harness with exactly this, so a hand edit is caught
    before anything runs."""
    migration = cast("Migration", {"key": spec.key, **meta_to_dict(spec.meta)})
    migration["spec_path"] = spec_path
    migration["dependencies"] = sorted(
        dict.fromkeys(dependencies), key=_dependency_sort_key
    )
    migration["up"] = _steps(spec, "up", resolution) or []
    migration["down"] = _steps(spec, "down", resolution)
    return migration


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
    migration = migration_data(
        spec, spec_path=spec_path, dependencies=dependencies, resolution=resolution
    )
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
            "dependencies": migration["dependencies"],
        },
        "migration": migration,
    }
