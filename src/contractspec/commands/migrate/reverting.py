"""Which applied migrations `migrate down` reverts, in the order it reverts
them: never one before an applied migration that depends on it."""

from __future__ import annotations

from collections.abc import Mapping

from ...errors import MigrationFailed
from ...project import Project
from ...registry import MigrationRegistry
from .session import Applied


def to_revert(
    project: Project,
    applied: Mapping[str, Applied],
    target: str | None,
    steps: int | None,
    to: str | None,
    all_: bool,
) -> list[str]:
    """The keys to revert, latest first: target alone (none when it is not
    applied), everything after `to`, everything (all_), or the `steps` most
    recent (default 1). Refused when the history has a migration the
    registry does not know, unless target names one that it does."""
    registry = project.registry
    order = [spec.key for spec in registry.order()]
    if target:
        return _target(registry, order, applied, registry.lookup(target).key)
    unknown = sorted(set(applied) - set(order))
    if unknown:
        raise MigrationFailed(
            "the database has migrations this registry does not know: "
            + ", ".join(unknown)
            + "; revert by NAME, or restore their specs"
        )
    if not (to or all_):
        return most_recent(registry, order, applied, steps or 1)
    keep = order.index(registry.lookup(to).key) + 1 if to else 0
    if to and order[keep - 1] not in applied:
        raise MigrationFailed(
            f"{order[keep - 1]} is not applied; --to reverts down to an"
            " applied migration"
        )
    return [key for key in reversed(order[keep:]) if key in applied]


def _target(
    registry: MigrationRegistry,
    order: list[str],
    applied: Mapping[str, Applied],
    key: str,
) -> list[str]:
    if key not in applied:
        return []
    blocking = [k for k in order if k in applied and key in registry.dependencies(k)]
    if blocking:
        raise MigrationFailed(
            f"cannot revert {key}: applied migrations depend on it: {', '.join(blocking)}"
            f"\nrevert them first (contractspec migrate down --steps {len(blocking) + 1}"
            " reverts the most recent ones)"
        )
    return [key]


def most_recent(
    registry: MigrationRegistry,
    order: list[str],
    applied: Mapping[str, Applied],
    count: int,
) -> list[str]:
    """The `count` most recently applied migrations, latest first, never one
    before an applied migration that depends on it. Ties on applied_at (one
    run can apply several in a millisecond) go to the later in dependency order."""
    position = {key: index for index, key in enumerate(order)}
    remaining = [key for key in order if key in applied]
    dependents = dict.fromkeys(remaining, 0)  # applied ones that depend on each
    for key in remaining:
        for dependency in registry.dependencies(key):
            if dependency in dependents:
                dependents[dependency] += 1
    chosen: list[str] = []
    while len(chosen) < count and remaining:
        free = [key for key in remaining if not dependents[key]]
        key = max(free, key=lambda k: (applied[k].applied_at, position[k]))
        chosen.append(key)
        remaining.remove(key)
        for dependency in registry.dependencies(key):
            if dependency in dependents:
                dependents[dependency] -= 1
    return chosen
