"""contractspec.testing's schema catalogue, on real SQLite and PostgreSQL
databases (conftest's `database_url`, `db`): what a round trip compares."""

from __future__ import annotations

import pytest

from contractspec import runtime
from contractspec.testing import Catalogue, catalogue

SCHEMA = """
CREATE TABLE accounts (id INTEGER PRIMARY KEY, plan TEXT NOT NULL DEFAULT 'free');
CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    account_id INTEGER NOT NULL REFERENCES accounts (id),
    email TEXT NOT NULL CHECK (email <> '')
);
CREATE UNIQUE INDEX users_email ON users (email);
CREATE VIEW free_accounts AS SELECT id FROM accounts WHERE plan = 'free'
"""


def snapshot(url: str) -> Catalogue:
    with runtime.open_session(url, lock=False) as session:
        return catalogue(session)


@pytest.fixture
def schema(database_url, db):
    db.execute(SCHEMA)
    return database_url


def test_objects_of_every_kind_and_not_ours(schema, db):
    db.execute("CREATE TABLE contractspec_history (key TEXT)")  # ours: left out
    names = set(snapshot(schema).objects)
    if db.dialect == "sqlite":
        assert names == {
            "table accounts",
            "table users",
            "index users_email",
            "view free_accounts",
        }
    else:
        assert {
            "table public.accounts",
            "column public.accounts.plan",
            "index public.users_email",
            "constraint public.users.users_account_id_fkey",
            "constraint public.users.users_email_check",
            "view public.free_accounts",
        } <= names
        assert not any("contractspec_history" in name for name in names)


def test_alter_table_there_and_back_is_the_same_schema(schema, db):
    before = snapshot(schema)
    db.execute("ALTER TABLE accounts ADD COLUMN   note   TEXT")
    changed = snapshot(schema)
    assert changed != before
    db.execute("ALTER TABLE accounts DROP COLUMN note")
    assert snapshot(schema) == before


def test_differences_name_the_object_and_both_definitions(schema, db):
    before = snapshot(schema)
    db.execute("DROP VIEW free_accounts")
    db.execute("DROP INDEX users_email")
    db.execute("CREATE INDEX users_email ON users (email)")  # no longer unique
    after = snapshot(schema)
    lines = before.difference(after)
    view = (
        "view free_accounts" if db.dialect == "sqlite" else "view public.free_accounts"
    )
    assert any(
        line.startswith(f"- {view}: ") and line.endswith("(gone)") for line in lines
    )
    (index,) = [line for line in lines if "users_email:" in line]
    assert index.startswith("~ ") and "create unique index" in index
    assert index.split("  ->  ")[1].startswith("create index users_email")


def test_case_and_whitespace_do_not_count_but_string_literals_do(database_url, db):
    db.execute("CREATE TABLE t (a TEXT DEFAULT 'Mixed  Case')")
    first = snapshot(database_url)
    db.execute("DROP TABLE t")
    db.execute("create   table t(\n  a text default 'Mixed  Case'\n)")
    assert snapshot(database_url) == first
    db.execute("DROP TABLE t")
    db.execute("CREATE TABLE t (a TEXT DEFAULT 'mixed case')")
    assert snapshot(database_url) != first


def test_postgresql_functions_and_triggers(pg_db, DB):
    db = DB(pg_db)
    db.execute(SCHEMA)
    before = snapshot(pg_db)
    db.execute(
        "CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS"
        " $$ BEGIN RETURN NEW; END $$;"
        " CREATE TRIGGER users_touch BEFORE UPDATE ON users"
        " FOR EACH ROW EXECUTE FUNCTION touch()"
    )
    lines = before.difference(snapshot(pg_db))
    assert [line.split(":")[0] for line in lines] == [
        "+ function public.touch()",
        "+ trigger public.users.users_touch",
    ]
