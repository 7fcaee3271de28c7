"""The project's cache folder, `<project>/.contractspec_cache/`.

Everything in it is derived (black's output by content hash, loaded specs by
file hash) and safe to delete; it marks itself ignored for git and for
backup tools.
"""

from __future__ import annotations

from pathlib import Path

CACHE_DIR_NAME = ".contractspec_cache"


def cache_dir(root: Path) -> Path:
    return Path(root) / CACHE_DIR_NAME


def prepare(folder: Path) -> None:
    """Create the folder with its .gitignore and CACHEDIR.TAG (raises OSError)."""
    folder.mkdir(parents=True, exist_ok=True)
    ignore = folder / ".gitignore"
    if not ignore.exists():
        ignore.write_text("# Created by contractspec: derived data, safe to delete.\n*\n")
    tag = folder / "CACHEDIR.TAG"
    if not tag.exists():
        tag.write_text(
            "Signature: 8a477f597d28d172789f06886806bc55\n"
            "# This file is a cache directory tag created by contractspec.\n"
        )
