"""Our two tables: contractspec_history (what is applied) and the append-only
contractspec_events (what every run did); docs/runtime.md describes them."""

from __future__ import annotations

HISTORY_COLUMNS = tuple(
    "key name version spec_fingerprint harness_fingerprint applied_at duration_ms"
    " applied_by".split()
)
EVENT_COLUMNS = tuple(
    "run_id migration step attempt event status error detail started_at at"
    " duration_ms".split()
)
# {time}, {id} and {real}: each database's types (Database.ddl_types).
TABLES_DDL = (
    "CREATE TABLE IF NOT EXISTS contractspec_history (key TEXT PRIMARY KEY,"
    " name TEXT NOT NULL, version INTEGER NOT NULL, spec_fingerprint TEXT NOT NULL,"
    " harness_fingerprint TEXT NOT NULL, applied_at {time} NOT NULL,"
    " duration_ms INTEGER NOT NULL, applied_by TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS contractspec_events (id {id} PRIMARY KEY,"
    " run_id TEXT NOT NULL, migration TEXT NOT NULL, step INTEGER, attempt INTEGER,"
    " event TEXT NOT NULL, status TEXT, error TEXT, detail TEXT, started_at {time},"
    " at {time} NOT NULL, duration_ms {real})",
)


def insert_sql(table: str, columns: tuple[str, ...], rows: int = 1) -> str:
    """INSERT INTO table (columns) VALUES (?, ...), ... for `rows` rows."""
    row = f"({', '.join('?' * len(columns))})"
    values = ", ".join([row] * rows)
    return f"INSERT INTO {table} ({', '.join(columns)}) VALUES {values}"
