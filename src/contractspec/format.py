"""black, in its default mode: the only module that imports black.

Harnesses must survive a repository-wide `black --check`, so they are
formatted with `black.Mode()` — black's defaults, fixed in code. The user's
pyproject.toml settings for black are never read: the same spec gives the
same bytes everywhere.

Most of the time a build does not call black at all: codegen emits the
per-spec part of a harness (header, docstring, `MIGRATION`) in black's stable
style already, and within one black series that style does not change (black
changes it only in a year's first release). So under the series the emitter
writes (`EMITTED_STYLE`, the one pyproject.toml pins) a head is its own
black output, which the tests prove with black itself over the examples and
random specs (tests/test_codegen_property.py); under any other series black
formats it (`black_form`), so a harness is always exactly what the installed
black makes of it.

When black does run, it costs 100–200 ms per 200-line module, so a build never
formats whole harnesses. It formats the small per-spec part and, once, the
constant part (runtime and entry points) in the context it appears in;
results are cached on disk by content hash:

    <project>/.contractspec_cache/black/<2 hex>/<sha256>.py

The key covers this module's schema version, black's version and the
source text, so upgrading black or contractspec simply misses the cache;
entries are sealed and pruned by the cache layer's one rule (cachedir).
Cold builds of many specs format on every core (a process pool).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from .cachedir import FileCache, cache_dir

if TYPE_CHECKING:
    import black

# Bump when the way we call black changes (invalidates every cache entry).
FORMAT_SCHEMA = "contractspec-format-1"
# The black series whose stable style codegen writes (pyproject.toml pins it).
EMITTED_STYLE = "26"
# Below this many cache misses a process pool costs more than it saves.
PARALLEL_MIN = 8


class FormatError(RuntimeError):
    """black rejected generated code: a bug in contractspec, never in a spec."""


@cache
def black_version() -> str:
    """black's version without importing black (a build seldom needs black itself).

    black's own version module, which `black.__version__` reads too (importing
    importlib.metadata costs about half as much as contractspec's whole start)."""
    try:  # its .pyi has no py.typed beside it: mypy can't see that it is typed
        from _black_version import version  # type: ignore[import-untyped]
    except ImportError:  # pragma: no cover - a black that stopped shipping it
        from importlib.metadata import version as metadata_version

        return metadata_version("black")
    return str(version)


def emits_installed_style() -> bool:
    """Whether the installed black is the series whose style codegen writes."""
    return black_version().partition(".")[0] == EMITTED_STYLE


def _mode() -> black.Mode:
    import black

    return black.Mode()  # black's defaults; never the user's configuration


def format_source(source: str) -> str:
    """black.format_str in the default mode."""
    import black

    try:
        return black.format_str(source, mode=_mode())
    except Exception as exc:  # black.InvalidInput and friends
        raise FormatError(f"black could not format generated code: {exc}") from exc


def _format_chunk(sources: list[str]) -> list[str]:
    return [format_source(s) for s in sources]


def _workers() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def format_many(sources: Sequence[str], workers: int | None = None) -> list[str]:
    """Format every source, on every core when there are enough of them."""
    sources = list(sources)
    workers = _workers() if workers is None else workers
    if workers <= 1 or len(sources) < PARALLEL_MIN:
        return _format_chunk(sources)
    from concurrent.futures import BrokenExecutor, ProcessPoolExecutor

    import black  # noqa: F401  - imported before forking, so workers inherit it

    size = max(1, -(-len(sources) // (workers * 4)))
    chunks = [sources[i : i + size] for i in range(0, len(sources), size)]
    try:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            results = list(pool.map(_format_chunk, chunks))
    except (
        OSError,
        ImportError,
        NotImplementedError,
        BrokenExecutor,
    ):  # pragma: no cover
        # No usable multiprocessing here (sandboxes, a worker killed): same work, one core.
        return _format_chunk(sources)
    return [text for chunk in results for text in chunk]


class FormatCache(FileCache):
    """Formatted sources, by sha256 of (schema, black version, source), in the
    cache folder's `black/` (cachedir.FileCache: a build of every spec prunes
    what it did not use)."""

    def __init__(self, folder: Path):
        super().__init__(folder, "black", ".py")

    def key(self, source: str) -> str:
        digest = hashlib.sha256()
        digest.update(f"{FORMAT_SCHEMA}\0black {black_version()}\0".encode("ascii"))
        digest.update(source.encode("utf-8", "surrogatepass"))
        return digest.hexdigest()

    def text(self, key: str) -> str | None:
        body = self.get(key)  # None: missing, or edited or made elsewhere
        try:
            return None if body is None else body.decode("utf-8")
        except UnicodeDecodeError:  # pragma: no cover - the seal matched
            return None

    def put_text(self, key: str, text: str) -> None:
        self.put(key, text.encode("utf-8"))


def format_cached(
    sources: Sequence[str], cache: FormatCache | None, workers: int | None = None
) -> list[str]:
    """Format sources, reading and filling the cache; only the misses reach black."""
    if cache is None:
        return format_many(sources, workers)
    keys = [cache.key(s) for s in sources]
    results: list[str | None] = [cache.text(k) for k in keys]
    missing: dict[str, int] = {}  # key → first index (identical sources format once)
    for index, (key, result) in enumerate(zip(keys, results, strict=False)):
        if result is None:
            missing.setdefault(key, index)
    if missing:
        formatted = format_many([sources[i] for i in missing.values()], workers)
        by_key = dict(zip(missing, formatted, strict=False))
        for key, text in by_key.items():
            cache.put_text(key, text)
        results = [
            by_key[k] if r is None else r for k, r in zip(keys, results, strict=False)
        ]
    return [r for r in results if r is not None]


def black_form(
    sources: Sequence[str], cache: FormatCache | None, workers: int | None = None
) -> list[str]:
    """Sources that codegen emitted in black's style, as black leaves them: the
    sources themselves under the series the emitter writes, else black's output."""
    if emits_installed_style():
        return list(sources)
    return format_cached(sources, cache, workers)


def default_cache(root: Path) -> FormatCache:
    return FormatCache(cache_dir(root))
