"""The project's cache folder, `<project>/.contractspec_cache/`.

Everything in it is derived (black's output by content hash, loaded specs by
file hash) and safe to delete; it marks itself ignored for git and for
backup tools.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

CACHE_DIR_NAME = ".contractspec_cache"


def cache_dir(root: Path) -> Path:
    return Path(root) / CACHE_DIR_NAME


def prepare(folder: Path) -> None:
    """Create the folder with its .gitignore and CACHEDIR.TAG (raises OSError)."""
    folder.mkdir(parents=True, exist_ok=True)
    ignore = folder / ".gitignore"
    if not ignore.exists():
        ignore.write_text(
            "# Created by contractspec: derived data, safe to delete.\n*\n"
        )
    tag = folder / "CACHEDIR.TAG"
    if not tag.exists():
        tag.write_text(
            "Signature: 8a477f597d28d172789f06886806bc55\n"
            "# This file is a cache directory tag created by contractspec.\n"
        )


class JsonCache:
    """Values derived from content, by the content's sha256, in one JSON file.

    The schema names what the values are and which contractspec made them; a
    file with another schema is ignored. Saving keeps exactly the entries this
    run used, so the file never grows past the project.
    """

    def __init__(self, path: Path, schema: str):
        self.path, self.schema = path, schema
        try:
            data = json.loads(path.read_bytes())
        except (OSError, ValueError):
            data = {}
        self.entries: dict[str, Any] = (
            data.get("entries", {}) if data.get("schema") == schema else {}
        )
        self.used: dict[str, Any] = {}

    @staticmethod
    def key(content: bytes) -> str:
        return hashlib.sha256(content).hexdigest()

    def get(self, key: str) -> Any | None:
        value = self.entries.get(key)
        if value is not None:
            self.used[key] = value
        return value

    def put(self, key: str, value: Any) -> None:
        self.used[key] = value

    def save(self) -> None:
        """Write if anything changed; a cache that can't be written is only slower."""
        if self.used.keys() != self.entries.keys():
            self.write(self.used)

    def write(self, entries: dict[str, Any]) -> None:
        from .writer import atomic_write

        text = json.dumps(
            {"schema": self.schema, "entries": entries}, ensure_ascii=True
        )
        try:
            prepare(self.path.parent)
            atomic_write(self.path, text.encode("ascii"), durable=False)
        except OSError:
            pass
        self.entries = dict(entries)
