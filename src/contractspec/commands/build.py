"""`contractspec build`: specs → committed harness modules.

Modes (black's `--check`/`--diff` semantics):
- write (default): write what changed, atomically; a full build (`--all`)
  also removes orphans (files with our marker that no spec produces).
- `check` (the staleness gate): write nothing; the result is stale when any harness would be
  created, rewritten or removed, and carries the unified diff.
- `diff`: write nothing; the unified diff, never an error.
- `stdout`: one harness's text, nothing written.

Without NAMEs, `check` and `diff` look at the whole project, as `--all` does.
A CODEOWNERS file with contractspec's block (`contractspec owners`) is kept
current the same way: written, checked or diffed with the harnesses.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from .. import writer
from ..config import Config, load_config
from ..errors import ConfigError, Diagnostic, SpecError, UsageError
from ..project import Project, open_project
from .owners import block_change
from .results import BuildResult, HarnessChange

if TYPE_CHECKING:
    from ..codegen.generate import Generated


def _check_folders(config: Config) -> None:
    """Harnesses inside the specs folder would be read back as specs (unless hidden by `_`/`.`)."""
    specs, harnesses = config.specs_dir.resolve(), config.harness_dir.resolve()
    if harnesses == specs or specs in harnesses.parents:
        inside = harnesses.relative_to(specs).parts
        if not any(part.startswith(("_", ".")) for part in inside):
            raise ConfigError(
                f"the harness folder {config.relative(config.harness_dir)} is inside the specs folder"
                f" {config.relative(config.specs_dir)}, so harnesses would be loaded as specs;"
                " move it out, or start its name with '_' (e.g. _harnesses)"
            )


def _plural(count: int) -> str:
    return f"{count} harness{'' if count == 1 else 'es'}"


def _is_runtime(path: Path) -> bool:
    """A file of the runtime package, or the runtime module of format 2."""
    from ..codegen.render import RUNTIME_NAME

    return path.parent.name == RUNTIME_NAME or path.name == RUNTIME_NAME + ".py"


def _summary(changes: list[writer.Change], dry_run: bool) -> str:
    """Counts of harnesses, then the runtime module when it changes (it rarely does)."""
    counts = {
        status: 0
        for status in (writer.CREATED, writer.UPDATED, writer.UNCHANGED, writer.REMOVED)
    }
    statuses = set()
    for change in changes:
        if _is_runtime(change.path):
            statuses.add(change.status)
        else:
            counts[change.status] += 1
    runtime = next(
        (s for s in (writer.UPDATED, writer.CREATED, writer.REMOVED) if s in statuses),
        None,
    )
    written = counts[writer.CREATED] + counts[writer.UPDATED]
    removed, unchanged = counts[writer.REMOVED], counts[writer.UNCHANGED]
    verbs = {writer.CREATED: "written", writer.UPDATED: "written"}
    verbs[writer.REMOVED] = "removed"
    if dry_run:
        parts = []
        if written:
            new = (
                f" ({counts[writer.CREATED]} missing)" if counts[writer.CREATED] else ""
            )
            parts.append(f"{_plural(written)} would be written{new}")
        if removed:
            parts.append(f"{removed} orphaned would be removed")
        if parts and unchanged:
            parts.append(f"{unchanged} unchanged")
        elif not parts:
            parts.append(f"{_plural(unchanged)} up to date")
        if runtime in verbs:
            parts.append(f"runtime module would be {verbs[runtime]}")
        return ", ".join(parts)
    parts = [f"{_plural(written)} written"]
    if removed:
        parts.append(f"{removed} removed")
    if unchanged:
        parts.append(f"{unchanged} unchanged")
    if runtime in verbs:
        parts.append(f"runtime module {verbs[runtime]}")
    return ", ".join(parts)


def _refuse_unrunnable_sql(proj: Project, keys: list[str]) -> None:
    """SQL that does not parse, or that fights the runtime's transaction, gets no harness.

    The same parser and rules as `contractspec lint` (lint.BUILD_RULES). Only
    the specs whose harness would be written: an unchanged harness was
    checked when it was written."""
    from ..lint import build_findings

    problems = [
        Diagnostic(f.path, f.line, f.col, f"{f.rule}: {f.message}; fix: {f.hint}")
        for key in keys
        for f in build_findings(proj.specs[key], proj.config)
    ]
    if problems:
        raise SpecError(problems)


def build(
    references: Sequence[str] = (),
    *,
    all_: bool = False,
    project: Path | None = None,
    check: bool = False,
    diff: bool = False,
    stdout: bool = False,
    use_cache: bool = True,
    workers: int | None = None,
) -> BuildResult:
    from ..codegen.generate import generate
    from ..format import default_cache

    full = _whole_project(references, all_, check, diff, stdout)
    config = load_config(project)
    _check_folders(config)
    proj = open_project(use_cache=use_cache, config=config)
    if full:
        keys = [spec.key for spec in proj.registry.list()]
    else:
        keys = list(dict.fromkeys(proj.registry.lookup(ref).key for ref in references))
    cache = default_cache(config.root) if use_cache else None
    harnesses = generate(
        config, proj.specs, proj.registry, keys, cache=cache, workers=workers
    )
    if cache is not None and full:
        cache.prune()  # what every spec needs now is all the cache keeps
    command = "contractspec build " + ("--all" if full else " ".join(keys))
    if stdout:
        _refuse_unrunnable_sql(proj, keys)
        summary = f"{keys[0]}: harness printed, nothing written"
        return BuildResult((), False, summary, "", command, harnesses[0].source)

    changes = _changes(config, harnesses, full)
    # A harness that stays as it is was checked when it was written.
    pending = {change.path for change in changes if change.pending}
    _refuse_unrunnable_sql(
        proj, [h.key for h in harnesses if h.key is not None and h.path in pending]
    )
    block = block_change(proj)  # before writing anything: an unmapped owner stops it
    owned = [] if block is None else [block.change]
    stale = any(c.pending for c in [*changes, *owned])
    shown = tuple(HarnessChange(c.display, c.status) for c in changes)
    codeowners = next((HarnessChange(c.display, c.status) for c in owned), None)
    summary = _summary(changes, check or diff) + _block_summary(owned, check or diff)
    if check or diff:
        output = "".join(writer.unified_diff(c) for c in [*changes, *owned])
        return BuildResult(shown, stale, summary, output, command, "", codeowners)
    writer.apply([*changes, *owned])
    return BuildResult(shown, stale, summary, "", command, "", codeowners)


def _block_summary(owned: list[writer.Change], dry_run: bool) -> str:
    """`, CODEOWNERS block updated`, when the block changes."""
    if not owned or not owned[0].pending:
        return ""
    return f", {owned[0].display} block {'would be ' if dry_run else ''}updated"


def _whole_project(
    references: Sequence[str], all_: bool, check: bool, diff: bool, stdout: bool
) -> bool:
    """Whether a build covers every spec (refusing options that do not go together)."""
    if stdout and (check or diff):
        raise UsageError("--stdout can't be combined with --check or --diff")
    if all_ and references:
        raise UsageError("give migration names or --all, not both")
    full = all_ or (not references and (check or diff))
    if not references and not full:
        raise UsageError("name a migration (NAME or NAME.vN) or pass --all")
    if stdout and (full or len(references) != 1):
        raise UsageError("--stdout prints exactly one harness: give one NAME[.vN]")
    return full


def _changes(
    config: Config, harnesses: list[Generated], full: bool
) -> list[writer.Change]:
    """What writing the harnesses and the runtime package beside them changes,
    by path; a full build also removes orphans."""
    from ..codegen.generate import runtime_files
    from ..codegen.render import RUNTIME_NAME

    outputs = [*harnesses, *runtime_files(config)] if harnesses else []
    folders = [config.harness_dir, config.harness_dir / RUNTIME_NAME]
    changes = writer.changes(
        ((f.path, f.display, f.source) for f in outputs),
        config.files,
        orphans_in=folders if full else (),
        relative=config.relative,
    )
    return sorted(changes, key=lambda c: c.display)
