"""A project: its configuration, its loaded specs and their registry.

Every command opens one (open_project, or open_for_editing for an edit that
may repair a broken project); `codegen`, `lint` and `edit` below it are
given the parts they need, never the Project.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from .cachedir import cache_dir
from .config import Config, load_config
from .errors import ContractspecError, Diagnostic, RegistryError, SpecError
from .fingerprint import spec_fingerprint
from .loader import LoadedSpec, SpecCache, discover, load_file, load_specs
from .registry import MigrationRegistry

if TYPE_CHECKING:
    from .codegen.scripts import Resolution
    from .lint.risk import Risk
    from .runtime import Migration


@dataclass
class Project:
    config: Config
    registry: MigrationRegistry
    specs: dict[str, LoadedSpec]  # by key
    # Opened for editing (open_for_editing), a project may be broken: `files`
    # holds every spec file that loads, duplicate keys included, and `broken`
    # the problems of those that do not. Opened otherwise, `files` is `specs`.
    files: list[LoadedSpec] = field(default_factory=list)
    broken: list[Diagnostic] = field(default_factory=list)

    _fingerprints: dict[str, str] = field(default_factory=dict, repr=False)
    _resolutions: dict[str, Resolution] = field(default_factory=dict, repr=False)

    def resolution(self, key: str) -> Resolution:
        """The spec's data-step files, resolved and pinned, once per command."""
        if key not in self._resolutions:
            from .codegen.scripts import resolve_scripts

            self._resolutions[key] = resolve_scripts(self.specs[key], self.config)
        return self._resolutions[key]

    def fingerprint(self, key: str) -> str:
        """The spec's fingerprint with its pinned files, computed once per command."""
        if key not in self._fingerprints:
            loaded, pins = self.specs[key], self.resolution(key).pins
            self._fingerprints[key] = fingerprint_loaded(loaded, self.config, pins)
        return self._fingerprints[key]

    def risks(self, keys: list[str]) -> dict[str, Risk]:
        """The risk of each of keys (lint.risk.assess), read again only for a
        spec whose inputs changed since a run remembered its risk."""
        from .lint.risk import remembered

        fingerprints = {}
        for key in keys:
            try:
                fingerprints[key] = self.fingerprint(key)
            except ContractspecError:  # e.g. a file it runs can't be read, or
                continue  # no dialect to read it in: assessed, never remembered
        specs = [self.specs[key] for key in keys]
        complete = set(keys) >= set(self.specs)
        return remembered(specs, self.config, fingerprints, complete)

    def expected_migration(self, key: str) -> Migration:
        """The MIGRATION data that `key`'s spec generates today (no view, no
        rendering, no black: `migrate` calls this for every pending harness)."""
        from .codegen.view import migration_data, spec_path_of

        loaded = self.specs[key]
        return migration_data(
            loaded.spec,
            spec_path=spec_path_of(loaded, self.config.root),
            dependencies=self.registry.dependencies(key),
            resolution=self.resolution(key),
        )


def fingerprint_loaded(
    loaded: LoadedSpec, config: Config, pins: Mapping[str, str] | None = None
) -> str:
    """The fingerprint of a loaded spec with its files read from disk (raises SpecError).

    pins: the spec's resolved pins when the caller has them already."""
    if pins is None:
        from .codegen.scripts import resolve_scripts

        pins = resolve_scripts(loaded, config).pins
    if not pins and loaded.fingerprint:  # the spec cache's, for the same bytes
        return loaded.fingerprint
    return spec_fingerprint(loaded.spec, pins)


@contextmanager
def gc_paused() -> Iterator[None]:
    """No cyclic garbage collection inside: for loading, which builds thousands
    of small objects that all stay alive, so each collection would only walk
    them again (about 15 ms of 60 when loading 500 specs and harnesses)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


@gc_paused()  # a context manager, used here as a decorator
def open_project(
    project: Path | None = None,
    database: str | None = None,
    use_cache: bool = True,
    *,
    config: Config | None = None,
) -> Project:
    """Read the config (unless the command has: `config`, so that pyproject.toml
    is read once) and every spec; raise every spec and graph problem together.

    use_cache=False neither reads nor writes .contractspec_cache/ (build --no-cache)."""
    if config is None:
        config = load_config(project, database)
    registry = MigrationRegistry()
    specs: dict[str, LoadedSpec] = {}
    duplicates: list[Diagnostic] = []
    cache = SpecCache(cache_dir(config.root) / "specs.marshal") if use_cache else None
    for loaded in load_specs(config.specs_dir, config.root, cache, config.files):
        try:
            registry.register(loaded.spec, loaded)
        except RegistryError as exc:  # report every duplicate, not just the first
            duplicates += exc.diagnostics
            continue
        specs[loaded.key] = loaded
    if duplicates:
        raise RegistryError(duplicates)
    registry.graph()  # unknown dependencies and cycles fail here, before any work
    return Project(config, registry, specs, list(specs.values()))


def open_for_editing(config: Config) -> Project:
    """The project as far as it loads, so that an edit can repair a broken one.

    When open_project fails: every spec file that loads goes into `files`, the
    first of each key into `specs` and `registry` (whose graph is not checked),
    and the problems of the files that do not load into `broken`."""
    try:
        return open_project(config=config)
    except SpecError:
        pass
    files: list[LoadedSpec] = []
    broken: list[Diagnostic] = []
    for path in discover(config.specs_dir):
        try:
            files.append(load_file(path, config.relative(path), config.files))
        except SpecError as exc:
            broken += exc.diagnostics
    registry = MigrationRegistry()
    specs: dict[str, LoadedSpec] = {}
    for loaded in files:
        if loaded.key not in specs:
            registry.register(loaded.spec, loaded)
            specs[loaded.key] = loaded
    return Project(config, registry, specs, files, broken)
