"""contractspec: declarative, reviewable, safe database migrations.

Spec files import the model from here:

    from contractspec import MigrationSpec, MigrationMeta, MigrationPlan, SchemaStep, DataStep, ValidationStep, MigrationCheck

Programs register specs of their own with `MigrationRegistry`, and drive
projects through `contractspec.api` (docs/api.md).

The names load on first use (PEP 562), so that importing the package costs
nothing: the `contractspec` command (entry.py) installs its signal handlers
before anything else of ours is loaded.
"""

from __future__ import annotations

import importlib

TYPE_CHECKING = False  # not typing's: importing typing would cost more than the rest
if TYPE_CHECKING:
    from .registry import MigrationRegistry
    from .spec import (
        DataStep,
        MigrationCheck,
        MigrationMeta,
        MigrationPlan,
        MigrationSpec,
        SchemaStep,
        ValidationStep,
    )

__version__ = "0.1.0"

_EXPORTS = {
    "DataStep": "spec",
    "MigrationCheck": "spec",
    "MigrationMeta": "spec",
    "MigrationPlan": "spec",
    "MigrationRegistry": "registry",
    "MigrationSpec": "spec",
    "SchemaStep": "spec",
    "ValidationStep": "spec",
}

__all__ = [
    "DataStep",
    "MigrationCheck",
    "MigrationMeta",
    "MigrationPlan",
    "MigrationRegistry",
    "MigrationSpec",
    "SchemaStep",
    "ValidationStep",
    "__version__",
]


def __getattr__(name: str) -> object:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value  # looked up once
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_EXPORTS})
