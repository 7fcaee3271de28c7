"""What differs between SQLite and PostgreSQL, behind one interface (the
model is Alembic's per-dialect `impl`): a `Database` is one open connection
of one kind, and the rest of the runtime never asks which kind it has.

The subclasses live in sqlite.py and postgres.py; a Session opens the one
its URL names."""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, ClassVar

from .exits import MigrationError
from .urls import first_line, redact_url

if TYPE_CHECKING:
    import sqlite3
    from collections.abc import Callable, Iterator, Sequence
    from typing import Self

    import psycopg
    from psycopg.rows import TupleRow

    from .shapes import Row

    # The driver's connection: what a Python step receives.
    Connection = sqlite3.Connection | psycopg.Connection[TupleRow]
    Notice = Callable[[str], None]
    Params = Sequence[object]

TRANSIENT, TIMEOUT, PERMANENT = "transient", "timeout", "permanent"
LOCK_TIMEOUT = (
    "lock_timeout"  # a statement waited for a lock longer than lock_timeout_ms
)
RETRIED = (TRANSIENT, TIMEOUT, LOCK_TIMEOUT)  # the kinds of failure worth a retry
# How long a statement may wait for a lock (PostgreSQL's lock_timeout), and
# how many more attempts a step gets after a lock timeout: the defaults of
# `[tool.contractspec] lock_timeout_ms / lock_retries` and of a harness's options.
DEFAULT_LOCK_TIMEOUT_MS, DEFAULT_LOCK_RETRIES = 3000, 5


class Database:
    """One open connection, and the lock when it holds one.

    Our own SQL uses "?" placeholders. Statements of ours that return no rows
    go through defer(): on PostgreSQL every statement is a network round trip,
    so they are held back and sent in front of the next statement, in the
    same query text (the server runs it in order: only the number of round
    trips changes); SQLite runs in process and runs them at once."""

    name: ClassVar[str]  # the URL's kind: "sqlite" or "postgresql"
    begin: ClassVar[str]  # the statement that opens one migration's transaction
    ddl_types: ClassVar[dict[str, str]]  # {time}, {id}, {real} in our tables' DDL
    # A watchdog fires this long after a step's timeout: the server's own first.
    timeout_slack: ClassVar[float] = 0.0
    # Whether every statement waits for a lock at most lock_timeout_ms (and a
    # lock timeout is retried lock_retries times); SQLite has its busy timeout.
    bounds_lock_waits: ClassVar[bool] = False
    conn: Connection  # the driver's connection (what a Python step receives)
    lock: int | None = None  # the lock held (a file descriptor or a lock key)
    deferred: list[str]  # our statements waiting for the next round trip

    @classmethod
    def open(
        cls,
        target: str,
        *,
        lock: bool,
        lock_timeout: float,
        lock_timeout_ms: int,
        display: str,
        notice: Notice | None,
        secrets: Sequence[str],
    ) -> Self:
        """Connect (target: what parse_database_url found), and take the
        migration lock when asked, waiting up to lock_timeout seconds;
        MigrationError when either fails. lock_timeout_ms: how long any
        statement may wait for a lock (where bounds_lock_waits)."""
        raise NotImplementedError

    def close(self) -> None:
        """Close the connection and release the lock."""
        raise NotImplementedError

    def password(self) -> str | None:
        """The password the connection was made with, wherever the driver
        found it (the URL, the environment, a password or service file)."""
        return None

    def defer(self, statement: str) -> None:
        """Run one of our statements that returns no rows, now or in front of
        the next statement sent."""
        raise NotImplementedError

    def send_deferred(self) -> None:
        """Send the deferred statements now (before handing the connection over)."""

    def execute(self, query: str, params: Params = ()) -> None:
        """Run our own SQL, the deferred statements first."""
        raise NotImplementedError

    def select(self, query: str, params: Params = ()) -> list[Row]:
        """The rows of our own query (its last statement's), by column name."""
        raise NotImplementedError

    def write_and_commit(
        self,
        writes: list[tuple[str, Params]],
        events: list[tuple[object, ...]],
        commit: str,
    ) -> None:
        """Run our writes ((query, params) pairs), insert the event rows, and
        commit (`commit` is COMMIT, or a savepoint's RELEASE)."""
        raise NotImplementedError

    def run_sql(self, text: str) -> tuple[bool, tuple[object, ...] | None]:
        """Run user SQL, maybe several statements; return (got_row, row): the
        first row of the last statement that produced a result set."""
        raise NotImplementedError

    def run_to_end(self, text: str) -> None:
        """Run user SQL to its end, every row of every statement (a check
        that expects no error): an error on any of them raises."""
        self.run_sql(text)

    def execute_counted(self, statement: str) -> int:
        """Run one user statement (a batch); the rows it touched (-1: unknown)."""
        raise NotImplementedError

    def in_transaction(self) -> bool:
        raise NotImplementedError

    def savepoint_missing(self, exc: BaseException) -> bool:
        """Whether exc says that the savepoint rolled back to was never made."""
        return False

    def connection_lost(self) -> bool:
        """Whether the connection (and the lock with it) is gone."""
        return False

    def interrupt(self) -> None:
        """Stop the statement running on the connection (from another thread)."""
        raise NotImplementedError

    def settle_interrupt(self) -> None:
        """Wait for an interrupt that may still be on its way to land."""

    def classify(self, exc: BaseException, timed: bool) -> str:
        """TRANSIENT (worth a retry), LOCK_TIMEOUT, TIMEOUT or PERMANENT."""
        return TIMEOUT if isinstance(exc, TimeoutError) else PERMANENT

    def set_timeouts(self, timeout_ms: int | None, local: bool = True) -> None:
        """The server's own statement timeout for a step (None: back to the
        session's); local: for the transaction only. Deferred. (Lock waits
        stay bounded by the session's lock timeout.)"""

    def table_exists(self, name: str) -> bool:
        raise NotImplementedError

    def begin_read_only(self) -> None:
        """Open a read-only transaction (to verify a baseline)."""
        raise NotImplementedError

    def end_read_only(self) -> None:
        """Back to writing, once the read-only transaction is rolled back."""

    def drop_invalid_index(self, name: str) -> bool | None:
        """After an interrupted CREATE INDEX CONCURRENTLY of index `name` (an
        SQL name): None when there is no such index, False when it is valid
        (the build finished), True when it was invalid and is dropped now."""
        return None

    def drop_reindex_leftovers(self, kind: str, name: str) -> list[str]:
        """After an interrupted REINDEX INDEX|TABLE CONCURRENTLY (kind "index"
        or "table") of `name`: drop the invalid indexes it left; their names."""
        return []


@contextlib.contextmanager
def reading(what: str, display: str, secrets: Sequence[str]) -> Iterator[None]:
    """A database error while reading our tables (or settings), as a one-line
    MigrationError naming what was read from which database."""
    try:
        yield
    except MigrationError:
        raise
    except Exception as exc:
        message = f"cannot read {what} from {display}: {first_line(exc)}"
        raise MigrationError(redact_url(message, secrets)) from None
