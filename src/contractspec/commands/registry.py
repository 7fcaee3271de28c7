"""Read-only views of the registry: list, show, graph."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ..project import Project, open_project
from ..spec import to_dict
from .results import MigrationInfo


def list_migrations(project_dir: Path | None = None) -> list[MigrationInfo]:
    """Every migration in dependency order."""
    project = open_project(project_dir)
    return [_info(project, spec.key) for spec in project.registry.order()]


def _info(project: Project, key: str) -> MigrationInfo:
    meta = project.registry.lookup(key).meta
    return MigrationInfo(
        key=key,
        name=meta.name,
        version=meta.version,
        title=meta.title,
        domain=meta.domain,
        owners=tuple(meta.owners),
        tags=tuple(meta.tags),
        stability=meta.stability,
        dependencies=tuple(project.registry.dependencies(key)),
        path=project.specs[key].path,
    )


def show_migration(
    reference: str, project_dir: Path | None = None, typescript: bool = False
) -> dict[str, Any]:
    """One spec as plain data (TypeScript field names on request), with its
    source, its edges and its risk (a lint.risk.Risk)."""
    project = open_project(project_dir)
    spec = project.registry.lookup(reference)
    data = to_dict(spec, typescript=typescript)
    data["key"] = spec.key
    data["path"] = project.specs[spec.key].path
    data["resolved_dependencies"] = project.registry.dependencies(spec.key)
    data["dependents"] = project.registry.dependents(spec.key)
    data["risk"] = project.risks([spec.key])[spec.key]
    return data


def graph(project_dir: Path | None = None, fmt: str = "text") -> str:
    project = open_project(project_dir)
    registry = project.registry
    keys = [spec.key for spec in registry.order()]
    edges = [(key, dep) for key in keys for dep in registry.dependencies(key)]
    if fmt == "mermaid":
        ids = {key: f"m{index}" for index, key in enumerate(keys)}
        lines = ["graph TD"]
        lines += [f'    {ids[k]}["{k}"]' for k in keys]
        lines += [f"    {ids[dep]} --> {ids[key]}" for key, dep in edges]
        return "\n".join(lines) + "\n"
    if fmt == "dot":
        lines = ["digraph migrations {", "    rankdir=LR;"]
        lines += [f"    {json.dumps(k)};" for k in keys]
        lines += [f"    {json.dumps(dep)} -> {json.dumps(key)};" for key, dep in edges]
        return "\n".join(lines + ["}"]) + "\n"
    out = []
    for key in keys:
        deps = registry.dependencies(key)
        out.append(f"{key}" + (f"  <- {', '.join(deps)}" if deps else ""))
    return "\n".join(out) + "\n"
