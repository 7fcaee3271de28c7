"""SQLite: a file (or memory) in process, through the standard library's sqlite3."""

from __future__ import annotations

import contextlib
import os
import sqlite3
from typing import TYPE_CHECKING

from .dialect import PERMANENT, TRANSIENT, Database
from .exits import EXIT_SPEC, MigrationError
from .lock import acquire_sqlite_lock
from .tables import EVENT_COLUMNS, insert_sql
from .urls import first_line

if TYPE_CHECKING:
    from collections.abc import Sequence
    from typing import Self

    from .dialect import Notice, Params
    from .shapes import Row

_INSERT_EVENT = insert_sql("contractspec_events", EVENT_COLUMNS)
_BUSY, _LOCKED = 5, 6  # SQLITE_BUSY, SQLITE_LOCKED: another connection is writing


def split_statements(text: str) -> list[str]:
    """Split a script into statements; strings and trigger bodies stay whole."""
    statements, buffer = [], ""
    pieces = text.split(";")
    for index, piece in enumerate(pieces):
        buffer += piece
        if index < len(pieces) - 1:
            buffer += ";"
            if not sqlite3.complete_statement(buffer):
                continue
        if buffer.strip():
            statements.append(buffer.strip())
        buffer = ""
    return statements


class SQLite(Database):
    name = "sqlite"
    begin = "BEGIN IMMEDIATE"  # takes the write lock at once: no deadlock later
    ddl_types = {"time": "TEXT", "id": "INTEGER", "real": "REAL"}
    conn: sqlite3.Connection

    def __init__(self, conn: sqlite3.Connection, lock: int | None) -> None:
        self.conn, self.lock, self.deferred = conn, lock, []

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
        fd = conn = None
        try:
            if target != ":memory:":
                folder = os.path.dirname(os.path.abspath(target))
                if not os.path.isdir(folder):
                    message = f"cannot open {target}: folder {folder} does not exist"
                    raise MigrationError(message, EXIT_SPEC)
                if lock:
                    fd = acquire_sqlite_lock(target, lock_timeout, display, notice)
                    _check_writable(target, folder)
            # Autocommit mode: the runtime itself issues BEGIN, SAVEPOINT and
            # COMMIT, so DDL stays inside the migration's transaction.
            busy = max(float(lock_timeout), 1.0)
            try:
                conn = sqlite3.connect(
                    target, isolation_level=None, check_same_thread=False, timeout=busy
                )
                # A file that is not a database only says so when first read.
                conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
            except sqlite3.Error as exc:
                message = f"cannot open {target}: {first_line(exc)}"
                raise MigrationError(message, EXIT_SPEC) from None
            return cls(conn, fd)
        except BaseException:
            if conn is not None:
                conn.close()
            _release(fd)
            raise

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.conn.close()
        _release(self.lock)
        self.lock = None

    def defer(self, statement: str) -> None:
        self.conn.execute(statement)  # in process: nothing to save by waiting

    def execute(self, query: str, params: Params = ()) -> None:
        self.conn.execute(query, params)

    def select(self, query: str, params: Params = ()) -> list[Row]:
        cursor = self.conn.execute(query, params)
        names = [column[0] for column in cursor.description or ()]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    def write_and_commit(
        self,
        writes: list[tuple[str, Params]],
        events: list[tuple[object, ...]],
        commit: str,
    ) -> None:
        # One statement after the other, and executemany for the events: one
        # INSERT of many rows could pass SQLite's limit on parameters.
        for query, params in writes:
            self.conn.execute(query, params)
        self.conn.executemany(_INSERT_EVENT, events)
        self.conn.execute(commit)

    def run_sql(self, text: str) -> tuple[bool, tuple[object, ...] | None]:
        got, row = False, None
        for statement in split_statements(text):
            cursor = self.conn.execute(statement)
            if cursor.description is not None:
                got, row = True, cursor.fetchone()
            cursor.close()
        return got, row

    def run_to_end(self, text: str) -> None:
        # SQLite computes rows as they are read: an error in a later row
        # shows only when that row is stepped to.
        for statement in split_statements(text):
            cursor = self.conn.execute(statement)
            for _ in cursor:
                pass
            cursor.close()

    def execute_counted(self, statement: str) -> int:
        return self.conn.execute(statement).rowcount

    def in_transaction(self) -> bool:
        return self.conn.in_transaction

    def interrupt(self) -> None:
        with contextlib.suppress(Exception):
            self.conn.interrupt()

    def classify(self, exc: BaseException, timed: bool) -> str:
        if isinstance(exc, sqlite3.OperationalError):
            code = (getattr(exc, "sqlite_errorcode", None) or 0) & 0xFF
            text = str(exc).lower()
            busy = code in (_BUSY, _LOCKED) or "locked" in text or "busy" in text
            return TRANSIENT if busy else PERMANENT
        return super().classify(exc, timed)

    def table_exists(self, name: str) -> bool:
        query = "SELECT count(*) AS n FROM sqlite_master WHERE name = ?"
        return bool(self.select(query, (name,))[0]["n"])

    def begin_read_only(self) -> None:
        self.conn.execute("PRAGMA query_only = ON")
        self.defer("BEGIN")

    def end_read_only(self) -> None:
        self.conn.execute("PRAGMA query_only = OFF")


def _check_writable(target: str, folder: str) -> None:
    """A runner writes the file, and SQLite its journal beside it: a read-only
    file or folder is a configuration error (exit 3), said before anything runs."""
    if os.path.exists(target) and not os.access(target, os.W_OK):
        message = (
            f"cannot write {target}: the file is read-only; make it writable"
            " (chmod u+w), or give a database you may change"
        )
        raise MigrationError(message, EXIT_SPEC)
    if not os.access(folder, os.W_OK):
        message = (
            f"cannot write {target}: its folder {folder} is read-only, and SQLite"
            " writes its journal there; make it writable"
        )
        raise MigrationError(message, EXIT_SPEC)


def _release(fd: int | None) -> None:
    """Release the lock file's lock (closing the descriptor releases the flock)."""
    if fd is not None:
        with contextlib.suppress(OSError):
            os.close(fd)
