"""PostgreSQL: a server over the network, through psycopg 3 (imported when a
postgresql:// URL is opened, never before). Every statement is a round trip,
so the statements of ours that return nothing wait for the next one."""

from __future__ import annotations

import contextlib
import functools
import os
import time
from typing import TYPE_CHECKING

from .clock import iso
from .dialect import LOCK_TIMEOUT, TIMEOUT, TRANSIENT, Database, reading
from .exits import EXIT_FAILED, EXIT_SPEC, MigrationError
from .lock import acquire_pg_lock, pg_lock_check, pg_lock_holder, pg_lock_key
from .tables import EVENT_COLUMNS, insert_sql
from .urls import first_line, redact_url

if TYPE_CHECKING:
    from collections.abc import Sequence
    from typing import Self

    import psycopg
    from psycopg.rows import TupleRow

    from .dialect import Notice, Params
    from .shapes import Row

# Where psycopg comes from: contractspec's extra, or (a harness folder run
# on a machine without contractspec) psycopg itself.
_INSTALL = (
    "'contractspec[postgres]'"
    if __name__.startswith("contractspec.")
    else "'psycopg[binary]'"
)
TRANSIENT_SQLSTATES = frozenset({"40001", "40P01"})  # serialization, deadlock
_LOCK_NOT_AVAILABLE = "55P03"  # lock_timeout, or NOWAIT
_QUERY_CANCELED = "57014"  # by statement_timeout, or by our watchdog's cancel
_NO_SUCH_SAVEPOINT = "3B001"
_CANCEL_IN_FLIGHT_S = 0.05
_INVALID_LEFTOVERS_SQL = (
    "SELECT i.indexrelid::regclass::text AS name FROM pg_index i JOIN pg_class c"
    " ON c.oid = i.indexrelid WHERE NOT i.indisvalid AND c.relname ~"
    " '_cc(new|old)[0-9]*$' AND i.indrelid = {table}"
)


# Settings for the working (and locking) connection, whatever the URL or the
# role set: no idle timeout may end the session that holds the lock, and the
# server notices within a second when a killed runner's client is gone (instead
# of running its statement, lock held, to the end). (name, value, whether only
# PostgreSQL 14 and later know it.)
_SETTINGS = (
    ("idle_session_timeout", "0", True),
    ("idle_in_transaction_session_timeout", "0", False),
    ("client_connection_check_interval", "1000", True),
)
_UNKNOWN_SETTING = "unrecognized configuration parameter"


def quote_name(name: str) -> str:
    """An identifier, double-quoted (any name, as written: no case folding)."""
    return '"' + name.replace('"', '""') + '"'


def _options(url: str, schema: str | None, lock_timeout_ms: int, recent: bool) -> str:
    """libpq's `options` for the connection: what the URL (or $PGOPTIONS) gives,
    then our settings, which so win: every statement waits for a lock at most
    lock_timeout_ms, and with a schema, search_path is that schema alone. Sent
    with the connection request: no round trip of their own."""
    given = _url_options(url) or os.environ.get("PGOPTIONS", "")
    settings = [(name, value) for name, value, new in _SETTINGS if recent or not new]
    settings.append(("lock_timeout", str(int(lock_timeout_ms))))
    if schema is not None:
        settings.append(("search_path", quote_name(schema)))
    ours = " ".join(f"-c {name}={_escaped(value)}" for name, value in settings)
    return f"{given} {ours}".strip()


@functools.lru_cache(maxsize=64)
def _url_options(url: str) -> str:
    """The options a URL gives libpq (a fleet connects to one URL many times)."""
    from psycopg.conninfo import conninfo_to_dict

    return str(conninfo_to_dict(url).get("options") or "")


def _escaped(value: str) -> str:
    """A value in libpq's options: spaces and backslashes escaped."""
    return value.replace("\\", "\\\\").replace(" ", "\\ ")


def _connect(
    url: str, secrets: Sequence[str], schema: str | None, lock_timeout_ms: int
) -> psycopg.Connection[TupleRow]:
    try:
        import psycopg
    except ImportError:
        message = f"postgresql:// URLs need psycopg 3: pip install {_INSTALL}"
        raise MigrationError(message, EXIT_SPEC) from None
    timeout = None if "connect_timeout" in url else 10  # None: not passed on
    recent = True
    while True:
        try:
            return psycopg.connect(
                url,
                autocommit=True,
                prepare_threshold=None,
                application_name=f"contractspec migrate pid {os.getpid()}",
                connect_timeout=timeout,
                options=_options(url, schema, lock_timeout_ms, recent),
            )
        except psycopg.ProgrammingError as exc:  # libpq rejected the URL itself
            message = f"malformed PostgreSQL URL {url!r}: {first_line(exc)}"
            raise MigrationError(redact_url(message, secrets), EXIT_SPEC) from None
        except psycopg.Error as exc:
            if recent and _UNKNOWN_SETTING in str(exc):  # a server before 14
                recent = False
                continue
            message = f"cannot connect to {url}: {first_line(exc)}"
            raise MigrationError(redact_url(message, secrets), EXIT_FAILED) from None


class PostgreSQL(Database):
    name = "postgresql"
    begin = "BEGIN"
    ddl_types = {
        "time": "TIMESTAMPTZ",
        "id": "BIGINT GENERATED BY DEFAULT AS IDENTITY",
        "real": "DOUBLE PRECISION",
    }
    timeout_slack = 0.1
    bounds_lock_waits = True
    conn: psycopg.Connection[TupleRow]

    def __init__(
        self, conn: psycopg.Connection[TupleRow], lock: int | None, lock_key: int
    ) -> None:
        self.conn, self.lock, self.deferred = conn, lock, []
        self.lock_key = lock_key  # of the database, or of the session's schema
        self.schema: str | None = None  # the session's schema (search_path), if any
        self.display = ""  # the database (and schema) as messages name it
        # The session's statement_timeout, once read: what a step's goes back to.
        self.statement_timeout: str | None = None

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
        schema: str | None = None,
    ) -> Self:
        conn = _connect(target, secrets, schema, lock_timeout_ms)
        database = cls(conn, None, pg_lock_key(schema))
        database.schema, database.display = schema, display
        try:
            if lock:
                database.take_lock(lock_timeout, display, notice, secrets)
            return database
        except BaseException:
            conn.close()
            raise

    def take_lock(
        self,
        timeout: float,
        display: str,
        notice: Notice | None,
        secrets: Sequence[str] = (),
    ) -> None:
        with reading("the migration lock", display, secrets):
            self.check_schema()
            self.lock = acquire_pg_lock(
                self.conn, timeout, display, notice, self.lock_key
            )

    def lock_holder(self) -> str | None:
        return pg_lock_holder(self.conn, self.lock_key)

    def check_schema(self) -> None:
        """Refuse a session's schema that does not exist (then search_path
        names nothing, and nothing could be created)."""
        if self.schema is None:
            return
        query = "SELECT EXISTS (SELECT FROM pg_namespace WHERE nspname = ?) AS e"
        if not self.select(query, (self.schema,))[0]["e"]:
            message = f"{self.display}: schema {self.schema!r} does not exist"
            raise MigrationError(message)

    def close(self) -> None:
        with contextlib.suppress(Exception):  # the lock goes with the session
            self.conn.close()
        self.lock = None

    def password(self) -> str | None:
        return self.conn.info.password  # libpq's PQpass: the one it used

    def defer(self, statement: str) -> None:
        self.deferred.append(statement)

    def _take_deferred(self) -> str:
        """The deferred statements as a prefix of a query text; forgets them."""
        prefix = "".join(f"{statement};\n" for statement in self.deferred)
        self.deferred.clear()
        return prefix

    def send_deferred(self) -> None:
        if self.deferred:
            self.conn.execute(self._take_deferred())

    def literals(self, values: Sequence[object]) -> list[str]:
        """Values of ours as PostgreSQL literals: NULL, numbers, and text
        quoted by libpq for this connection (PQescapeLiteral: quotes,
        backslashes and the client encoding handled)."""
        from psycopg.pq import Escaping

        escape, encoding = (
            Escaping(self.conn.pgconn).escape_literal,
            self.conn.info.encoding,
        )
        literals = []
        for value in values:
            if value is None:
                literals.append("NULL")
            elif isinstance(value, (int, float)):  # ours: counts, finite durations
                literals.append(repr(value))
            else:  # text cannot hold NUL, and a NUL would cut the query text short
                data = str(value).replace("\x00", "\\0").encode(encoding)
                literals.append(escape(data).decode(encoding))
        return literals

    def _cursor(self, query: str, params: Params = ()) -> psycopg.Cursor[TupleRow]:
        """Our query with its values written into the text as literals, and the
        deferred statements in front: one text, one round trip (several
        statements need the simple query protocol: no parameters). The cursor
        is at the result of the last statement."""
        pieces = query.split("?")  # our queries hold no other "?"
        assert len(pieces) == len(params) + 1, query
        literals = self.literals(params)
        text = pieces[0] + "".join(
            v + p for v, p in zip(literals, pieces[1:], strict=True)
        )
        cursor = self.conn.execute(self._take_deferred() + text)
        while cursor.nextset():  # on to the result of the last statement
            pass
        return cursor

    def execute(self, query: str, params: Params = ()) -> None:
        self._cursor(query, params)

    def select(self, query: str, params: Params = ()) -> list[Row]:
        cursor = self._cursor(query, params)
        names = [column.name for column in cursor.description or ()]
        return [
            {n: iso(v) for n, v in zip(names, row, strict=True)}
            for row in cursor.fetchall()
        ]

    def write_and_commit(
        self,
        writes: list[tuple[str, Params]],
        events: list[tuple[object, ...]],
        commit: str,
    ) -> None:
        # All in one round trip, the events as one INSERT of many rows.
        if events:
            query = insert_sql("contractspec_events", EVENT_COLUMNS, len(events))
            writes = [*writes, (query, [value for row in events for value in row])]
        if self.lock is not None:  # nothing commits unless we hold the lock
            writes = [(pg_lock_check(self.lock), []), *writes]
        text = "".join(f"{query};\n" for query, _ in writes) + commit
        self._cursor(text, [value for _, params in writes for value in params])

    def run_sql(self, text: str) -> tuple[bool, tuple[object, ...] | None]:
        # No parameters: several statements are fine (simple query protocol). The
        # deferred statements in front return no rows, so they change no result.
        got, row = False, None
        cursor = self.conn.execute(self._take_deferred() + text)
        while True:
            if cursor.description is not None:
                got, row = True, cursor.fetchone()
            if not cursor.nextset():
                break
        cursor.close()
        return got, row

    def execute_counted(self, statement: str) -> int:
        cursor = self.conn.execute(self._take_deferred() + statement)
        while cursor.nextset():  # on to the result of the batch statement
            pass
        return cursor.rowcount

    def in_transaction(self) -> bool:
        return self.conn.info.transaction_status.name in ("INTRANS", "INERROR")

    def savepoint_missing(self, exc: BaseException) -> bool:
        return getattr(exc, "sqlstate", None) == _NO_SUCH_SAVEPOINT

    def connection_lost(self) -> bool:
        return bool(self.conn.closed or self.conn.broken)

    def interrupt(self) -> None:
        with contextlib.suppress(Exception):
            getattr(self.conn, "cancel_safe", self.conn.cancel)()

    def settle_interrupt(self) -> None:
        time.sleep(_CANCEL_IN_FLIGHT_S)  # let a cancel request in flight land first

    def classify(self, exc: BaseException, timed: bool) -> str:
        state = getattr(exc, "sqlstate", None)
        if state in TRANSIENT_SQLSTATES:
            return TRANSIENT
        if state == _LOCK_NOT_AVAILABLE:
            return LOCK_TIMEOUT
        if state == _QUERY_CANCELED and timed:
            return TIMEOUT
        return super().classify(exc, timed)

    def set_timeouts(self, timeout_ms: int | None, local: bool = True) -> None:
        if self.statement_timeout is None:
            query = "SELECT current_setting('statement_timeout') AS s"
            self.statement_timeout = str(self.select(query)[0]["s"])
        value = str(int(timeout_ms)) if timeout_ms else self.statement_timeout
        literal = self.literals([value])[0]
        self.defer(f"SET {'LOCAL ' if local else ''}statement_timeout = {literal}")

    def table_exists(self, name: str) -> bool:
        return bool(
            self.select("SELECT to_regclass(?) IS NOT NULL AS n", (name,))[0]["n"]
        )

    def select_existing(self, query: str, table: str) -> list[Row]:
        if self.deferred or self.in_transaction():  # an error would end them
            return super().select_existing(query, table)
        import psycopg

        try:
            return self.select(query)
        except psycopg.errors.UndefinedTable:
            self.check_schema()  # a new tenant, or no tenant at all?
            return []

    def begin_read_only(self) -> None:
        self.defer("BEGIN READ ONLY")

    def drop_invalid_index(self, name: str) -> bool | None:
        found = self.select(
            "SELECT indisvalid AS valid FROM pg_index WHERE indexrelid ="
            " to_regclass(?)",
            (name,),
        )
        if not found:
            return None
        if found[0]["valid"]:
            return False
        # name is an SQL name the build read from the parse tree (quoted).
        self.conn.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {name}")
        return True

    def drop_reindex_leftovers(self, kind: str, name: str) -> list[str]:
        table = f"to_regclass({self.literals([name])[0]})"
        if kind == "index":
            table = f"(SELECT indrelid FROM pg_index WHERE indexrelid = {table})"
        dropped = []
        for row in self.select(_INVALID_LEFTOVERS_SQL.format(table=table)):
            self.conn.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {row['name']}")
            dropped.append(str(row["name"]))
        return dropped
