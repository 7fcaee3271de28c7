"""The migration lock: one runner at a time per database.

SQLite: an OS lock on `<db>.lock`, which the OS releases when its holder
dies (no stale lock row, ever). PostgreSQL: a session advisory lock on the
connection that does the work, so that losing one loses both."""

from __future__ import annotations

import hashlib
import os
import socket
import stat
import sys
import time
from typing import TYPE_CHECKING

from .clock import iso, utcnow
from .exits import EXIT_SPEC, MigrationError

if TYPE_CHECKING:
    from collections.abc import Callable

    import psycopg
    from psycopg.rows import TupleRow

PG_LOCK_KEY = int.from_bytes(
    hashlib.sha256(b"contractspec").digest()[:8], "big", signed=True
)
LOCK_POLL_S = 0.05
_PG_HOLDER_SQL = (
    "SELECT a.pid, a.application_name, a.usename, a.client_addr::text,"
    " a.backend_start, a.state, extract(epoch FROM now() - a.state_change)"
    " FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid"
    " WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1"
    " AND l.classid::bigint = %s AND l.objid::bigint = %s AND l.database ="
    " (SELECT oid FROM pg_database WHERE datname = current_database())"
)
# Part of each commit's text (no extra round trip): the session holds the
# lock twice, so giving one hold back succeeds only if it held the lock, and
# never lets it go; then it takes that hold again. Two IFs, in order: SQL does
# not promise the order in which an AND evaluates its sides. (Cheaper than
# reading pg_locks, which copies every lock on the server, each commit.)
PG_LOCK_CHECK = (
    f"DO $contractspec$ BEGIN IF NOT pg_advisory_unlock({PG_LOCK_KEY}) THEN"
    " RAISE EXCEPTION 'this session no longer holds the migration lock'; END IF;"
    f" IF NOT pg_try_advisory_lock({PG_LOCK_KEY}) THEN RAISE EXCEPTION"
    " 'this session no longer holds the migration lock'; END IF; END $contractspec$"
)

if sys.platform == "win32":  # pragma: no cover - lock one byte far past the holder text
    import msvcrt

    def _lock_file(fd: int) -> None:
        os.lseek(fd, 1 << 20, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)

else:
    import fcntl

    def _lock_file(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)


def _waiting(display: str, timeout: float, holder: str) -> str:
    return f"waiting up to {timeout:g} s for the migration lock on {display}: held by {holder}"


def acquire_sqlite_lock(
    path: str, timeout: float, display: str, notice: Callable[[str], None] | None
) -> int:
    """An OS lock on `<db>.lock`: released by the OS when its holder dies.
    Returns the lock file's descriptor (closing it releases the lock)."""
    lock_path = os.path.abspath(path) + ".lock"
    try:  # without blocking: a FIFO put in its place is refused, not waited on
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT | os.O_NONBLOCK, 0o644)
    except OSError as exc:
        message = f"cannot create lock file {lock_path}: {exc.strerror}"
        raise MigrationError(message, EXIT_SPEC) from None
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        message = (
            f"lock file {lock_path} is not a regular file (a FIFO, socket or"
            " device); remove it: the runner creates it"
        )
        raise MigrationError(message, EXIT_SPEC)
    deadline, waiting = time.monotonic() + timeout, False
    while True:
        try:
            _lock_file(fd)
            break
        except OSError:
            os.lseek(fd, 0, os.SEEK_SET)
            holder = os.read(fd, 200).decode("utf-8", "replace").strip()
            holder = f"{holder or 'another process'} (lock file {lock_path})"
            if not waiting and notice is not None:
                notice(_waiting(display, timeout, holder))
            waiting = True
            if time.monotonic() >= deadline:
                os.close(fd)
                raise MigrationError(
                    f"could not acquire the migration lock on {display} within "
                    f"{timeout:g} s: held by {holder}; the OS releases it when "
                    "the holder exits"
                ) from None
            time.sleep(LOCK_POLL_S)
    # Informational only (names the holder in a timeout message).
    text = f"pid {os.getpid()} on {socket.gethostname()} since {utcnow()}"
    os.lseek(fd, 0, os.SEEK_SET)
    os.write(fd, text.encode("utf-8").ljust(200)[:200])
    return fd


def _pg_holder(conn: psycopg.Connection[TupleRow]) -> str:
    """Who holds the advisory lock, and what it is doing, for people."""
    key = PG_LOCK_KEY & 0xFFFFFFFFFFFFFFFF
    row = conn.execute(_PG_HOLDER_SQL, (key >> 32, key & 0xFFFFFFFF)).fetchone()
    if not row:
        return "another session"
    pid, application, user, client, started, state, seconds = row
    return (
        f"backend pid {pid} (application_name {application!r}, user {user}, client "
        f"{client or 'local socket'}, backend started {iso(started)}, {state} for "
        f"{seconds or 0:.1f} s; advisory lock {PG_LOCK_KEY}, released when that "
        "session ends)"
    )


def acquire_pg_lock(
    conn: psycopg.Connection[TupleRow],
    timeout: float,
    display: str,
    notice: Callable[[str], None] | None,
) -> int:
    """A session advisory lock on the connection that does the work (so losing
    one loses both), polled to a deadline; says at once whom it waits for.
    Held twice (for PG_LOCK_CHECK); returns its key."""
    deadline, waiting = time.monotonic() + timeout, False
    query = "SELECT pg_try_advisory_lock(%s)"
    while not _fetch_flag(conn, query):
        if not waiting and notice is not None:
            notice(_waiting(display, timeout, _pg_holder(conn)))
        waiting = True
        if time.monotonic() >= deadline:
            raise MigrationError(
                f"could not acquire the migration lock on {display} within "
                f"{timeout:g} s: held by {_pg_holder(conn)}"
            )
        time.sleep(LOCK_POLL_S)
    conn.execute(query, (PG_LOCK_KEY,))  # the second hold, for PG_LOCK_CHECK
    return PG_LOCK_KEY


def _fetch_flag(conn: psycopg.Connection[TupleRow], query: str) -> bool:
    row = conn.execute(query, (PG_LOCK_KEY,)).fetchone()
    return bool(row and row[0])
