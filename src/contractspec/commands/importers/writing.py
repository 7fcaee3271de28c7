"""Writing the imported specs: every one, or none."""

from __future__ import annotations

from pathlib import Path

from ...config import Config
from ...errors import UsageError
from ...loader import load_source
from ...registry import MigrationRegistry
from ...writer import atomic_write
from .. import Project, open_project
from ..create import default_owner, render_spec
from .common import Imported, Migration


def write_migrations(
    migrations: list[Migration],
    config: Config,
    domain: str,
    owners: list[str] | None,
    result: Imported,
) -> None:
    """Write every spec into <specs>/<domain>/, or none: each is rendered,
    loaded and placed in the project's graph before the first is written, and
    written with an exclusive create (a file that appears meanwhile is not
    overwritten; the ones written before it are removed again)."""
    project = open_project(config=config)  # pyproject.toml: read once
    folder = project.config.specs_dir / domain
    paths = [folder / f"{m.file_stem}.py" for m in migrations]
    _refuse_clashes(project, migrations, paths)
    sources = [_render(m, domain, owners or [default_owner()]) for m in migrations]
    _check_graph(project, sources, paths)
    written: list[Path] = []
    try:
        for path, source in zip(paths, sources, strict=True):
            atomic_write(path, source.encode("utf-8"), exclusive=True)
            written.append(path)
    except OSError as exc:
        for path in written:
            path.unlink(missing_ok=True)
        raise UsageError(
            f"nothing imported: cannot write {project.config.relative(path)}: {exc.strerror or exc}"
        ) from None
    result.keys = [m.key for m in migrations]
    result.paths = [project.config.relative(path) for path in written]


def _refuse_clashes(
    project: Project, migrations: list[Migration], paths: list[Path]
) -> None:
    names = {spec.name for spec in project.registry.list()}
    taken = [m.key for m in migrations if m.name in names]
    existing = [project.config.relative(p) for p in paths if p.exists()]
    if taken or existing:
        raise UsageError(
            "nothing imported: "
            + "; ".join(
                ([f"already registered: {', '.join(taken)}"] if taken else [])
                + ([f"already there: {', '.join(existing)}"] if existing else [])
            )
            + " (import into a fresh --domain, or remove them first)"
        )


def _render(migration: Migration, domain: str, owners: list[str]) -> str:
    return render_spec(
        name=migration.name,
        version=migration.version,
        title=migration.title,
        description=migration.description,
        domain=domain,
        owners=owners,
        tags=migration.tags,
        stability="stable",
        up=migration.up,
        down=migration.down,
        dependencies=migration.dependencies,
        header=migration.header,
        down_reason=migration.down_reason,
    )


def _check_graph(project: Project, sources: list[str], paths: list[Path]) -> None:
    """Every new spec loads and validates, and all fit the project's graph
    (SpecError / RegistryError otherwise): nothing is written yet."""
    registry = MigrationRegistry()
    for loaded in project.specs.values():
        registry.register(loaded.spec, loaded)
    for source, path in zip(sources, paths, strict=True):
        loaded = load_source(source, project.config.relative(path))
        registry.register(loaded.spec, loaded)
    registry.graph()
