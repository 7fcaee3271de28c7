"""How a harness loads this package from the folder beside it.

A harness's entry points run this file from its source and call load(): it
imports the package `_contractspec_runtime` from the folder, every file
compiled from its own bytes (never a __pycache__ copy) once they match the
fingerprint line that `contractspec build` wrote above them, so that a file
edited by accident is refused before anything runs. It checks itself first,
before the rest of it runs. The package never imports this module.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.abc
import importlib.util
import os
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Sequence
    from importlib.machinery import ModuleSpec
    from types import ModuleType

PACKAGE = "_contractspec_runtime"  # the folder's name, and the package's
_FINGERPRINT = b"# contractspec-fingerprint: sha256:"
_REBUILD = "restore it with: contractspec build --all"


def checked_source(path: str) -> bytes:
    """A runtime file's bytes; ImportError unless they are what build wrote:
    the marker line, the fingerprint line, then what it fingerprints."""
    try:
        with open(path, "rb") as file:
            data = file.read()
    except OSError as exc:
        raise ImportError(f"{path}: {exc.strerror}; {_REBUILD}") from None
    rest = data.partition(b"\n")[2]
    line, _, rest = rest.partition(b"\n")
    if line != _FINGERPRINT + hashlib.sha256(rest).hexdigest().encode("ascii"):
        message = (
            f"{path} is not the file contractspec build wrote (edited?); {_REBUILD}"
        )
        raise ImportError(message)
    return data


if not __name__.startswith("contractspec."):  # run by a harness: itself first
    checked_source(__file__)


class _SourceFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Finds the package's modules in its folder and runs each from source."""

    def __init__(self, folder: str) -> None:
        self.folder = folder

    def find_spec(
        self,
        fullname: str,
        path: Sequence[str] | None,
        target: ModuleType | None = None,
    ) -> ModuleSpec | None:
        package, _, module = fullname.partition(".")
        if package != PACKAGE:
            return None
        file = os.path.join(self.folder, (module or "__init__") + ".py")
        return importlib.util.spec_from_file_location(
            fullname,
            file,
            loader=self,
            submodule_search_locations=None if module else [self.folder],
        )

    def create_module(self, spec: ModuleSpec) -> None:
        return None  # the default module

    def exec_module(self, module: ModuleType) -> None:
        path = str(module.__file__)
        exec(compile(checked_source(path), path, "exec"), module.__dict__)


def load(folder: str) -> ModuleType:
    """Import the package from folder, in place of one loaded from elsewhere."""
    for name in [name for name in sys.modules if name.partition(".")[0] == PACKAGE]:
        del sys.modules[name]
    finder = _SourceFinder(folder)
    sys.meta_path.insert(0, finder)
    try:
        return importlib.import_module(PACKAGE)
    finally:
        sys.meta_path.remove(finder)
