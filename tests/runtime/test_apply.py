"""Atomic application, checks, history, drift, dependencies, rehearse, down,
audit: on SQLite and on a real PostgreSQL server."""

from __future__ import annotations

import io
import json
import re

import pytest
from rtkit import check, file_step, make_migration, make_step

from contractspec.codegen.generate import runtime_sources
from contractspec.codegen.render import RUNTIME_NAME
from contractspec.runtime.loader import load

INT = "INTEGER"


def test_multi_statement_schema_step(rt, database_url, db):
    sql = """
    -- a comment; with a semicolon
    CREATE TABLE users (id INTEGER PRIMARY KEY, note TEXT DEFAULT 'a;b');
    CREATE INDEX users_note ON users (note);
    INSERT INTO users (id, note) VALUES (1, 'x;y');
    """
    m = make_migration(
        up=[
            make_step(
                "schema",
                sql,
                post_checks=[("one user", "SELECT count(*) = 1 FROM users")],
            )
        ]
    )
    result = rt.run_migration(m, "up", database_url)
    assert (
        result["status"] == "applied"
        and result["steps"] == 1
        and result["attempts"] == 1
    )
    assert db.rows("SELECT id, note FROM users") == [(1, "x;y")]
    assert db.history() == [(m["key"], m["spec_fingerprint"])]


def test_sqlite_trigger_with_inner_semicolons(rt, tmp_path, DB):
    url = f"sqlite:///{tmp_path / 'x.db'}"
    sql = """
    CREATE TABLE a (x INTEGER);
    CREATE TABLE log (x INTEGER);
    CREATE TRIGGER a_log AFTER INSERT ON a BEGIN
        INSERT INTO log VALUES (new.x);
        INSERT INTO log VALUES (new.x * 10);
    END;
    INSERT INTO a VALUES (2)
    """
    m = make_migration(up=[make_step("schema", sql)])
    rt.run_migration(m, "up", url)
    assert sorted(DB(url).rows("SELECT x FROM log")) == [(2,), (20,)]


def test_post_check_failing_in_third_of_four_steps_rolls_everything_back(
    rt, database_url, db
):
    up = [
        make_step("schema", "CREATE TABLE s1 (id INTEGER)", description="first"),
        make_step("data", "INSERT INTO s1 VALUES (1)", description="second"),
        make_step(
            "schema",
            "CREATE TABLE s3 (id INTEGER)",
            description="third",
            post_checks=[("s1 has two rows", "SELECT count(*) = 2 FROM s1")],
        ),
        make_step("schema", "CREATE TABLE s4 (id INTEGER)", description="fourth"),
    ]
    m = make_migration(up=up)
    with pytest.raises(rt.MigrationError) as info:
        rt.run_migration(m, "up", database_url)
    message = str(info.value)
    assert info.value.exit_code == 1
    assert "step 3/4" in message and "'third'" in message
    assert "post-check 's1 has two rows' failed" in message
    assert m["spec_path"] in message and m["key"] in message
    for table in ("s1", "s3", "s4"):
        assert not db.table_exists(table)
    assert db.history() == []
    events = db.events(m["key"])
    kinds = [e["event"] for e in events]
    assert kinds[0] == "run_start" and kinds[-1] == "run_end"
    assert events[-1]["status"] == "failed"
    assert "failure" in kinds and "rollback" in kinds
    failing = [e for e in events if e["event"] == "check"]
    assert failing[-1]["status"] == "fail" and failing[-1]["step"] == 3
    assert not any(e["step"] == 4 for e in events)
    assert info.value.result["status"] == "failed"


@pytest.mark.parametrize(
    "expression, reason",
    [
        ("SELECT 0", "returned 0"),
        ("SELECT 1 WHERE 1 = 0", "returned no row"),
        ("SELECT * FROM no_such_table", "raised"),
        ("SELECT NULL", "returned None"),
    ],
)
def test_pre_check_falsy_no_row_or_error_aborts(
    rt, database_url, db, expression, reason
):
    up = [
        make_step("schema", "CREATE TABLE p1 (id INTEGER)"),
        make_step(
            "schema",
            "CREATE TABLE p2 (id INTEGER)",
            pre_checks=[("precondition", expression)],
            retries=3,
        ),
    ]
    m = make_migration(up=up)
    with pytest.raises(rt.MigrationError) as info:
        rt.run_migration(m, "up", database_url)
    assert "pre-check 'precondition' failed" in str(info.value) and reason in str(
        info.value
    )
    assert not db.table_exists("p1") and not db.table_exists("p2")
    attempts = [e for e in db.events(m["key"]) if e["event"] == "attempt"]
    assert [a["status"] for a in attempts] == ["ok", "check_failed"]  # never retried


def test_validation_step(rt, database_url, db):
    ok = make_migration(
        "app.db.ok",
        up=[
            make_step("schema", "CREATE TABLE v (x INTEGER)"),
            make_step("validation", "SELECT count(*) = 0 FROM v"),
        ],
    )
    assert rt.run_migration(ok, "up", database_url)["status"] == "applied"
    bad = make_migration(
        "app.db.bad",
        up=[
            make_step(
                "validation", "SELECT count(*) > 0 FROM v", description="v not empty"
            )
        ],
    )
    with pytest.raises(
        rt.MigrationError, match="assertion 'v not empty' failed: returned"
    ):
        rt.run_migration(bad, "up", database_url)


def test_history_row_contents(rt, database_url, db):
    m = make_migration(
        up=[make_step("schema", "CREATE TABLE h (id INTEGER)")], dependencies=[]
    )
    rt.run_migration(m, "up", database_url)
    with rt.open_session(database_url) as session:
        (row,) = rt.read_history(session)
    assert row["key"] == m["key"] and row["name"] == m["name"] and row["version"] == 1
    assert row["spec_fingerprint"] == m["spec_fingerprint"]
    assert row["harness_fingerprint"] == rt.harness_fingerprint(m)
    assert (
        row["harness_fingerprint"].startswith("sha256:")
        and len(row["harness_fingerprint"]) == 71
    )
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", row["applied_at"])
    assert isinstance(row["duration_ms"], int) and row["duration_ms"] >= 0
    assert "@" in row["applied_by"]


def test_harness_fingerprint_is_canonical_json(rt):
    import hashlib

    m = make_migration()
    shuffled = dict(reversed(list(m.items())))
    canonical = json.dumps(m, sort_keys=True, ensure_ascii=True, separators=(",", ":"))
    assert (
        rt.harness_fingerprint(shuffled)
        == "sha256:" + hashlib.sha256(canonical.encode()).hexdigest()
    )


def test_idempotent_skip_and_drift(rt, database_url, db):
    m = make_migration(up=[make_step("schema", "CREATE TABLE d (id INTEGER)")])
    out = io.StringIO()
    assert rt.run_migration(m, "up", database_url, out=out)["status"] == "applied"
    again = rt.run_migration(m, "up", database_url, out=out)
    assert again["status"] == "skipped" and "applied_at" in again
    lines = out.getvalue().splitlines()
    assert re.fullmatch(
        rf"applied {re.escape(m['key'])} in \d+ ms \(1 step\)", lines[0]
    )
    assert lines[1].startswith(f"skipped {m['key']}")
    changed = dict(m, spec_fingerprint="sha256:" + "b" * 64)
    with pytest.raises(rt.MigrationError) as info:
        rt.run_migration(changed, "up", database_url)
    text = str(info.value)
    assert (
        "drift" in text
        and "a" * 64 in text
        and "b" * 64 in text
        and m["spec_path"] in text
    )
    assert db.history() == [(m["key"], m["spec_fingerprint"])]


def test_missing_dependency_is_named(rt, database_url, db):
    m = make_migration(dependencies=["app.db.base.v1", "app.db.other.v2"])
    with pytest.raises(rt.MigrationError) as info:
        rt.run_migration(m, "up", database_url)
    assert "app.db.base.v1, app.db.other.v2" in str(info.value)
    assert not db.table_exists("t1")
    base = make_migration(
        "app.db.base", up=[make_step("schema", "CREATE TABLE base (x INTEGER)")]
    )
    other = make_migration(
        "app.db.other", version=2, up=[make_step("schema", "SELECT 1")]
    )
    rt.run_migration(base, "up", database_url)
    rt.run_migration(other, "up", database_url)
    assert rt.run_migration(m, "up", database_url)["status"] == "applied"


def test_rehearse_leaves_nothing_but_reports(rt, database_url, db):
    up = [
        make_step("schema", "CREATE TABLE r (id INTEGER)"),
        make_step("data", "INSERT INTO r VALUES (1)"),
    ]
    m = make_migration(up=up)
    out = io.StringIO()
    result = rt.run_migration(m, "up", database_url, rehearse=True, out=out)
    assert result["status"] == "rehearsed" and result["steps"] == 2
    assert "would apply 2 steps" in out.getvalue()
    assert not db.table_exists("r")
    assert not db.table_exists("contractspec_history") and not db.table_exists(
        "contractspec_events"
    )
    assert rt.run_migration(m, "up", database_url)["status"] == "applied"


def test_rehearse_of_failing_migration_reports_failure(rt, database_url, db):
    m = make_migration(
        up=[
            make_step("schema", "CREATE TABLE r (id INTEGER)"),
            make_step("validation", "SELECT 0"),
        ]
    )
    with pytest.raises(rt.MigrationError, match="rehearsal"):
        rt.run_migration(m, "up", database_url, rehearse=True)
    assert not db.table_exists("r") and not db.table_exists("contractspec_events")


def test_down_reverts_and_deletes_history_row(rt, database_url, db):
    m = make_migration(
        up=[
            make_step("schema", "CREATE TABLE dn (id INTEGER)"),
            make_step("data", "INSERT INTO dn VALUES (7)"),
        ],
        down=[
            make_step("data", "DELETE FROM dn"),
            make_step("schema", "DROP TABLE dn"),
        ],
    )
    rt.run_migration(m, "up", database_url)
    rehearsed = rt.run_migration(m, "down", database_url, rehearse=True)
    assert (
        rehearsed["status"] == "rehearsed"
        and db.table_exists("dn")
        and len(db.history()) == 1
    )
    out = io.StringIO()
    result = rt.run_migration(m, "down", database_url, out=out)
    assert result["status"] == "reverted" and out.getvalue().startswith(
        f"reverted {m['key']} in "
    )
    assert not db.table_exists("dn") and db.history() == []
    assert {e["event"] for e in db.events(m["key"]) if e["status"] == "reverted"} == {
        "run_end"
    }
    again = rt.run_migration(m, "down", database_url)
    assert again["status"] == "not_applied"
    assert rt.run_migration(m, "up", database_url)["status"] == "applied"


def test_down_failure_keeps_migration_applied(rt, database_url, db):
    m = make_migration(
        up=[make_step("schema", "CREATE TABLE keep (id INTEGER)")],
        down=[
            make_step("schema", "DROP TABLE keep"),
            make_step("validation", "SELECT 0"),
        ],
    )
    rt.run_migration(m, "up", database_url)
    with pytest.raises(rt.MigrationError, match="down step 2/2"):
        rt.run_migration(m, "down", database_url)
    assert db.table_exists("keep") and len(db.history()) == 1


def test_irreversible(rt, database_url, db):
    m = make_migration(down=None)
    rt.run_migration(m, "up", database_url)
    with pytest.raises(rt.MigrationError, match="irreversible") as info:
        rt.run_migration(m, "down", database_url)
    assert m["spec_path"] in str(info.value)
    assert db.table_exists("t1") and len(db.history()) == 1


def test_audit_log_json_lines(rt, database_url, db, tmp_path):
    log = tmp_path / "audit.jsonl"
    m = make_migration(
        up=[
            make_step(
                "schema",
                "CREATE TABLE a1 (x INTEGER)",
                post_checks=[("ok", "SELECT 1")],
            )
        ]
    )
    rt.run_migration(m, "up", database_url, audit_log=str(log))
    bad = make_migration(
        "app.db.bad", up=[make_step("schema", "CREATE TABLE a2 (x INTEGER); SELEC 1")]
    )
    with pytest.raises(rt.MigrationError):
        rt.run_migration(bad, "up", database_url, audit_log=log)
    lines = [json.loads(line) for line in log.read_text().splitlines()]
    good = [e for e in lines if e["migration"] == m["key"]]
    assert [e["event"] for e in good] == [
        "run_start",
        "step_start",
        "check",
        "attempt",
        "step_end",
        "run_end",
    ]
    assert good[-1]["status"] == "applied"
    failed = [e for e in lines if e["migration"] == bad["key"]]
    assert [e["event"] for e in failed][-3:] == ["failure", "rollback", "run_end"]
    assert failed[-1]["status"] == "failed"
    # The table has the failed run's every event, in order; of the clean run
    # only the rows that the rest repeat: its check, step_end and run_end.
    table = [(e["event"], e["status"]) for e in db.events()]
    repeated = ("run_start", "step_start", "attempt")
    kept = [e for e in good if e["event"] not in repeated] + failed
    assert table == [(e["event"], e["status"]) for e in kept]
    assert all(e["database"] for e in lines)


def test_sql_file_python_file_and_module_steps(
    rt, database_url, db, tmp_path, monkeypatch
):
    (tmp_path / "pkgmod").mkdir()
    (tmp_path / "pkgmod" / "__init__.py").write_text("")
    (tmp_path / "pkgmod" / "steps.py").write_text(
        "def fill(conn):\n    conn.execute('INSERT INTO f VALUES (3)')\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    up = [
        file_step(
            tmp_path,
            "sql/create.sql",
            "CREATE TABLE f (x INTEGER);\nINSERT INTO f VALUES (1);\n",
            "sql_file",
        ),
        file_step(
            tmp_path,
            "scripts/fill.py",
            "def run(conn):\n    conn.execute('INSERT INTO f VALUES (2)')\n",
            "python_file",
            func="run",
        ),
        make_step("data", "pkgmod.steps:fill", script_type="python_module"),
    ]
    m = make_migration(up=up)
    rt.run_migration(m, "up", database_url, base_dir=tmp_path)
    assert sorted(db.rows("SELECT x FROM f")) == [(1,), (2,), (3,)]


def test_sha256_pin_mismatch_is_refused(rt, database_url, db, tmp_path):
    step = file_step(tmp_path, "fill.sql", "CREATE TABLE pin (x INTEGER);", "sql_file")
    (tmp_path / "fill.sql").write_text("DROP TABLE important;")
    m = make_migration(
        up=[make_step("schema", "CREATE TABLE before_pin (x INTEGER)"), step]
    )
    with pytest.raises(rt.MigrationError) as info:
        rt.run_migration(m, "up", database_url, base_dir=tmp_path)
    assert "fill.sql changed since the harness was built" in str(info.value)
    assert "step 2/2" in str(info.value)
    assert not db.table_exists("before_pin")  # verified before anything ran
    unpinned = dict(step, script_sha256=None)
    with pytest.raises(rt.MigrationError, match="no pinned sha256"):
        rt.run_migration(
            make_migration(up=[unpinned]), "up", database_url, base_dir=tmp_path
        )


def test_python_step_must_not_commit(rt, database_url, db, tmp_path):
    step = file_step(
        tmp_path,
        "bad.py",
        "def run(conn):\n    conn.commit()\n",
        "python_file",
        func="run",
    )
    m = make_migration(up=[make_step("schema", "CREATE TABLE c1 (x INTEGER)"), step])
    with pytest.raises(rt.MigrationError, match="must not"):
        rt.run_migration(m, "up", database_url, base_dir=tmp_path)
    assert db.history() == []


def test_session_shared_across_runtime_copies(rt, database_url, db, tmp_path):
    """Two harness folders hold two copies of the runtime; one Session serves both."""
    copies = []
    for name in ("harness_a", "harness_b"):
        folder = tmp_path / name / RUNTIME_NAME
        folder.mkdir(parents=True)
        for file, source in runtime_sources().items():
            (folder / file).write_text(source, encoding="utf-8")
        copies.append(vars(load(str(folder))))
    a, b = copies
    first = make_migration(
        "app.db.first", up=[make_step("schema", "CREATE TABLE x1 (id INTEGER)")]
    )
    second = make_migration(
        "app.db.second",
        up=[make_step("schema", "CREATE TABLE x2 (id INTEGER)")],
        dependencies=[first["key"]],
    )
    with a["open_session"](database_url) as session:
        assert a["apply_up"](session, first)["status"] == "applied"
        assert b["apply_up"](session, second)["status"] == "applied"
        with pytest.raises(Exception) as info:
            b["apply_up"](session, dict(second, spec_fingerprint="sha256:x"))
        assert info.value.exit_code == 1 and "drift" in str(info.value)
        assert [r["key"] for r in b["read_history"](session)] == [
            first["key"],
            second["key"],
        ]
        assert (
            b["apply_down"](
                session, dict(second, down=[make_step("schema", "DROP TABLE x2")])
            )["status"]
            == "reverted"
        )
        run_ids = {e["run_id"] for e in a["read_events"](session)}
    assert len(run_ids) == 1  # one session = one run
    assert db.table_exists("x1") and not db.table_exists("x2")


def test_preview_is_offline(rt, tmp_path):
    m = make_migration(
        up=[
            make_step(
                "schema",
                "CREATE TABLE users (\n  id INTEGER\n)",
                description="create users",
                timeout_ms=5000,
                retries=2,
                pre_checks=[check("no users table", "SELECT 1")],
                post_checks=[check("users exists", "SELECT 1")],
            )
        ]
    )
    result = rt.run_migration(m, "plan", "postgresql://nobody@127.0.0.1:1/none")
    text = result["plan"]
    assert result["status"] == "planned" and text == rt.plan_text(m)
    for needle in (
        "create users",
        "timeout 5000 ms",
        "retries 2",
        "no users table",
        "users exists",
        "  id INTEGER",
        "irreversible",
    ):
        assert needle in text


def test_malformed_migration_is_a_config_error(rt, tmp_path):
    with pytest.raises(rt.MigrationError) as info:
        rt.run_migration({"key": "x"}, "up", f"sqlite:///{tmp_path / 'x.db'}")
    assert info.value.exit_code == 3
    with pytest.raises(rt.MigrationError) as info:
        rt.run_migration(make_migration(), "sideways", f"sqlite:///{tmp_path / 'x.db'}")
    assert info.value.exit_code == 2
