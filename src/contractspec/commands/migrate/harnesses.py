"""What may run: each committed harness checked against what its spec
generates today, and the shared runtime package beside them.

A harness that is missing, unreadable (not a regular file, or over
max_file_bytes: read bounded, never blocked on), in an older format, built from another version
of its spec (its fingerprint header) or edited by hand (its `MIGRATION`
differs from what the spec generates) is refused, with the fix; so is a
runtime package with a file missing or not byte-identical to this
contractspec's runtime. `contractspec build --check` remains the byte-level
gate in CI.

A harness found to agree is remembered (`CheckedHarnesses`, sealed in
.contractspec_cache/ like every cache there) by a hash of its bytes and
of every input of that check, so the next run with the same bytes and the
same spec reads and hashes the file instead of printing its MIGRATION again.
"""

from __future__ import annotations

import ast
import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import cast

from ... import runtime
from ...cachedir import JsonCache, cache_dir
from ...errors import FileRefused, MigrationFailed, StaleError
from ...files import read_project_file
from ...project import Project, gc_paused

SHOWN_REFUSALS = 10  # harnesses named in a refusal; the rest are counted
SHOWN_DIFF_LINES = 12  # of an edited harness's diff, in a refusal
REBUILD = "contractspec build --all   (then review and commit the diff)"


@dataclass
class CommittedHarness:
    """A committed harness as the orchestrator sees it."""

    key: str
    path: Path
    display: str
    state: str = "ok"  # ok, missing, unreadable, stale, edited
    problem: str | None = None  # why it cannot run, for people
    # What runs: the checked MIGRATION data with its spec fingerprint.
    migration: runtime.Migration | None = None

    @property
    def checked(self) -> runtime.Migration:
        """The MIGRATION that runs: only a harness in state ok has one."""
        if self.migration is None:
            raise ValueError(f"{self.display} cannot run: {self.problem}")
        return self.migration

    def refuse(self, state: str, problem: str) -> CommittedHarness:
        self.state, self.problem = state, problem
        return self


def _read_generated(project: Project, path: Path) -> bytes | None:
    """A harness's or runtime file's bytes, read as every project file is
    (bounded, a regular file, without blocking); None when it is missing."""
    try:
        return read_project_file(path, project.config.files)
    except FileRefused:
        if os.path.lexists(path):
            raise
        return None  # missing (or its folder is): the callers say how to restore it


def _runnable(migration: Mapping[str, object], fingerprint: str) -> runtime.Migration:
    """MIGRATION data with its spec fingerprint, as the runtime runs it (which
    checks its shape first)."""
    return cast("runtime.Migration", {**migration, "spec_fingerprint": fingerprint})


def _header(data: bytes) -> tuple[str | None, str]:
    """A harness's format (None: it names none) and its fingerprint line."""
    header = runtime.harness_header(data)
    return header.get("format"), header.get("fingerprint", "")


def _other_format(found: str | None) -> str | None:
    """Why a harness's format is not the one this contractspec writes (None: it is)."""
    if found == str(runtime.HARNESS_FORMAT):
        return None
    return (
        f"harness format {found or '1 (the runtime embedded in every harness)'},"
        f" this contractspec writes format {runtime.HARNESS_FORMAT}"
    )


def read_harness(project: Project, key: str, check: HarnessCheck) -> CommittedHarness:
    """Check one committed harness against what its spec generates today."""
    from ...codegen.naming import harness_path

    path = harness_path(project.config, key)
    harness = CommittedHarness(key, path, check.prefix + path.name)
    try:
        data = _read_generated(project, path)
    except FileRefused as exc:
        return harness.refuse("unreadable", str(exc))
    if data is None:
        return harness.refuse("missing", "missing")
    fingerprint = project.fingerprint(key)
    entry = check.cache.entry(project, key, data, fingerprint)
    agreed = check.cache.get(entry)
    if agreed is not None:  # these bytes passed every check below, with these inputs
        harness.migration = _runnable(agreed, fingerprint)
        return harness
    found, line = _header(data)
    other_format = _other_format(found)
    if other_format:
        return harness.refuse("stale", f"stale: {other_format}")
    if runtime.spec_fingerprint_of(line) != fingerprint:
        return harness.refuse(
            "stale",
            "stale: its spec (or a file the spec runs) changed since it was built",
        )
    expected = project.expected_migration(key)
    if not check.agrees(data, expected):
        return harness.refuse(
            "edited",
            "edited: it is not what its spec generates (changed by hand?);"
            f" restore it with: contractspec build {key}, then review",
        )
    check.cache.put(entry, expected)
    harness.migration = _runnable(expected, fingerprint)
    return harness


class CheckedHarnesses(JsonCache):
    """Harnesses that agreed with their specs: the MIGRATION each holds, by the
    hash of the harness's bytes and of everything its spec's MIGRATION is
    made of (the spec's fingerprint, which covers the spec and the files it
    pins; its path; its resolved dependencies; its resolved scripts and
    statements). Same bytes and same inputs: the same answer as checking
    again. The schema includes the contractspec version (the generated
    preamble, the entry points and the harness format are that version's)."""

    def __init__(self, project: Project):
        from ... import __version__

        path = cache_dir(project.config.root) / "harnesses.marshal"
        super().__init__(path, f"contractspec-harnesses-1 {__version__}")

    def entry(self, project: Project, key: str, data: bytes, fingerprint: str) -> str:
        inputs = [
            self.key(data),
            fingerprint,
            str(project.config.root),
            project.specs[key].path,
            project.registry.dependencies(key),
            repr(project.resolution(key)),
        ]
        return self.key(json.dumps(inputs).encode("utf-8"))


ENTRY_POINT_IMPORTS = [["os"], ["sys"]]

# What build writes before MIGRATION, decoded as UTF-8: the three header lines
# (the first never a PEP 263 coding declaration, which would make Python read
# the file in another encoding), a docstring without quotes, backslashes or
# carriage returns (so: one plain string literal) and the entry points'
# imports. A harness that starts any other way is parsed instead.
PLAIN_PREAMBLE = re.compile(
    rb"# Code generated by contractspec from (?![^\n]*coding[:=])[^\r\n]*\n"
    rb"# contractspec-fingerprint: sha256:[0-9a-f]{64} MIGRATION=sha256:[0-9a-f]{64}\n"
    rb"# contractspec-format: [0-9]+\n"
    rb'"""[^"\\\r\x00]*"""\n\n'
    + re.escape("".join(f"import {n[0]}\n" for n in ENTRY_POINT_IMPORTS).encode())
    + rb"\n"
)


def _preamble_is_generated(body: list[ast.stmt]) -> bool:
    """A docstring, then exactly the entry points' imports."""
    if len(body) != len(ENTRY_POINT_IMPORTS) + 1:
        return False
    doc, *imports = body
    if not (isinstance(doc, ast.Expr) and isinstance(doc.value, ast.Constant)):
        return False
    names = [[a.name for a in i.names] for i in imports if isinstance(i, ast.Import)]
    return names == ENTRY_POINT_IMPORTS and not any(
        a.asname for i in imports if isinstance(i, ast.Import) for a in i.names
    )


def _migration_literal(data: bytes, tail: bytes) -> dict[str, object] | None:
    """A harness's MIGRATION, if the harness has exactly the generated shape.

    The shape: the entry points are this contractspec's, byte for byte, and
    before them come only a docstring, their imports and MIGRATION (literal
    data, never executed). Anything else is an edit, whatever MIGRATION says."""
    if not data.endswith(tail):
        return None
    try:
        tree = ast.parse(data[: len(data) - len(tail)])  # bytes: decoded as UTF-8
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        return None
    if not tree.body or not _preamble_is_generated(tree.body[:-1]):
        return None
    assign = tree.body[-1]
    if not (
        isinstance(assign, ast.Assign)
        and [ast.unparse(target) for target in assign.targets] == ["MIGRATION"]
    ):
        return None
    try:
        value = ast.literal_eval(assign.value)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return None
    return value if isinstance(value, dict) else None


class HarnessCheck:
    """Whether committed harnesses hold exactly what their specs generate.

    The fast way, for a harness as build wrote it: print the MIGRATION the
    spec generates (the printer build uses) and compare bytes, after a plain
    preamble and before this contractspec's entry points. Any other layout
    (black's, for a line too long to keep) is parsed and compared as data:
    slower, the same answer. No cache: printing costs what looking one up did.
    """

    def __init__(self, project: Project):
        folder = project.config.relative(project.config.harness_dir)
        self.prefix = "" if folder == "." else folder + "/"  # of harness paths shown
        self.cache = CheckedHarnesses(project)

    def agrees(self, data: bytes, expected: runtime.Migration) -> bool:
        """Whether a harness is the preamble, `expected` as MIGRATION, the tail."""
        from ...codegen.generate import tail_source
        from ...codegen.literals import migration_literal

        tail = tail_source().encode("utf-8")
        head = data[: len(data) - len(tail)]
        start = head.find(b"\nMIGRATION = ") + 1
        printed = f"MIGRATION = {migration_literal(expected)}\n"
        if (
            start
            and data.endswith(tail)
            and head[start:] == printed.encode("utf-8")
            and PLAIN_PREAMBLE.fullmatch(head, 0, start)
        ):
            return True
        return _migration_literal(data, tail) == expected


def _edit_diff(project: Project, harness: CommittedHarness) -> str:
    """The start of the diff that `contractspec build KEY` would make (for a refusal)."""
    from ... import writer
    from ...codegen.generate import generate
    from ...format import default_cache

    config = project.config
    wanted = generate(
        config,
        project.specs,
        project.registry,
        [harness.key],
        cache=default_cache(config.root),
    )
    try:
        old = _read_generated(project, harness.path)
    except FileRefused:
        old = None  # replaced since it was read: no diff to show
    new = wanted[0].source.encode("utf-8")
    change = writer.Change(harness.path, harness.display, writer.UPDATED, old, new)
    lines = writer.unified_diff(change).splitlines()
    shown = lines[2 : 2 + SHOWN_DIFF_LINES]  # the a/ b/ file names are said already
    if len(lines) > len(shown) + 2:
        shown.append("...")
    return "".join(f"\n      {line}" for line in shown)


def check_runtime_module(project: Project) -> str | None:
    """Why the harness folder's runtime package can't run (None: every file of
    it is this contractspec's runtime, byte for byte)."""
    from ...codegen.runtime_package import runtime_folder, runtime_sources

    folder = runtime_folder(project.config.harness_dir)
    for name, source in runtime_sources().items():
        display = project.config.relative(folder / name)
        try:
            data = _read_generated(project, folder / name)
        except FileRefused as exc:
            return f"{display} {exc}"
        if data is None:
            return f"{display}: missing (the runtime every harness loads)"
        if data != source.encode("utf-8"):
            return f"{display}: not this contractspec's runtime (another release, or edited)"
    return None


def read_harnesses(project: Project, keys: list[str]) -> list[CommittedHarness]:
    """The harnesses of keys, each checked (one that cannot run says why)."""
    if not keys:
        return []  # nothing pending: not even the cache is read
    check = HarnessCheck(project)
    with gc_paused():
        harnesses = [read_harness(project, key, check) for key in keys]
    check.cache.save(complete=set(keys) >= set(project.specs))
    return harnesses


def committed_harnesses(project: Project, keys: list[str]) -> list[CommittedHarness]:
    """The harnesses of keys; raise StaleError naming every one that cannot run
    (and the shared runtime package, when it can't)."""
    harnesses = read_harnesses(project, keys)
    bad = [h for h in harnesses if h.state != "ok"]
    runtime_problem = check_runtime_module(project) if keys else None
    if bad or runtime_problem:
        raise _refusal(project, bad, runtime_problem)
    return harnesses


def _refusal(
    project: Project, bad: list[CommittedHarness], runtime_problem: str | None
) -> StaleError:
    lines = [runtime_problem] if runtime_problem else []
    for h in bad[:SHOWN_REFUSALS]:
        lines.append(f"{h.display}: {h.problem} (harness of {h.key})")
        if h.state == "edited":
            lines[-1] += _edit_diff(project, h)
    if len(bad) > SHOWN_REFUSALS:  # after an upgrade it can be every harness
        lines.append(f"... and {len(bad) - SHOWN_REFUSALS} more")
    if bad:
        states: dict[str, int] = {}
        for h in bad:
            states[h.state] = states.get(h.state, 0) + 1
        counts = ", ".join(f"{n} {state}" for state, n in states.items())
        title = (
            f"{len(bad)} harness{'es' if len(bad) != 1 else ''} cannot run ({counts})"
        )
        fix = f"rebuild with: {REBUILD}"
    else:
        title = "the shared runtime module cannot run"
        fix = f"rebuild with: {REBUILD}; only that one file changes"
    return StaleError(f"{title}:\n  " + "\n  ".join(lines) + f"\n{fix}")


def harness_of_applied(
    project: Project, key: str, fingerprint: str
) -> CommittedHarness:
    """The committed harness of an applied migration whose spec is gone.

    With no spec to check it against, it must be the harness that was applied
    (its fingerprint header is the history's `fingerprint`), in this
    contractspec's format, next to this runtime, and reversible; its own
    MIGRATION is what runs."""
    from ...codegen.generate import tail_source
    from ...codegen.naming import harness_path

    path = harness_path(project.config, key)
    harness = CommittedHarness(key, path, project.config.relative(path))
    try:
        data = _read_generated(project, path)
    except FileRefused as exc:
        raise StaleError(f"{harness.display} {exc}") from None
    if data is None:
        raise MigrationFailed(
            f"{key} is applied, but neither its spec nor its harness {harness.display}"
            " is in this project; restore the harness from version control (git"
            f" checkout <commit> -- {harness.display}), then revert it again"
        ) from None
    found, line = _header(data)
    migration = _migration_literal(data, tail_source().encode("utf-8")) or {}
    problem = _other_format(found)
    if not problem and runtime.spec_fingerprint_of(line) != fingerprint:
        problem = (
            f"built from another spec than the one applied as {key} ({fingerprint});"
            " restore the harness that was applied"
        )
    if not problem and (
        migration.get("key") != key
        or runtime.fingerprint_value(fingerprint, migration) != line
    ):
        problem = "not in the generated shape, or not its MIGRATION (edited by hand?)"
    if not problem:
        problem = check_runtime_module(project)
    if problem:
        raise StaleError(f"{harness.display}: {problem}")
    if migration.get("down") is None:
        raise MigrationFailed(
            f"cannot revert {key}: irreversible (no down plan); nothing was reverted"
        )
    harness.migration = _runnable(migration, fingerprint)
    return harness
