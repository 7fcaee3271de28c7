"""contractspec: declarative, reviewable, safe database migrations.

Spec files import the model from here:

    from contractspec import MigrationSpec, MigrationMeta, MigrationPlan, SchemaStep, DataStep, ValidationStep, MigrationCheck
"""

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
    "MigrationSpec",
    "SchemaStep",
    "ValidationStep",
    "__version__",
]
