"""`contractspec import sqitch|flyway`: another tool's migrations as specs.

Each change (Sqitch) or versioned script (Flyway) becomes one spec file,
written with the project's spec template and black, named by our
`domain.db.slug` convention. The SQL is copied into the spec, so the spec is
what is reviewed from then on; it is read in the project's dialect (else the
other tool's: `common.project_dialect`), without the scripts' own
transaction statements, and split where a statement can't run in a
transaction (`scripts`). What cannot be expressed (Sqitch conflicts,
cross-project dependencies, Flyway repeatable scripts, callbacks,
placeholders...) is reported, never silently lost. Every file is read through
the one bounded reader (`common.Sources`); nothing is written unless every
spec can be, loads and fits the project's graph (`writing`).

Then `contractspec build --all`, and either `migrate up` (a new database) or
`migrate baseline --all --verify` (a database the old tool migrated).
"""

from .common import Imported
from .flyway import import_flyway
from .scripts import strip_transaction
from .sqitch import import_sqitch

__all__ = ["Imported", "import_flyway", "import_sqitch", "strip_transaction"]
