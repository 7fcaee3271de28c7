"""The runtime's own statements travel with the next statement on PostgreSQL
(BEGIN with the history read, SAVEPOINT and SET LOCAL in front of the step's
SQL, RELEASE with what follows, history + events + COMMIT in one text):
fewer round trips, the same semantics. Values are quoted client-side there,
so odd keys and messages must survive the trip on both databases."""

from __future__ import annotations

import pytest
from rtkit import check, file_step, make_migration, make_step

# A dotted name never holds these, but the runtime must not care.
ODD_NAME = "app.db.o'hara_100%_back\\slash"


def test_quoted_key_and_values(rt, database_url, db):
    up = [make_step("schema", "CREATE TABLE odd (x INTEGER)", description="it's 100%")]
    down = [make_step("schema", "DROP TABLE odd")]
    m = make_migration(name=ODD_NAME, up=up, down=down)
    assert m["key"] == ODD_NAME + ".v1"
    assert rt.run_migration(m, "up", database_url)["status"] == "applied"
    assert db.history() == [(m["key"], m["spec_fingerprint"])]
    events = db.events(m["key"])
    assert [e["event"] for e in events] == ["step_end", "run_end"]  # a clean run
    assert events[0]["detail"] == 'schema "it\'s 100%"'
    # The history is read back with the quoted key: skipped, then reverted.
    assert rt.run_migration(m, "up", database_url)["status"] == "skipped"
    assert rt.run_migration(m, "down", database_url)["status"] == "reverted"
    assert db.history() == [] and not db.table_exists("odd")


def test_quoted_failure_events_survive_rollback(rt, database_url, db):
    up = [
        make_step(
            "schema",
            "CREATE TABLE t (x INTEGER)",
            post_checks=[check("it's there 100%", "SELECT 0")],
        )
    ]
    m = make_migration(name=ODD_NAME, up=up)
    with pytest.raises(rt.MigrationError) as info:
        rt.run_migration(m, "up", database_url)
    assert 'post-check "it\'s there 100%" failed: returned 0' in str(info.value)
    assert "could not record" not in str(info.value)
    events = db.events(m["key"])
    assert [e["event"] for e in events][-3:] == ["failure", "rollback", "run_end"]
    assert "it's there 100%" in events[-1]["error"]
    assert db.history() == [] and not db.table_exists("t")


@pytest.mark.parametrize(
    "bad",
    [
        make_step("schema", "CREATE TABLE b (x INTEGER); CREATE TABLEX c (x INTEGER)"),
        make_step(
            "schema",
            "CREATE TABLE b (x INTEGER)",
            pre_checks=[check("broken", "SELECTX 1")],
        ),
    ],
    ids=["payload", "pre-check"],
)
def test_syntax_error_after_a_good_step_names_itself(rt, database_url, db, bad):
    """PostgreSQL rejects a text with a syntax error as a whole, the SAVEPOINT
    (and the previous step's RELEASE) sent in front of it too: the runtime
    must still report the syntax error, not the missing savepoint, and roll
    everything back."""
    good = make_step("schema", "CREATE TABLE a (x INTEGER)", timeout_ms=5000)
    bad = dict(bad, retries=2, timeout_ms=5000)
    m = make_migration(up=[good, bad])
    with pytest.raises(rt.MigrationError) as info:
        rt.run_migration(m, "up", database_url)
    message = str(info.value)
    assert "step 2/2" in message and "syntax error" in message
    assert "savepoint" not in message.lower()
    attempts = [
        (e["attempt"], e["status"])
        for e in db.events(m["key"])
        if e["event"] == "attempt" and e["step"] == 2
    ]
    assert len(attempts) == 1 and attempts[0][1] in ("permanent", "check_failed")
    assert db.history() == [] and not db.table_exists("a")


def test_transient_sql_error_in_a_later_step_is_retried(rt, pg_db, DB):
    """A transient error raised by the step's own SQL, sent in the same text as
    the previous step's RELEASE and this attempt's SAVEPOINT: only the attempt
    is undone, the earlier step is kept."""
    db = DB(pg_db)
    db.execute("CREATE SEQUENCE calls")  # outside any transaction: never undone
    flaky = (
        "INSERT INTO kept VALUES (2);"
        " DO $$ BEGIN IF nextval('calls') <= 2 THEN"
        " RAISE EXCEPTION 'try again' USING ERRCODE = '40001'; END IF; END $$;"
        " INSERT INTO kept VALUES (3)"
    )
    up = [
        make_step(
            "schema", "CREATE TABLE kept (x INTEGER); INSERT INTO kept VALUES (1)"
        ),
        make_step("data", flaky, retries=2, timeout_ms=5000),
        make_step("schema", "SELECT pg_sleep(0.2)"),  # the timeout was restored
    ]
    m = make_migration(up=up)
    result = rt.run_migration(m, "up", pg_db)
    assert result["status"] == "applied" and result["attempts"] == 5
    assert db.rows("SELECT x FROM kept ORDER BY x") == [(1,), (2,), (3,)]
    statuses = [
        e["status"]
        for e in db.events(m["key"])
        if e["event"] == "attempt" and e["step"] == 2
    ]
    assert statuses == ["transient", "transient", "ok"]


def test_postgresql_round_trips_per_migration(rt, pg_db, monkeypatch):
    """BEGIN + history read, the step's SQL, history + events + COMMIT: three
    round trips for a one-step migration (two once the session keeps the
    history); a savepoint only for a step that may retry: one with retries,
    or any step while lock timeouts are retried (lock_retries, default 5)."""
    import psycopg

    sent = []
    execute = psycopg.Cursor.execute  # ClientCursor and conn.execute use it too

    def counting(self, query, params=None, **kwargs):
        sent.append(str(query))
        return execute(self, query, params, **kwargs)

    first = make_migration(name="app.db.first")
    second = make_migration(
        name="app.db.second",
        up=[
            make_step(
                "schema", "CREATE TABLE t2 (x INTEGER); INSERT INTO t2 VALUES (1)"
            )
        ],
    )
    with rt.open_session(pg_db, lock_retries=0) as session:
        rt.apply_up(session, first)  # also creates the tables
        monkeypatch.setattr(psycopg.Cursor, "execute", counting)
        assert rt.apply_up(session, second)["status"] == "applied"
        assert session.db.deferred == []
    assert len(sent) == 3, sent
    begin, step, commit = (text.split(";")[0] for text in sent)
    assert begin == "BEGIN" and "contractspec_history" in sent[0]
    assert step == "CREATE TABLE t2 (x INTEGER)" and "INSERT INTO t2" in sent[1]
    # The commit's text checks that the session still holds the lock, first.
    assert commit.startswith("DO $contractspec$") and "pg_advisory_unlock" in commit
    assert "INSERT INTO contractspec_history" in sent[2]
    assert sent[2].endswith("COMMIT")
    assert not any("SAVEPOINT" in text for text in sent)

    # A session that read the history under the lock keeps it: no history
    # read, BEGIN goes with the step's SQL, two round trips.
    fourth = make_migration(
        name="app.db.fourth", up=[make_step("schema", "CREATE TABLE t4 (x INTEGER)")]
    )
    monkeypatch.setattr(psycopg.Cursor, "execute", execute)
    with rt.open_session(pg_db) as session:
        rt.read_history(session)
        monkeypatch.setattr(psycopg.Cursor, "execute", counting)
        sent.clear()
        assert rt.apply_up(session, fourth)["status"] == "applied"
        assert rt.apply_up(session, fourth)["status"] == "skipped"  # it knows
    assert len(sent) == 2, sent
    assert sent[0].startswith("BEGIN;") and "SELECT" not in sent[0]
    assert "INSERT INTO contractspec_history" in sent[1]

    for lock_retries, step in ((0, make_step(retries=1)), (5, make_step())):
        third = make_migration(name=f"app.db.third{lock_retries}", up=[step])
        monkeypatch.setattr(psycopg.Cursor, "execute", counting)
        sent.clear()
        with rt.open_session(pg_db, lock_retries=lock_retries) as session:
            assert rt.apply_up(session, third)["status"] == "applied"
        assert any(t.startswith("SAVEPOINT contractspec_step_1_1") for t in sent)


def test_nul_in_an_error_does_not_lose_the_failure_events(
    rt, database_url, db, tmp_path
):
    """PostgreSQL text cannot hold NUL: the runtime writes it as \\0 there
    rather than failing to record the failure."""
    step = file_step(
        tmp_path,
        "nul.py",
        "def run(conn):\n    raise RuntimeError('bad\\x00byte')\n",
        "python_file",
        func="run",
    )
    m = make_migration(up=[step])
    with pytest.raises(rt.MigrationError) as info:
        rt.run_migration(m, "up", database_url, base_dir=tmp_path)
    assert "could not record" not in str(info.value)
    failure = [e for e in db.events(m["key"]) if e["event"] == "failure"]
    assert len(failure) == 1
    expected = "bad\\0byte" if db.dialect == "postgresql" else "bad\x00byte"
    assert expected in failure[0]["error"]
