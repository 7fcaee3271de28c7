"""`contractspec owners`: the CODEOWNERS block that routes each migration's
review to its owners (codegen/codeowners.py says what it holds and where).

`owners` writes the block (creating it when there is none); `build` keeps an
existing one current through `block_change`; with `check`, both write
nothing and report a stale block with its diff.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .. import writer
from ..codegen.codeowners import (
    BEGIN,
    END,
    block_file,
    block_lines,
    new_file,
    notes,
    owned_files,
    repository,
)
from ..config import PYPROJECT
from ..errors import ConfigError
from ..files import relative_posix
from ..project import Project, open_project
from .results import OwnersResult


@dataclass(frozen=True)
class BlockChange:
    """What making the block current changes, and what it holds."""

    change: writer.Change
    gitlab: bool
    files: int  # the files it owns


def block_change(
    project: Project, gitlab: bool | None = None, *, create: bool = False
) -> BlockChange | None:
    """The change that makes the CODEOWNERS block current, in GitHub's form or
    (gitlab) GitLab's, by default the form it has; None when no CODEOWNERS
    holds a block and create is False (`build` only keeps a block current)."""
    config = project.config
    repo = repository(config)
    found = block_file(repo)
    if found is None and not create:
        return None
    if not config.owners:
        raise ConfigError(
            "no [tool.contractspec.owners] in"
            f" {PYPROJECT}: map each owner name to its code-host handles, e.g."
            ' team-core = ["@acme/core"]'
        )
    path, had_gitlab = found or (None, False)
    form = had_gitlab if gitlab is None else gitlab
    path = path or new_file(repo, form)
    keys = [spec.key for spec in project.registry.list()]
    owned = owned_files(
        [project.specs[key] for key in keys],
        {key: project.resolution(key) for key in keys},
        config,
        repo,
    )
    display = relative_posix(path, config.root, climb=True)
    change = writer.block_change(path, display, block_lines(owned, form), BEGIN, END)
    return BlockChange(change, form, len(owned))


def owners(
    project_dir: Path | None = None,
    *,
    gitlab: bool | None = None,
    check: bool = False,
    diff: bool = False,
) -> OwnersResult:
    """Write the block (check or diff: only say what would change)."""
    project = open_project(project_dir)
    made = block_change(project, gitlab, create=True)
    assert made is not None  # create=True
    change = made.change
    if not (check or diff):
        writer.apply([change])
    after = change.new if change.new is not None else change.path.read_bytes()
    lines = after.decode("utf-8").splitlines()
    return OwnersResult(
        path=change.display,
        status=change.status,
        host="gitlab" if made.gitlab else "github",
        files=made.files,
        stale=change.pending,
        diff=writer.unified_diff(change) if (check or diff) else "",
        notes=tuple(notes(lines, made.gitlab, change.path, repository(project.config))),
    )
