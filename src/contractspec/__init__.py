"""contractspec: declarative, reviewable, safe database migrations.

Spec files import the model from here:

    from contractspec import MigrationSpec, MigrationMeta, MigrationPlan, SchemaStep, DataStep, ValidationStep, MigrationCheck

Programs register specs of their own with `MigrationRegistry`, and drive
projects through `contractspec.api` (docs/api.md).
"""

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
