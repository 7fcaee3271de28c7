"""The harness runtime: standard-library code that `contractspec build` writes
once per harness folder, as ``_contractspec_runtime.py``, for the harnesses
beside it to load (see ``harness_runtime.py`` and docs/runtime.md).

``harness_runtime`` is also importable as an ordinary module, which is how the
tests and the orchestrator reach the same functions without a harness.
"""

from __future__ import annotations

from pathlib import Path


def runtime_source() -> str:
    """The exact text that codegen pastes into every harness."""
    return Path(__file__).with_name("harness_runtime.py").read_text(encoding="utf-8")
