"""A Session: one connection and the migration lock, shared by many
migrations; and reading our tables through it."""

from __future__ import annotations

import contextlib
import getpass
import os
import socket
import uuid
from typing import IO, TYPE_CHECKING, cast

from .dialect import DEFAULT_LOCK_RETRIES, DEFAULT_LOCK_TIMEOUT_MS, reading
from .exits import EXIT_SPEC, EXIT_USAGE, MigrationError
from .postgres import PostgreSQL
from .signals import unwatch, watch
from .sqlite import SQLite
from .tables import EVENT_COLUMNS, HISTORY_COLUMNS, TABLES_DDL
from .urls import database_secrets, first_line, parse_database_url, redact_url

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from .dialect import Connection, Database, Notice, Params
    from .events import Run
    from .shapes import Event, HistoryRow, Row

    # An audit log: a file to append JSON lines to, or an open text stream.
    AuditLog = str | os.PathLike[str] | IO[str]

DATABASES: dict[str, type[Database]] = {
    SQLite.name: SQLite,
    PostgreSQL.name: PostgreSQL,
}
_MIGRATION_SAVEPOINT = "contractspec_migration"


class Session:
    """One connection and the migration lock, shared by many migrations.

    Harness folders each hold their own copy of this runtime (and the
    orchestrator uses the installed one); a Session works with the functions
    of its own copy."""

    def __init__(
        self,
        database: str,
        lock_timeout: float = 30.0,
        audit_log: AuditLog | None = None,
        out: IO[str] | None = None,
        lock: bool = True,
        notice: Notice | None = None,
        lock_timeout_ms: int = DEFAULT_LOCK_TIMEOUT_MS,
        lock_retries: int = DEFAULT_LOCK_RETRIES,
    ) -> None:
        check_lock_settings(lock_timeout_ms, lock_retries)
        self.dialect, target = parse_database_url(database)
        self.secrets = database_secrets(database)
        self.database, self.out = redact_url(database, self.secrets), out
        try:
            user = getpass.getuser()
        except Exception:
            user = "unknown"
        self.applied_by = f"{user}@{socket.gethostname()}"
        self.run_id = uuid.uuid4().hex
        self.tables_ready = False
        # {key: history row}, once read under the lock: only this session can
        # change the history then, and it keeps this current as it commits.
        self.applied: dict[str, HistoryRow] | None = None
        self.outer = False  # inside outer_transaction(): a migration is a savepoint
        # --single-transaction: the runs applied inside the outer transaction
        # and the one that failed there, whose events are written once it is
        # rolled back (the applied ones' went with it).
        self.applied_inside: list[Run] = []
        self.failed_inside: Run | None = None
        self.notes: Callable[[str], None] | None = None  # a long step's progress
        self.audit, self._own_audit = _open_audit(audit_log)
        try:
            self.db: Database = DATABASES[self.dialect].open(
                target,
                lock=lock,
                lock_timeout=lock_timeout,
                lock_timeout_ms=lock_timeout_ms,
                display=self.database,
                notice=notice,
                secrets=self.secrets,
            )
        except BaseException:
            self._close_audit()
            raise
        # The password libpq used may come from PGPASSWORD, ~/.pgpass or a
        # service file, not the URL: masked too, wherever a message repeats it.
        used = self.db.password()
        if used:
            self.secrets = database_secrets(database, used)
        watch(self.db)  # a signal interrupts its statement
        # A step's attempts after a lock timeout: none where lock waits are not bounded.
        self.lock_timeout_ms = lock_timeout_ms
        self.lock_retries = lock_retries if self.db.bounds_lock_waits else 0

    @property
    def conn(self) -> Connection:
        """The driver's connection (what a Python step receives)."""
        return self.db.conn

    @property
    def lock(self) -> int | None:
        """The migration lock this session holds, if any."""
        return self.db.lock

    def close(self) -> None:
        unwatch(self.db)
        self.db.close()
        self._close_audit()

    def _close_audit(self) -> None:
        if self._own_audit and self.audit is not None:
            self.audit.close()
        self.audit = None

    def begin(self) -> str:
        """The statement that opens one migration's transaction (a savepoint
        inside a rehearsal's outer transaction)."""
        return f"SAVEPOINT {_MIGRATION_SAVEPOINT}" if self.outer else self.db.begin

    def rollback(self) -> str | None:
        """Roll back if a transaction is open; return an error text or None."""
        self.db.deferred.clear()  # pointless now (a deferred BEGIN: no transaction)
        try:
            if self.db.in_transaction():
                if self.outer:  # only this migration: the rehearsal goes on
                    self.db.conn.execute(
                        f"ROLLBACK TO SAVEPOINT {_MIGRATION_SAVEPOINT}"
                    )
                    self.db.conn.execute(f"RELEASE SAVEPOINT {_MIGRATION_SAVEPOINT}")
                else:
                    self.db.conn.execute("ROLLBACK")
        except Exception as exc:
            return first_line(exc)
        return None

    def ensure_tables(self) -> None:
        if not self.tables_ready:
            for statement in TABLES_DDL:
                self.db.defer(statement.format(**self.db.ddl_types))

    def write_and_commit(
        self, writes: list[tuple[str, Params]], events: list[Event]
    ) -> None:
        """Run our writes, insert the events, and commit (a rehearsal's
        migration: release its savepoint)."""
        commit = f"RELEASE SAVEPOINT {_MIGRATION_SAVEPOINT}" if self.outer else "COMMIT"
        self.db.write_and_commit(writes, [tuple(e.values()) for e in events], commit)

    def record_events(self, events: list[Event]) -> str | None:
        """Insert events in a transaction of their own (after a rollback, so
        that they survive it); an error text if that failed too."""
        try:
            self.db.defer(self.begin())
            self.ensure_tables()
            self.write_and_commit([], events)
            self.tables_ready = True
        except Exception as exc:
            self.rollback()
            return first_line(exc)
        return None


LOCK_SETTINGS = {  # name: (lowest, highest)
    "lock_timeout_ms": (1, 2**31 - 1),  # PostgreSQL's range of lock_timeout
    "lock_retries": (0, 1000),
}


def lock_setting_problem(name: str, value: object) -> str | None:
    """What is wrong with a value of lock_timeout_ms or lock_retries, if anything."""
    low, high = LOCK_SETTINGS[name]
    if type(value) is not int or not low <= value <= high:
        return f"{name} must be a whole number from {low} to {high}, got {value!r}"
    return None


def check_lock_settings(lock_timeout_ms: object, lock_retries: object) -> None:
    """Refuse a lock_timeout_ms or lock_retries out of range (exit 2)."""
    for name, value in (
        ("lock_timeout_ms", lock_timeout_ms),
        ("lock_retries", lock_retries),
    ):
        problem = lock_setting_problem(name, value)
        if problem:
            raise MigrationError(problem, EXIT_USAGE)


def _open_audit(audit_log: AuditLog | None) -> tuple[IO[str] | None, bool]:
    """The audit stream, and whether the session opened it (and closes it)."""
    if not isinstance(audit_log, (str, os.PathLike)):
        return audit_log, False
    try:
        return open(audit_log, "a", encoding="utf-8"), True
    except OSError as exc:
        message = f"cannot open audit log {audit_log}: {exc.strerror}"
        raise MigrationError(message, EXIT_SPEC) from None


@contextlib.contextmanager
def open_session(
    database: str,
    *,
    lock_timeout: float = 30.0,
    audit_log: AuditLog | None = None,
    out: IO[str] | None = None,
    lock: bool = True,
    notice: Notice | None = None,
    lock_timeout_ms: int = DEFAULT_LOCK_TIMEOUT_MS,
    lock_retries: int = DEFAULT_LOCK_RETRIES,
) -> Iterator[Session]:
    """Connect, take the migration lock and yield a Session; release on exit.

    lock_timeout: seconds to wait for the migration lock (another runner's).
    lock=False is for readers (status, dry runs): they never wait on a runner.
    notice: called with a line for people when the lock is held by another.
    lock_timeout_ms: on PostgreSQL, how long any statement may wait for a
    table or row lock; a step's attempt that times out so is retried up to
    lock_retries times more than its own retries."""
    session = Session(
        database,
        lock_timeout,
        audit_log,
        out,
        lock,
        notice,
        lock_timeout_ms,
        lock_retries,
    )
    try:
        yield session
    finally:
        session.close()


def read_history(session: Session) -> list[HistoryRow]:
    """Every row of contractspec_history, oldest first ([] before the first)."""
    rows: list[Row] = []
    with reading("contractspec_history", session.database, session.secrets):
        if session.db.table_exists("contractspec_history"):
            query = f"SELECT {', '.join(HISTORY_COLUMNS)} FROM contractspec_history"
            rows = session.db.select(query + " ORDER BY applied_at, key")
    history = cast("list[HistoryRow]", rows)
    if session.lock is not None and not session.outer:
        session.applied = {row["key"]: row for row in history}
    return history


def read_events(
    session: Session,
    migration: str | None = None,
    run_id: str | None = None,
    event: str | None = None,
) -> list[Row]:
    """Rows of contractspec_events in order, optionally for one migration,
    run or kind of event (such as "run_end": one row per run)."""
    given = {"migration": migration, "run_id": run_id, "event": event}
    filters = {column: value for column, value in given.items() if value is not None}
    query = f"SELECT id, {', '.join(EVENT_COLUMNS)} FROM contractspec_events"
    if filters:
        query += " WHERE " + " AND ".join(f"{column} = ?" for column in filters)
    with reading("contractspec_events", session.database, session.secrets):
        if not session.db.table_exists("contractspec_events"):
            return []
        return session.db.select(query + " ORDER BY id", tuple(filters.values()))


@contextlib.contextmanager
def outer_transaction(session: Session, commit: bool) -> Iterator[Session]:
    """Run a chain of migrations in one outer transaction, a savepoint per
    migration (each sees what the earlier ones did).

    commit=False (a rehearsal): all rolled back at the end. commit=True
    (`migrate up --single-transaction`): committed at the end when every
    migration applied, else all rolled back; then the events of the one that
    failed are written, and a `rollback` event for each one applied before
    it (the audit log said `applied`), in a transaction of their own."""
    session.db.send_deferred()
    session.db.conn.execute(session.db.begin)
    session.outer = True
    problem, committed = None, False
    try:
        yield session
        if commit and session.failed_inside is None:
            try:
                session.db.execute("COMMIT")
                committed = True
            except Exception as exc:  # a deferred constraint, the disk, the server
                problem = f"could not commit the single transaction: {first_line(exc)}"
    finally:
        session.outer = False
        applied, session.applied_inside = session.applied_inside, []
        failed, session.failed_inside = session.failed_inside, None
        if not committed:  # none of it stays
            undone = session.rollback()
            if undone:
                what = "single transaction" if commit else "rehearsal"
                problem = f"could not roll the {what} back: {undone}"
            session.tables_ready = False
            if commit:  # what it recorded as applied is gone: read it again
                session.applied = None
                _record_rolled_back(session, applied, failed)
    if problem:
        raise MigrationError(problem + ("; nothing was applied" if commit else ""))


def _record_rolled_back(
    session: Session, applied: list[Run], failed: Run | None
) -> None:
    """The single transaction is rolled back: write the failed run's events
    and a rollback event for each run applied inside it."""
    events = []
    if failed is not None:
        failed.forget_uncommitted()
        events += failed.events
    cause = f"{failed.key} failed" if failed else "the commit failed"
    for run in applied:
        detail = f"the single transaction was rolled back: {cause}"
        events.append(run.emit("rollback", status="ok", detail=detail))
    lost = session.record_events(events) if events else None
    if lost:  # the run's error is said already; the audit log has the events
        last = failed or applied[-1]
        last.emit("failure", status="error", error=f"could not record it: {lost}")


def rehearsal(session: Session) -> contextlib.AbstractContextManager[Session]:
    """Rehearse a chain of migrations: one outer transaction, a savepoint per
    migration (each sees what the earlier ones did), all rolled back at the end."""
    return outer_transaction(session, commit=False)
