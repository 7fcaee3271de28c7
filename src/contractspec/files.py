"""The project's own files.

Reading them (spec files, files a data step pins, pyproject.toml): regular
files inside the project after resolving symlinks, of bounded size, opened
without blocking. A symlink to /dev/zero, a FIFO or `../../etc/x` in a pull
request must not hang, exhaust or reach outside a CI runner.

Naming them: `relative_posix`, the one way a path is shown to people or
written into a generated file relative to another."""

from __future__ import annotations

import errno
import functools
import os
import stat
from dataclasses import dataclass
from pathlib import Path

from .errors import FileRefused
from .runtime.loader import NotReadable, read_regular_file

# [tool.contractspec] max_file_bytes: by default 10 MiB, at most what a
# harness reads of a file it pins (MAX_FILE_BYTES, 256 MiB).
DEFAULT_MAX_FILE_BYTES = 10 * 1024 * 1024
# What a refusal for size names, so that the fix is one search away.
LIMIT_SETTING = "(max_file_bytes in [tool.contractspec])"


@dataclass(frozen=True)
class FileLimits:
    roots: tuple[Path, ...]  # resolved: the project folder, then any extra roots
    max_bytes: int = DEFAULT_MAX_FILE_BYTES
    # What the roots are, as a refusal names them; None: the project's own
    # folders, which extra_roots can widen. `import` reads another tool's
    # folder: "the Sqitch project (/src/db)".
    scope: str | None = None

    @classmethod
    def unconfined(cls, max_bytes: int = DEFAULT_MAX_FILE_BYTES) -> FileLimits:
        """For a file read outside any project (e.g. `contractspec spec` by path,
        a cache entry), at most max_bytes."""
        return cls((Path(os.path.abspath(os.sep)),), max_bytes)


@functools.lru_cache(maxsize=4096)
def _real_folder(folder: str) -> str:
    """A folder's path with symlinks resolved (the hundreds of specs of a
    project share a few folders: resolving each file's whole path was a tenth
    of a warm `migrate up`)."""
    return os.path.realpath(folder)


def _realpath(path: Path) -> str:
    """os.path.realpath(path), resolving each folder once per process."""
    text = os.path.abspath(path)
    try:
        if not stat.S_ISLNK(os.lstat(text).st_mode):
            folder, name = os.path.split(text)
            return os.path.join(_real_folder(folder), name)
    except OSError:
        pass  # missing: realpath says where it would be, open() says why not
    return os.path.realpath(text)


def _inside(real: str, root: str) -> bool:
    return real == root or real.startswith(root.rstrip(os.sep) + os.sep)


def read_project_file(path: Path, limits: FileLimits) -> bytes:
    """The bytes of path; FileRefused (its message says why) when it resolves
    outside the roots, is not a regular file, or is larger than the limit.

    Read by the runtime's reader (a regular file, without blocking, bounded):
    one reader for the tool and the harnesses it writes. Strings and a bare
    file descriptor, not pathlib and file objects: this reads every spec on
    every command, hundreds of times."""
    real = _realpath(path)
    if not any(_inside(real, str(root)) for root in limits.roots):
        if limits.scope is not None:
            raise FileRefused(f"resolves to {real}, outside {limits.scope}")
        raise FileRefused(
            f"resolves to {real}, outside the project ({limits.roots[0]});"
            " add its folder to extra_roots in [tool.contractspec] to allow it"
        )
    try:
        return read_regular_file(real, limits.max_bytes)
    except NotReadable as exc:
        why = str(exc.strerror)
        if exc.errno == errno.EFBIG:  # the one refusal a setting changes
            why += f" {LIMIT_SETTING}"
        raise FileRefused(why) from None


def relative_posix(path: Path, base: Path, *, climb: bool = False) -> str:
    """`path` relative to `base`, with forward slashes: the one way paths are shown
    to people and written into generated files.

    Lexically when `path` lies under `base` as given (most paths are built from
    it: no syscalls), else after resolving symlinks. A path outside `base` is
    shown whole, or with climb=True (a reference that must stay relative, such
    as a harness's to its script) reached with `..` steps.
    """
    path, base = Path(path), Path(base)
    try:
        return path.relative_to(base).as_posix()
    except ValueError:
        pass
    try:
        return path.resolve().relative_to(base.resolve()).as_posix()
    except ValueError:
        return (
            Path(os.path.relpath(path, base)).as_posix() if climb else path.as_posix()
        )
