"""Spec → harness source: resolve, fingerprint, render, format, assemble.

A harness folder holds one module per spec and one shared runtime package:

    <module>.py               head = header + docstring + MIGRATION (per spec,
                                     emitted in black's style: format.black_form)
                              tail = entry points that load the runtime
                                     (constant: templates/harness_tail.py)
    _contractspec_runtime/    the runtime (the files of src/contractspec/
                              runtime/), each under its own header

`head + tail` is exactly what black makes of the whole module: the tail is
kept as black formats it after a stand-in head (`MIGRATION = {}`) that ends
with the same kind of statement as every real head, so the blank lines
between them are the ones black wants. Tests check this for the tail, for
every example and for random specs. A harness names its format (HARNESS_FORMAT), never the contractspec
version: a release that keeps the format leaves every harness byte-identical,
and a runtime change rewrites runtime files alone.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import Diagnostic, SpecError
from ..files import relative_posix
from ..fingerprint import spec_fingerprint
from ..format import FormatCache, black_form
from ..runtime import HARNESS_FORMAT, fingerprint_value
from ..spec import PLACEHOLDER_MARKER, MigrationSpec
from .naming import check_collisions, harness_path
from .render import render_head, templates_dir
from .runtime_package import runtime_folder, runtime_sources
from .scripts import Resolution, resolve_scripts
from .view import harness_view, spec_path_of

if TYPE_CHECKING:
    from ..config import Config
    from ..loader import LoadedSpec
    from ..registry import MigrationRegistry


@dataclass(frozen=True)
class Generated:
    """One generated file: a harness (key set) or a runtime file (key None)."""

    path: Path  # absolute
    display: str  # relative to the project root, posix
    source: str
    key: str | None = None


@functools.cache
def tail_source() -> str:
    """The entry points every harness ends with, already black-formatted in context."""
    return (templates_dir() / "harness_tail.py").read_text(encoding="utf-8")


def runtime_files(config: Config) -> list[Generated]:
    """The runtime package beside the harnesses, a file each."""
    folder = runtime_folder(config.harness_dir)
    return [
        Generated(folder / name, config.relative(folder / name), source)
        for name, source in runtime_sources().items()
    ]


def head_view(
    spec: MigrationSpec,
    *,
    spec_path: str,
    dependencies: Sequence[str],
    resolution: Resolution,
    fingerprint: str | None = None,
) -> dict[str, Any]:
    view = harness_view(
        spec,
        spec_path=spec_path,
        dependencies=list(dependencies),
        resolution=resolution,
        fingerprint=fingerprint or spec_fingerprint(spec, resolution.pins),
        harness_format=HARNESS_FORMAT,
    )
    # The fingerprint line holds the spec's fingerprint and MIGRATION's own,
    # which a harness run directly checks its MIGRATION against.
    view["fingerprint"] = fingerprint_value(view["fingerprint"], view["migration"])
    return view


def placeholder_problems(loaded: LoadedSpec) -> list[Diagnostic]:
    """A step still holding `migrate create`'s placeholder SQL, at its place."""
    return [
        loaded.diagnostic(
            ("plan", direction, index, step.payload_field),
            "this step is the placeholder `migrate create` wrote; replace it with the"
            " real SQL (contractspec spec add-step / remove-step, or edit the file)",
        )
        for direction in ("up", "down")
        for index, step in enumerate(getattr(loaded.spec.plan, direction) or [])
        if PLACEHOLDER_MARKER in step.payload
    ]


def generate(
    config: Config,
    specs: Mapping[str, LoadedSpec],
    registry: MigrationRegistry,
    keys: Sequence[str],
    *,
    cache: FormatCache | None = None,
    workers: int | None = None,
) -> list[Generated]:
    """The harnesses of `keys` (exact keys of `specs`, every spec of the
    project, whose dependencies `registry` knows), in the order given."""
    check_collisions(specs.keys(), specs)
    resolutions: dict[str, Resolution] = {}
    problems = []
    for key in keys:
        problems += placeholder_problems(specs[key])
        try:
            resolutions[key] = resolve_scripts(specs[key], config)
        except SpecError as exc:
            if not exc.diagnostics:
                raise
            problems += exc.diagnostics
    if problems:
        raise SpecError(problems)

    heads = []
    for key in keys:
        loaded = specs[key]
        view = head_view(
            loaded.spec,
            spec_path=spec_path_of(loaded, config.root),
            dependencies=registry.dependencies(key),
            resolution=resolutions[key],
        )
        heads.append(render_head(view))
    formatted = black_form(heads, cache, workers)
    tail = tail_source()
    harnesses = []
    for key, head in zip(keys, formatted, strict=True):
        path = harness_path(config, key)
        display = relative_posix(path, config.root, climb=True)
        harnesses.append(Generated(path, display, head + tail, key))
    return harnesses
