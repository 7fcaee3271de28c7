"""The harness runtime: standard-library code (psycopg imported for
postgresql:// URLs) that runs migrations. docs/runtime.md says what it does.

`contractspec build` writes these files, each under a generated-code marker
and its own fingerprint, into every harness folder as the package
`_contractspec_runtime/`, which the harnesses beside it load by path; the
orchestrator (`contractspec migrate`) imports the same code as
`contractspec.runtime`. So the modules import one another relatively, never
anything of contractspec's, and every module is imported here, when the
package loads (a harness's loader checks each file as it is imported).

    exits      exit codes (contractspec's one table), exceptions
    signals    SIGINT and SIGTERM: the running statement interrupted, 130/143
    shapes     TypedDicts: MIGRATION, its steps and checks, results, rows
    clock      times as the runtime writes them
    urls       database URLs, and passwords kept out of every text
    harness    a harness's header, and its MIGRATION checked against it
    lock       the migration lock (a file lock; an advisory lock)
    tables     contractspec_history and contractspec_events
    dialect    Database: what differs between SQLite and PostgreSQL
    sqlite, postgres   the two Databases
    session    Session: one connection and the lock; reading our tables
    events     the events of one run
    watchdog   timeouts the database cannot keep by itself
    steps      one step in the transaction: checks, timeouts, attempts
    outside    steps outside the transaction, batches, resuming
    preview    `python harness.py plan`
    migration  one migration's run: its transaction, its history row
    baseline   recording a migration as applied without running it
    cli        a harness's command line
"""

from .baseline import apply_baseline
from .cli import runtime_main
from .dialect import DEFAULT_LOCK_RETRIES, DEFAULT_LOCK_TIMEOUT_MS, Database
from .exits import (
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_PARTIAL,
    EXIT_SPEC,
    EXIT_USAGE,
    Interrupted,
    MigrationError,
    interrupt_code,
)
from .harness import (
    HARNESS_FORMAT,
    fingerprint_value,
    harness_fingerprint,
    harness_header,
    harness_migration,
    spec_fingerprint_of,
)
from .migration import apply_down, apply_up, run_migration
from .outside import partly_applied
from .preview import atomicity, plan_text
from .session import (
    Session,
    lock_setting_problem,
    open_session,
    outer_transaction,
    read_events,
    read_history,
    rehearsal,
)
from .shapes import Check, Event, HistoryRow, Migration, Result, Row, Step
from .signals import interruptible
from .urls import (
    DATABASE_ENV,
    DEFAULT_DATABASE_URL,
    database_secrets,
    parse_database_url,
    redact_url,
)

__all__ = [
    "DATABASE_ENV",
    "DEFAULT_DATABASE_URL",
    "DEFAULT_LOCK_RETRIES",
    "DEFAULT_LOCK_TIMEOUT_MS",
    "EXIT_FAILED",
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "EXIT_PARTIAL",
    "EXIT_SPEC",
    "EXIT_USAGE",
    "HARNESS_FORMAT",
    "Check",
    "Database",
    "Event",
    "HistoryRow",
    "Interrupted",
    "Migration",
    "MigrationError",
    "Result",
    "Row",
    "Session",
    "Step",
    "apply_baseline",
    "apply_down",
    "apply_up",
    "atomicity",
    "database_secrets",
    "fingerprint_value",
    "harness_fingerprint",
    "harness_header",
    "harness_migration",
    "interrupt_code",
    "interruptible",
    "lock_setting_problem",
    "open_session",
    "outer_transaction",
    "parse_database_url",
    "partly_applied",
    "plan_text",
    "read_events",
    "read_history",
    "redact_url",
    "rehearsal",
    "run_migration",
    "runtime_main",
    "spec_fingerprint_of",
]
