"""Spec → harness source: resolve, fingerprint, render, format, assemble.

A harness is two parts joined:

    head  = header comments + docstring + MIGRATION   (per spec; black-formatted, cached)
    tail  = runtime + entry points                   (one per generator version;
                                                      formatted once in context, cached)

`head + tail` is exactly what black makes of the whole module: the tail is
formatted after a stand-in head (`MIGRATION = {}`) that ends with the same
kind of statement as every real head, so the blank lines between them are
the ones black wants. Tests check this for every example and for random
specs.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .. import __version__
from ..errors import Diagnostic, SpecError
from ..format import FormatCache, format_cached, format_in_context
from ..spec import PLACEHOLDER_MARK, MigrationSpec
from .fingerprint import spec_fingerprint
from .naming import check_collisions, harness_path
from .render import render_head, render_tail
from .scripts import Resolution, resolve_scripts
from .view import harness_view, spec_path_of

# What every head ends with, as far as black's blank-line rules can tell.
HEAD_CONTEXT = "MIGRATION = {}\n"


@dataclass(frozen=True)
class Harness:
    key: str
    path: Path  # absolute
    display: str  # relative to the project root, posix
    head: str  # header, docstring, MIGRATION (formatted)
    tail: (
        str  # runtime and entry points (formatted; one string shared by all harnesses)
    )

    @property
    def source(self) -> str:
        """The whole module (joined on demand: 1,000 harnesses share one tail in memory)."""
        return self.head + self.tail


def runtime_text() -> str:
    from ..runtime import runtime_source

    return runtime_source()


_tails: dict[str, str] = {}


def tail_source(cache: FormatCache | None = None, env=None) -> str:
    """The formatted constant part (runtime + entry points), with its leading blank lines."""
    raw = render_tail(runtime_text(), env)
    if cache is not None:  # one small read; keeps the disk cache complete
        return format_in_context(HEAD_CONTEXT, raw, cache)
    if raw not in _tails:
        _tails[raw] = format_in_context(HEAD_CONTEXT, raw, None)
    return _tails[raw]


def head_view(
    spec: MigrationSpec,
    *,
    spec_path: str,
    dependencies: Sequence[str],
    resolution: Resolution,
    generator_version: str = __version__,
) -> dict[str, Any]:
    fingerprint = spec_fingerprint(spec, resolution.pins)
    return harness_view(
        spec,
        spec_path=spec_path,
        dependencies=list(dependencies),
        resolution=resolution,
        fingerprint=fingerprint,
        generator_version=generator_version,
    )


def harness_source(
    spec: MigrationSpec,
    *,
    spec_path: str,
    dependencies: Sequence[str] = (),
    resolution: Resolution | None = None,
    cache: FormatCache | None = None,
    env=None,
) -> str:
    """One whole harness module for a spec (no project needed: tests and tools)."""
    view = head_view(
        spec,
        spec_path=spec_path,
        dependencies=dependencies,
        resolution=resolution or Resolution(),
    )
    head = format_cached([render_head(view, env)], cache, workers=1)[0]
    return head + tail_source(cache, env)


def placeholder_problems(loaded) -> list[Diagnostic]:
    """A step still holding `migrate create`'s placeholder SQL, at its place."""
    return [
        loaded.diagnostic(
            ("plan", direction, index, step.payload_field),
            "this step is the placeholder `migrate create` wrote; replace it with the"
            " real SQL (contractspec spec add-step / remove-step, or edit the file)",
        )
        for direction in ("up", "down")
        for index, step in enumerate(getattr(loaded.spec.plan, direction) or [])
        if PLACEHOLDER_MARK in step.payload
    ]


def generate(
    project,
    keys: Sequence[str],
    *,
    cache: FormatCache | None = None,
    workers: int | None = None,
) -> list[Harness]:
    """The harnesses of `keys` (exact keys of `project`), in the order given."""
    config = project.config
    check_collisions(project.specs.keys(), project.specs)
    resolutions: dict[str, Resolution] = {}
    problems = []
    for key in keys:
        problems += placeholder_problems(project.specs[key])
        try:
            resolutions[key] = resolve_scripts(project.specs[key], config)
        except SpecError as exc:
            if not exc.diagnostics:
                raise
            problems += exc.diagnostics
    if problems:
        raise SpecError(problems)

    heads = []
    for key in keys:
        loaded = project.specs[key]
        view = head_view(
            loaded.spec,
            spec_path=spec_path_of(loaded, config.root),
            dependencies=project.registry.dependencies(key),
            resolution=resolutions[key],
        )
        heads.append(render_head(view))
    formatted = format_cached(heads, cache, workers)
    tail = tail_source(cache) if keys else ""
    harnesses = []
    for key, head in zip(keys, formatted, strict=False):
        path = harness_path(config, key)
        display = os.path.relpath(path, config.root).replace(os.sep, "/")
        harnesses.append(Harness(key, path, display, head, tail))
    return harnesses
