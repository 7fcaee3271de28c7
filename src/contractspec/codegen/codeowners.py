"""The CODEOWNERS block: who reviews each migration's files.

Each migration's spec file, its harness and the files it pins (the `.sql`
and `.py` files its steps run) are owned by the code-host handles of its
owners, as `[tool.contractspec.owners]` maps them (an owner that is an email
address is a handle as it is); a file that several migrations pin is owned
by all of their owners. Any other owner the map lacks is a spec error at the
owner.

Where: the repository's root is the nearest folder holding `.git` (else the
project's folder), and each host reads the first CODEOWNERS it finds there:
GitHub `.github/`, the root, `docs/`; GitLab the root, `docs/`, `.gitlab/`.
A block stays in the file that has it; a new one goes at the end of the
first file the host reads, or into a new one: `.github/CODEOWNERS`
(`.gitlab/CODEOWNERS`) when that folder exists, else `CODEOWNERS`.

The last matching line decides (GitHub), within a section (GitLab, whose
sections all apply): so lines after the block win over it, and on GitLab
the lines after it belong to its section until a header of their own.

Paths are anchored at the root (`/migrations/x.py`) and written as the
gitignore patterns both hosts read: a backslash before a space and before
each of `\\ # * ? [ ]`, so each names exactly its file. A name with a line
break, a tab or another control character can't be written in CODEOWNERS
(its lines and fields are split on them): a ConfigError asks for a rename.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from pathlib import Path

from ..config import PYPROJECT, Config
from ..errors import ConfigError, Diagnostic, SpecError
from ..files import relative_posix
from ..loader import LoadedSpec
from ..vcs import repository_root
from .naming import harness_path
from .scripts import Resolution

BEGIN = "# BEGIN contractspec owners"
END = "# END contractspec owners"
SECTION = "[contractspec]"  # GitLab: the block's own section
HEADER = [
    BEGIN,
    "# Generated from each migration's owners and [tool.contractspec.owners] by",
    "# `contractspec owners`; `contractspec build` keeps it current: edit those, not this.",
]
# Where each host looks, in its order (GitHub's and GitLab's documentation).
GITHUB = (".github/CODEOWNERS", "CODEOWNERS", "docs/CODEOWNERS")
GITLAB = ("CODEOWNERS", "docs/CODEOWNERS", ".gitlab/CODEOWNERS")
_SPECIAL = re.compile(r"([\\ #*?\[\]])")
_UNWRITABLE = re.compile(r"[\x00-\x1f\x7f]")
_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")  # a TOML key without quotes


def repository(config: Config) -> Path:
    """The root a code host reads CODEOWNERS from: the git repository's, else the project's."""
    return repository_root(config.root) or config.root


def block_file(repo: Path) -> tuple[Path, bool] | None:
    """The CODEOWNERS file that holds the block (or one of its markers: the
    writer says what is wrong with it), and whether it is GitLab's (a section
    line in it); None when no candidate file holds one."""
    for name in dict.fromkeys((*GITHUB, *GITLAB)):
        path = repo / name
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError):
            continue
        stripped = [line.strip() for line in lines]
        marked = [
            i
            for i, line in enumerate(stripped)
            if line.startswith(BEGIN) or line == END
        ]
        if marked:
            block = stripped[marked[0] :]
            return path, SECTION in block[: block.index(END) if END in block else None]
    return None


def new_file(repo: Path, gitlab: bool) -> Path:
    """Where a new block goes: the first file the host reads that exists, else
    a new one in the host's own folder when it exists, else at the root."""
    order = GITLAB if gitlab else GITHUB
    for name in order:
        if (repo / name).is_file():
            return repo / name
    folder = repo / (".gitlab" if gitlab else ".github")
    return folder / "CODEOWNERS" if folder.is_dir() else repo / "CODEOWNERS"


def owned_files(
    specs: Iterable[LoadedSpec],
    resolutions: Mapping[str, Resolution],
    config: Config,
    repo: Path,
) -> dict[str, tuple[str, ...]]:
    """Each migration file, relative to repo (posix), with its owners' handles
    in order. Raises SpecError at every owner the map lacks."""
    owners: dict[str, dict[str, None]] = {}
    missing: list[Diagnostic] = []
    for loaded in specs:
        handles: dict[str, None] = {}
        for index, name in enumerate(loaded.spec.meta.owners):
            mapped = config.handles(name)
            if mapped is None:
                missing.append(_unmapped(loaded, index, name))
            else:
                handles.update(dict.fromkeys(mapped))
        resolution = resolutions[loaded.key]
        pinned = [
            Path(os.path.normpath(config.harness_dir / step.script_path))
            for step in resolution.steps.values()
            if step.script_path is not None
        ]
        files = [config.root / loaded.path, harness_path(config, loaded.key), *pinned]
        for file in files:
            if file.resolve().is_relative_to(repo.resolve()):
                owners.setdefault(relative_posix(file, repo), {}).update(handles)
    if missing:
        raise SpecError(missing)
    return {path: tuple(owners[path]) for path in sorted(owners)}


def _unmapped(loaded: LoadedSpec, index: int, name: str) -> Diagnostic:
    key = name if _BARE_KEY.fullmatch(name) else '"' + name.replace('"', '\\"') + '"'
    return loaded.diagnostic(
        ("meta", "owners", index),
        f'owner {name!r} has no code-host handles: add {key} = ["@org/team"]'
        f" to [tool.contractspec.owners] in {PYPROJECT}",
    )


def block_lines(owned: Mapping[str, tuple[str, ...]], gitlab: bool) -> list[str]:
    """The block, marker to marker: a line per file, its owners after it."""
    rules = [" ".join([pattern(path), *handles]) for path, handles in owned.items()]
    return [*HEADER, *([SECTION] if gitlab else []), *rules, END]


def pattern(path: str) -> str:
    """A root-relative posix path as a CODEOWNERS pattern naming that file alone."""
    if _UNWRITABLE.search(path):
        raise ConfigError(
            f"{path!r} can't be named in CODEOWNERS: its name holds a line break,"
            " a tab or another control character; rename the file"
        )
    return "/" + _SPECIAL.sub(r"\\\1", path)


def notes(lines: list[str], gitlab: bool, path: Path, repo: Path) -> list[str]:
    """What may keep the block from deciding: another file the host reads
    first, and the rule lines after the block."""
    found: list[str] = []
    shown = relative_posix(path, repo)
    host, order = ("GitLab", GITLAB) if gitlab else ("GitHub", GITHUB)
    if shown not in order:
        found.append(
            f"{host} does not read {shown}: move the block's lines to {order[0]}"
        )
    for name in order:
        if name == shown:
            break
        if (repo / name).is_file():
            found.append(
                f"{host} reads {name} and ignores {shown}: move the block's lines there"
            )
            break
    stripped = [line.strip() for line in lines]
    after = stripped.index(END) + 1 if END in stripped else len(stripped)
    rules = []
    for number, line in enumerate(stripped[after:], start=after + 1):
        if gitlab and (line.startswith("[") or line.startswith("^[")):
            break  # a section of its own
        if line and not line.startswith("#"):
            rules.append(number)
    if rules and gitlab:
        found.append(
            f"{shown}:{rules[0]}: the rules after the block belong to its"
            f" {SECTION} section; give them a section header of their own"
        )
    elif rules:
        found.append(
            f"{shown}:{rules[0]}: {len(rules)} rule line(s) after the block win over"
            " it for the files they match (the last matching line decides)"
        )
    return found
