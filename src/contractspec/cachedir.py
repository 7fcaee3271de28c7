"""The project's cache folder, `<project>/.contractspec_cache/`: the one cache
layer, with one rule for every cache in it.

- **Keyed by content.** An entry's key is a hash of everything it is
  derived from, the version of what derived it included (a spec file's bytes
  and the loader's schema; a source text, black's version and our way of
  calling black). A change to any input is a new key: nothing is ever
  invalidated in place, an entry is only ever missed.
- **Checked, never trusted.** Every entry is sealed with a MAC under a key
  kept outside the project (`$XDG_CACHE_HOME/contractspec/cache.key`, made
  on first use, readable by its owner only). An entry edited by hand, or
  restored from another machine (a CI cache), does not verify and is
  rebuilt: a cache may only ever save time, never change what is built or
  run.
- **Read as every file is** (files.read_project_file: a regular file,
  without blocking, bounded): an entry that is a FIFO, a device or larger
  than the bound is a miss, never a hang.
- **As large as the project.** A run that saw the whole project keeps only
  the entries it used (`JsonCache.save`, `FileCache.prune`), so the folder
  never grows past one project's worth (a run that saw part of it keeps
  the rest: `JsonCache.save(complete=False)`).

Two storages: `JsonCache`, all entries in one file (small values, all read
by every command: loaded specs, harnesses checked against them, risks), and
`FileCache`, a file per entry (large values, read a few at a time: black's
output). A third folder, `scripts/`, holds what pointers point at
(runtime/pointers.py writes it): each file is named by the sha256 of its
bytes and verified against it when it is read, which is what the seal does
for the others; it is kept whole, as a folder that `--scripts-dir` can be
given on a machine without network. Everything in the folder is derived and
safe to delete; it marks itself ignored for git and for backup tools.
"""

from __future__ import annotations

import hashlib
import hmac
import marshal
import os
from functools import cache
from pathlib import Path
from typing import Any

from .errors import FileRefused
from .files import FileLimits, read_project_file
from .runtime.loader import MAX_FILE_BYTES

CACHE_DIR_NAME = ".contractspec_cache"
# How much of one cache file is read: past it, the entry is a miss.
_ENTRY = FileLimits.unconfined(MAX_FILE_BYTES)
_KEY = FileLimits.unconfined(64)


def cache_dir(root: Path) -> Path:
    return Path(root) / CACHE_DIR_NAME


def scripts_dir(root: Path) -> Path:
    """Pointers' scripts, by sha256 (made ready, ignored by git, when it can be)."""
    folder = cache_dir(root)
    try:
        prepare(folder)
    except OSError:  # only a fetch more next time
        pass
    return folder / "scripts"


@cache
def _key() -> bytes:
    """This user's sealing key; a key of this process alone when it can't be
    kept (then nothing verifies across runs: slower, never wrong)."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(
        os.path.expanduser("~"), ".cache"
    )
    path = Path(base) / "contractspec" / "cache.key"
    try:
        key = read_project_file(path, _KEY)
        if len(key) == 32:
            return key
    except FileRefused:
        pass
    key = os.urandom(32)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as file:
            file.write(key)
    except FileExistsError:  # another process made it first: use theirs
        try:
            theirs = read_project_file(path, _KEY)
        except FileRefused:
            theirs = b""
        return theirs if len(theirs) == 32 else key
    except OSError:
        pass
    return key


def _mac(name: str, body: bytes) -> bytes:
    """Keyed BLAKE2b (a MAC by design, as HMAC is for sha256) of the entry's
    name and body: under callgrind, half HMAC-SHA256's instructions per byte,
    and every command reads the whole of specs.marshal."""
    mac = hashlib.blake2b(name.encode("utf-8") + b"\0", key=_key(), digest_size=32)
    mac.update(body)
    return mac.hexdigest().encode("ascii")


def seal(name: str, body: bytes) -> bytes:
    """`<mac hex>\\n<body>`: the MAC covers the entry's name too, so an entry
    moved to another name does not verify either."""
    return _mac(name, body) + b"\n" + body


def unseal(name: str, data: bytes) -> bytes | None:
    """The body of a sealed entry, or None when it does not verify."""
    head, newline, body = data.partition(b"\n")
    if newline and hmac.compare_digest(head, _mac(name, body)):
        return body
    return None


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
    """JSON values by key, all in one sealed file (see the module's rule).

    Stored with marshal, not as JSON text: every command reads the whole of
    specs.marshal, and marshal reads it in a third of the instructions (the
    seal is checked first, so only what contractspec wrote is unmarshalled).
    Values are JSON's kinds of data (dicts, lists, strings, numbers, None),
    so they read back as they were put. The schema names what the values are and which contractspec
    made them; a file with another schema is ignored. Saving keeps exactly
    the entries this run used: every command that uses it reads the whole
    project.
    """

    def __init__(self, path: Path, schema: str):
        self.path, self.schema = path, schema
        try:
            body = unseal(path.name, read_project_file(path, _ENTRY))
            data = marshal.loads(body) if body is not None else {}
        except (FileRefused, ValueError, EOFError, TypeError):
            data = {}
        if not isinstance(data, dict) or data.get("schema") != schema:
            data = {}
        self.entries: dict[str, Any] = data.get("entries", {})
        self.used: dict[str, Any] = {}

    @staticmethod
    def key(content: bytes) -> str:
        return hashlib.blake2b(content, digest_size=32).hexdigest()

    def get(self, key: str) -> Any | None:
        value = self.entries.get(key)
        if value is not None:
            self.used[key] = value
        return value

    def put(self, key: str, value: Any) -> None:
        self.used[key] = value

    def save(self, complete: bool = True) -> None:
        """Write if anything changed; a cache that can't be written is only slower.

        complete=False: this run saw part of the project, so the entries it did
        not use are kept (and only new entries cause a write)."""
        if complete:
            if self.used.keys() != self.entries.keys():
                self.write(self.used)
        elif not self.used.keys() <= self.entries.keys():
            self.write({**self.entries, **self.used})

    def write(self, entries: dict[str, Any]) -> None:
        from .writer import atomic_write

        try:
            prepare(self.path.parent)
            body = marshal.dumps({"schema": self.schema, "entries": entries})
            data = seal(self.path.name, body)
            atomic_write(self.path, data, durable=False)
        except OSError:
            pass
        self.entries = dict(entries)


class FileCache:
    """Sealed values by key, a file each: `<folder>/<kind>/<2 hex>/<key><suffix>`
    (see the module's rule). `prune()`, after a run that saw the whole
    project, deletes the entries this process did not use."""

    def __init__(self, folder: Path, kind: str, suffix: str = ""):
        self.folder, self.kind, self.suffix = Path(folder), kind, suffix
        self._prepared = False
        self.used: set[str] = set()  # keys read or written by this process

    def _entry(self, key: str) -> Path:
        return self.folder / self.kind / key[:2] / f"{key}{self.suffix}"

    def get(self, key: str) -> bytes | None:
        self.used.add(key)
        try:
            return unseal(key, read_project_file(self._entry(key), _ENTRY))
        except FileRefused:
            return None

    def put(self, key: str, value: bytes) -> None:
        """Store; a cache that can't be written is only slower."""
        from .writer import atomic_write

        self.used.add(key)
        try:
            if not self._prepared:
                prepare(self.folder)
                self._prepared = True
            atomic_write(self._entry(key), seal(key, value), durable=False)
        except OSError:
            pass

    def prune(self) -> None:
        for entry in self.folder.glob(f"{self.kind}/*/*{self.suffix}"):
            if entry.name.removesuffix(self.suffix) not in self.used:
                entry.unlink(missing_ok=True)
