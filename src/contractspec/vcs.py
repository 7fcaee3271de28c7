"""git: what changed (for `lint --changed-since REF`, a pull request's base),
and where the repository's root is (where a code host reads CODEOWNERS)."""

from __future__ import annotations

import subprocess
from pathlib import Path

from .errors import UsageError


def _git(root: Path, *args: str) -> list[str]:
    try:
        result = subprocess.run(
            ["git", "-C", str(root), *args],
            capture_output=True,
            text=True,
            encoding="utf-8",
        )
    except FileNotFoundError:
        raise UsageError(
            "--changed-since needs git, and git is not installed"
        ) from None
    if result.returncode != 0:
        problem = result.stderr.strip().splitlines()
        raise UsageError(
            f"git {args[0]} failed: {problem[-1] if problem else result.returncode}"
        )
    return [line for line in result.stdout.splitlines() if line]


def changed_files(root: Path, ref: str) -> set[str]:
    """Files under root, root-relative and posix, that differ from ref or are new and untracked."""
    changed = _git(root, "diff", "--name-only", "--relative", ref, "--")
    untracked = _git(root, "ls-files", "--others", "--exclude-standard")
    return set(changed) | set(untracked)


def repository_root(start: Path) -> Path | None:
    """The nearest folder at or above start that holds `.git` (a folder, or the
    file of a worktree or submodule): where git, and so a code host, has the
    repository's root. None outside a repository. Found without running git."""
    start = start.resolve()
    for folder in (start, *start.parents):
        if (folder / ".git").exists():
            return folder
    return None
