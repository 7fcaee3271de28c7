"""The runtime's one reader of files, and how a harness loads this package
from the folder beside it.

`read_regular_file` reads every file the runtime reads (the files of this
folder, a harness, the files a step pins): a regular file, opened without
blocking, of bounded size, so that a FIFO or a symlink to /dev/zero put in
its place neither hangs a run nor exhausts its memory.

A harness's entry points run this file from its source and call load(): it
imports the package `_contractspec_runtime` from the folder, every file
compiled from its own bytes (never a __pycache__ copy) once they match the
fingerprint line that `contractspec build` wrote above them, so that a file
edited by accident is refused before anything runs. It checks itself first,
before the rest of it runs. The package imports only the reader from here.
"""

from __future__ import annotations

import errno
import hashlib
import os
import stat
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Sequence
    from importlib.machinery import ModuleSpec
    from types import ModuleType

PACKAGE = "_contractspec_runtime"  # the folder's name, and the package's
# The most the runtime reads of one file (a pinned .sql or .py file, a
# harness); a project's max_file_bytes can be no more, so that whatever
# `build` pinned a harness can read. Runtime files are a few kB each.
MAX_FILE_BYTES = 256 * 1024 * 1024
_MAX_SOURCE_BYTES = 1024 * 1024
_FINGERPRINT = b"# contractspec-fingerprint: sha256:"
_REBUILD = "restore it with: contractspec build --all"


class NotReadable(OSError):
    """A file the runtime did not read. Its strerror says why, as words to
    put after the file's name: `is not a regular file (...)`, `is 2000 bytes,
    more than the limit of 1000` (errno EFBIG), `cannot be read: ...`."""


def read_regular_file(path: str, limit: int = MAX_FILE_BYTES) -> bytes:
    """The bytes of path; NotReadable when it can't be opened, is not a regular
    file (a folder, a FIFO, a device) or holds more than limit bytes. Opened
    without blocking, so a FIFO is refused instead of waited on; read up to
    limit + 1 bytes, so a file that grows meanwhile is refused too."""
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        raise NotReadable(exc.errno, f"cannot be read: {exc.strerror}") from None
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise NotReadable(errno.EISDIR, "is a folder, not a file")
        if not stat.S_ISREG(info.st_mode):
            why = "is not a regular file (a FIFO, socket or device)"
            raise NotReadable(errno.ENODEV, why)
        if info.st_size > limit:
            too_large = f"is {info.st_size} bytes, more than the limit of {limit}"
            raise NotReadable(errno.EFBIG, too_large)
        chunks, size = [], 0
        while size <= limit:
            chunk = os.read(
                fd, min(limit + 1 - size, max(info.st_size + 1 - size, 65536))
            )
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    finally:
        os.close(fd)
    if size > limit:
        too_large = f"grew past the limit of {limit} as it was read"
        raise NotReadable(errno.EFBIG, too_large)
    return b"".join(chunks)


def checked_source(path: str) -> bytes:
    """A runtime file's bytes; ImportError unless they are what build wrote:
    the marker line, the fingerprint line, then what it fingerprints."""
    try:
        data = read_regular_file(path, _MAX_SOURCE_BYTES)
    except NotReadable as exc:
        raise ImportError(f"{path} {exc.strerror}; {_REBUILD}") from None
    rest = data.partition(b"\n")[2]
    line, _, rest = rest.partition(b"\n")
    if line != _FINGERPRINT + hashlib.sha256(rest).hexdigest().encode("ascii"):
        message = (
            f"{path} is not the file contractspec build wrote (edited?); {_REBUILD}"
        )
        raise ImportError(message)
    return data


if __name__ == PACKAGE + "_loader":  # run by a harness's entry points: itself first
    checked_source(__file__)


def load(folder: str) -> ModuleType:
    """Import the package from folder, in place of one loaded from elsewhere."""
    # Here, not at the top: the package imports this module for its reader,
    # and importlib.abc costs more to import than the rest of it.
    import importlib
    import importlib.abc
    import importlib.util

    class SourceFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
        """Finds the package's modules in folder and runs each from source."""

        def find_spec(
            self,
            fullname: str,
            path: Sequence[str] | None,
            target: ModuleType | None = None,
        ) -> ModuleSpec | None:
            package, _, module = fullname.partition(".")
            if package != PACKAGE:
                return None
            file = os.path.join(folder, (module or "__init__") + ".py")
            return importlib.util.spec_from_file_location(
                fullname,
                file,
                loader=self,
                submodule_search_locations=None if module else [folder],
            )

        def create_module(self, spec: ModuleSpec) -> None:
            return None  # the default module

        def exec_module(self, module: ModuleType) -> None:
            path = str(module.__file__)
            exec(compile(checked_source(path), path, "exec"), module.__dict__)

    for name in [name for name in sys.modules if name.partition(".")[0] == PACKAGE]:
        del sys.modules[name]
    finder = SourceFinder()
    sys.meta_path.insert(0, finder)
    try:
        return importlib.import_module(PACKAGE)
    finally:
        sys.meta_path.remove(finder)
