"""The runtime package beside the harnesses (`_contractspec_runtime/`): its
files as build writes them. Apart from the rest of codegen because `migrate`
checks the folder's copy on every run and needs nothing else of codegen."""

from __future__ import annotations

import functools
from pathlib import Path

from ..fingerprint import sha256_bytes
from ..writer import MARKER_PREFIX
from .render import RUNTIME_NAME


@functools.cache
def runtime_sources() -> dict[str, str]:
    """The runtime package's files (name → source), as build writes them: each
    under the marker and the fingerprint of the rest, which a harness's loader
    checks before it runs the file."""
    folder = Path(__file__).resolve().parents[1] / "runtime"
    sources = {}
    for path in sorted(folder.glob("*.py")):
        source = path.read_text(encoding="utf-8")
        fingerprint = sha256_bytes(source.encode("utf-8"))
        sources[path.name] = (
            f"{MARKER_PREFIX}contractspec/runtime/{path.name}. DO NOT EDIT.\n"
            f"# contractspec-fingerprint: sha256:{fingerprint}\n{source}"
        )
    return sources


def runtime_folder(harness_dir: Path) -> Path:
    return harness_dir / RUNTIME_NAME
