"""A PostgreSQL schema as a database of its own (schema-per-tenant): every
statement of the session runs in it, our tables are in it, and the migration
lock is the schema's, so tenants migrate in parallel. And the lock taken
later (a runner that has work): on both databases. Real servers, no mocks."""

from __future__ import annotations

import threading
from urllib.parse import quote

import psycopg
import pytest
from rtkit import make_migration, make_step

from contractspec import runtime

ORDERS = make_migration(
    "app.db.orders",
    up=[make_step("schema", "CREATE TABLE orders (id INTEGER PRIMARY KEY)")],
)


def _schemas(url: str, *names: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        for name in names:
            conn.execute(f'CREATE SCHEMA "{name}"')


def _tables(url: str, schema: str) -> set[str]:
    with psycopg.connect(url, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = %s",
            (schema,),
        ).fetchall()
    return {row[0] for row in rows}


def test_each_schema_has_its_own_tables_and_history(pg_db):
    _schemas(pg_db, "acme", "Globex Corp")
    with runtime.open_session(pg_db, schema="acme") as session:
        assert runtime.read_history(session) == []
        assert runtime.apply_up(session, ORDERS)["status"] == "applied"
    assert _tables(pg_db, "acme") == {
        "orders",
        "contractspec_history",
        "contractspec_events",
    }
    assert _tables(pg_db, "Globex Corp") == set()
    assert _tables(pg_db, "public") == set()
    with runtime.open_session(pg_db, schema="Globex Corp") as session:
        assert runtime.read_history(session) == []  # acme's history is not its own
        assert runtime.apply_up(session, ORDERS)["status"] == "applied"
        assert [row["key"] for row in runtime.read_history(session)] == [ORDERS["key"]]
    assert "orders" in _tables(pg_db, "Globex Corp")


def test_a_schema_is_named_with_its_database_and_no_password(
    pg_password_url, pg_password
):
    user, rest = pg_password_url.split("@", 1)
    url = f"{user}:{quote(pg_password, safe='')}@{rest}"
    _schemas(url, "tenant_a")
    try:
        with runtime.open_session(url, schema="tenant_a", lock=False) as session:
            assert session.database == f"{pg_password_url}#tenant_a".replace(
                "@", ":***@", 1
            )
            assert quote(pg_password, safe="") not in session.database
    finally:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("DROP SCHEMA tenant_a CASCADE")


def test_a_missing_schema_is_refused_by_name(pg_db):
    """By a runner when it opens; by a reader when it finds no history there."""
    missing = "schema 'nobody' does not exist"
    with pytest.raises(runtime.MigrationError, match=missing):
        with runtime.open_session(pg_db, schema="nobody"):
            pass
    with runtime.open_session(pg_db, schema="nobody", lock=False) as reader:
        with pytest.raises(runtime.MigrationError, match=missing):
            runtime.read_history(reader)


def test_the_url_options_stay_and_ours_win(pg_db):
    """libpq's options from the URL are kept, after them ours (which so win),
    and search_path quotes the schema's name as written."""
    _schemas(pg_db, "We Say \\ So")
    url = pg_db + "?options=-c%20work_mem%3D7MB%20-c%20idle_session_timeout%3D5s"
    with runtime.open_session(url, schema="We Say \\ So", lock=False) as session:
        settings = session.db.select(
            "SELECT current_setting('work_mem') AS w,"
            " current_setting('idle_session_timeout') AS i,"
            " current_schemas(false)::text AS s"
        )[0]
    assert settings == {"w": "7MB", "i": "0", "s": '{"We Say \\\\ So"}'}


def test_schemas_have_their_own_locks(pg_db):
    """Two runners on two schemas at once; a second runner on one schema finds
    its lock held and is told who holds it."""
    _schemas(pg_db, "a", "b")
    with (
        runtime.open_session(pg_db, schema="a") as first,
        runtime.open_session(pg_db, schema="b", lock_timeout=0) as other,
    ):
        assert first.lock != other.lock
        with pytest.raises(runtime.LockBusy, match=r"#a within 0 s: held by backend"):
            with runtime.open_session(pg_db, schema="a", lock_timeout=0):
                pass
        with runtime.open_session(pg_db, schema="a", lock=False) as reader:
            assert "advisory lock" in (reader.db.lock_holder() or "")
    with runtime.open_session(pg_db, lock=False) as whole:  # the database's own
        assert whole.db.lock_holder() is None


def test_parallel_tenants_each_apply_once(pg_db):
    names = [f"t{i}" for i in range(6)]
    _schemas(pg_db, *names)
    results: dict[str, str] = {}

    def migrate(schema: str) -> None:
        with runtime.open_session(pg_db, schema=schema) as session:
            results[schema] = runtime.apply_up(session, ORDERS)["status"]

    threads = [threading.Thread(target=migrate, args=(n,)) for n in names * 2]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for name in names:
        with runtime.open_session(pg_db, schema=name, lock=False) as session:
            events = runtime.read_events(session, event="run_end")
        assert [e["status"] for e in events].count("applied") == 1


def test_a_sqlite_target_has_no_schemas(tmp_path):
    with pytest.raises(runtime.MigrationError, match="schemas are PostgreSQL's"):
        with runtime.open_session(f"sqlite:///{tmp_path / 'a.db'}", schema="x"):
            pass


def test_the_lock_taken_later_and_its_holder(database_url):
    """A reader session takes the lock when it has work; a runner that holds
    it meanwhile makes that fail at once (LockBusy), naming no one falsely."""
    with runtime.open_session(database_url, lock=False) as late:
        assert late.lock is None and late.db.lock_holder() is None
        with runtime.open_session(database_url):
            assert late.db.lock_holder() is not None
            with pytest.raises(runtime.LockBusy, match="within 0 s: held by"):
                late.take_lock(0)
        late.take_lock(5)  # a closed session's lock goes when its backend exits
        assert late.lock is not None
        runtime.read_history(late)  # under the lock: kept current from here
        assert runtime.apply_up(late, ORDERS)["status"] == "applied"
        assert late.applied is not None and ORDERS["key"] in late.applied


def test_reading_the_history_before_the_tables_exist(database_url):
    with runtime.open_session(database_url, lock=False) as session:
        assert runtime.read_history(session) == []
    with runtime.open_session(database_url) as session:
        runtime.apply_up(session, ORDERS)
    with runtime.open_session(database_url, lock=False) as session:
        assert [r["key"] for r in runtime.read_history(session)] == [ORDERS["key"]]
