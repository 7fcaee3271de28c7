"""A data step that is a person's work (issue 22): `migrate up` stops there
(exit 5), `status` shows it waiting, `migrate confirm` runs its post-checks
and records who did it, the next `up` continues; `down` has its own
instructions or is irreversible; `--rehearse` says where it would stop. On
real SQLite files and the real PostgreSQL server, through the real CLI and a
standalone harness."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from support import cli, status

from contractspec.errors import EXIT_WAITING

LEDGER = "app.db.m1_ledger.v1"
AFTER = "app.db.m2_after.v1"

FIRST = """\
from contractspec import DataStep, MigrationCheck, MigrationMeta, MigrationPlan, MigrationSpec, SchemaStep

spec = MigrationSpec(
    meta=MigrationMeta(name="app.db.m1_ledger", version=1, title="ledger", owners=["team-core"]),
    plan=MigrationPlan(
        up=[
            SchemaStep("CREATE TABLE ledger (id INTEGER PRIMARY KEY, cents INTEGER NOT NULL)"),
            DataStep(
                instructions=\"\"\"Ask finance to re-export the March ledger.
Load it with: ledger-load march.csv\"\"\",
                description="Re-export the ledger",
                confirm_by=["team-finance"],
                post_checks=[MigrationCheck("the ledger is loaded", "SELECT COUNT(*) > 0 FROM ledger")],
            ),
            SchemaStep("CREATE TABLE ledger_done (id INTEGER)"),
        ],
        down=[
            DataStep(
                instructions="Tell finance that the March ledger goes away.",
                post_checks=[MigrationCheck("nothing refers to it", "SELECT COUNT(*) = 0 FROM ledger_done")],
            ),
            SchemaStep("DROP TABLE ledger_done"),
            SchemaStep("DROP TABLE ledger"),
        ],
    ),
)
"""

SECOND = """\
from contractspec import MigrationMeta, MigrationPlan, MigrationSpec, SchemaStep

spec = MigrationSpec(
    meta=MigrationMeta(name="app.db.m2_after", version=1, title="after", owners=["team-core"]),
    plan=MigrationPlan(up=[SchemaStep("CREATE TABLE after_ledger (id INTEGER)")], down=[SchemaStep("DROP TABLE after_ledger")]),
    dependencies=["app.db.m1_ledger"],
)
"""


def project(tmp_path: Path, first: str = FIRST, settings: str = "") -> Path:
    root = tmp_path / "app"
    (root / "migrations").mkdir(parents=True)
    (root / "pyproject.toml").write_text(
        '[tool.contractspec]\nharnesses = "harnesses"\n' + settings
    )
    (root / "migrations" / "m1.py").write_text(first)
    (root / "migrations" / "m2.py").write_text(SECOND)
    built = cli(root, "build", "--all")
    assert built.exit_code == 0, built.stderr
    return root


def tables(db) -> set[str]:
    names = ("ledger", "ledger_done", "after_ledger")
    return {name for name in names if db.table_exists(name)}


def confirmations(db) -> list[dict]:
    return [e for e in db.events(LEDGER) if e["event"] == "confirmed"]


def test_up_stops_at_the_persons_work_and_a_rerun_stops_there_again(
    tmp_path, database_url, db
):
    root = project(tmp_path)
    run = cli(root, "migrate", "up", database=database_url)
    assert run.exit_code == EXIT_WAITING == 5, run.stderr
    # The instructions on stdout, whole, with the commands that go on.
    assert run.stdout == (
        f"{LEDGER} waits for a person at up step 2/3 (data 'Re-export the ledger'):\n"
        "\n"
        "    Ask finance to re-export the March ledger.\n"
        "    Load it with: ledger-load march.csv\n"
        "\n"
        "To be confirmed by: team-finance.\n"
        "When it is done, confirm it (its post-checks run first):\n"
        f"    contractspec migrate confirm {LEDGER} --step 2 --by WHO [--note TEXT]\n"
        "then continue: contractspec migrate up\n"
    )
    assert (
        f"0 applied, 1 waiting for a person ({LEDGER}), 1 not attempted" in run.stderr
    )
    # What came before the step is committed; nothing after it ran.
    assert tables(db) == {"ledger"} and db.history() == []
    events = db.events(LEDGER)
    assert [(e["step"], e["event"], e["status"]) for e in events][-2:] == [
        (2, "waiting", "waiting"),
        (None, "run_end", "waiting"),
    ]
    assert events[-2]["detail"] == "Ask finance to re-export the March ledger."
    # A rerun continues to the same place, and stops there again.
    again = cli(root, "migrate", "up", "--json", database=database_url)
    assert again.exit_code == 5, again.stderr
    report = json.loads(again.stdout)
    assert report["ok"] and report["applied"] == [] and report["failed"] is None
    assert report["not_attempted"] == [AFTER]
    assert report["waiting"] == {
        "key": LEDGER,
        "command": "up",
        "step": 2,
        "label": "up step 2/3 (data 'Re-export the ledger')",
        "instructions": "Ask finance to re-export the March ledger.\n"
        "Load it with: ledger-load march.csv",
        "confirm_by": ["team-finance"],
        "confirm": f"contractspec migrate confirm {LEDGER} --step 2 --by WHO",
    }
    skipped = [e for e in db.events(LEDGER) if e["event"] == "step_skipped"]
    assert [(e["step"], e["status"]) for e in skipped] == [(1, "done")]
    assert tables(db) == {"ledger"}


def test_status_explains_the_wait_and_what_to_run(tmp_path, database_url, db):
    root = project(tmp_path)
    dry = cli(root, "migrate", "up", "--dry-run", database=database_url)
    assert dry.exit_code == 0
    assert f"would apply {LEDGER} (NOT atomic: step 2 waits for a person)" in dry.stdout
    assert cli(root, "migrate", "up", database=database_url).exit_code == 5
    rows = status(root, database_url)
    assert rows[LEDGER]["state"] == "waiting"
    assert rows[LEDGER]["waiting"]["step"] == 2
    assert rows[LEDGER]["waiting"]["confirm_by"] == ["team-finance"]
    assert rows[AFTER]["state"] == "pending"
    shown = cli(root, "migrate", "status", database=database_url)
    assert shown.exit_code == 0
    assert f"{LEDGER}  waiting (up step 2)" in shown.stdout
    assert (
        f"{LEDGER}: waiting: Ask finance to re-export the March ledger.\n"
        f"  when it is done: contractspec migrate confirm {LEDGER} --step 2 --by WHO\n"
        "  then: contractspec migrate up\n"
    ) in shown.stderr
    gate = cli(root, "migrate", "status", "--check", database=database_url)
    assert gate.exit_code == 1


def test_a_confirm_that_fails_records_nothing(tmp_path, database_url, db):
    root = project(tmp_path)
    assert cli(root, "migrate", "up", database=database_url).exit_code == 5
    before = db.events()

    def confirm(*args: str):
        return cli(root, "migrate", "confirm", *args, database=database_url)

    # Someone confirm_by does not name.
    refused = confirm("app.db.m1_ledger", "--by", "mallory")
    assert refused.exit_code == 1
    assert (
        "mallory may not confirm up step 2: it is for team-finance (confirm_by)"
        in refused.stderr
    )
    # The work is not done: its post-check fails, and is shown.
    audit = tmp_path / "audit.jsonl"
    failed = confirm(
        "app.db.m1_ledger", "--by", "team-finance", "--audit-log", str(audit)
    )
    assert failed.exit_code == 1
    assert (
        "not confirmed: post-check 'the ledger is loaded' failed: returned"
        in failed.stderr
    )
    assert "nothing recorded" in failed.stderr
    # The audit log keeps the attempt as it happened: the failed check, no
    # confirmation.
    lines = [json.loads(line) for line in audit.read_text().splitlines()]
    assert [(e["event"], e["status"]) for e in lines] == [
        ("run_start", "confirm"),
        ("check", "fail"),
    ]
    assert lines[1]["detail"] == "post-check: the ledger is loaded"
    # Another step than the one it waits at.
    db.execute("INSERT INTO ledger (id, cents) VALUES (1, 500)")
    wrong = confirm("app.db.m1_ledger", "--step", "3", "--by", "team-finance")
    assert wrong.exit_code == 1
    assert "it waits at up step 2, not step 3" in wrong.stderr
    # Nothing of any of them reached the database; it still waits.
    assert db.events() == before
    assert status(root, database_url)[LEDGER]["state"] == "waiting"
    # No --by: usage.
    assert confirm("app.db.m1_ledger").exit_code == 2


def test_confirm_records_who_then_up_continues_after_the_step(
    tmp_path, database_url, db
):
    root = project(tmp_path)
    assert cli(root, "migrate", "up", database=database_url).exit_code == 5
    db.execute("INSERT INTO ledger (id, cents) VALUES (1, 500)")
    done = cli(
        root,
        "migrate",
        "confirm",
        "app.db.m1_ledger",
        "--step",
        "2",
        "--by",
        "Team-Finance",  # owner names are matched without regard to case
        "--note",
        "export of 2025-03-31, ticket FIN-12",
        "--audit-log",
        str(tmp_path / "audit.jsonl"),
        "--json",
        database=database_url,
    )
    assert done.exit_code == 0, done.stderr
    result = json.loads(done.stdout)
    assert (result["key"], result["command"], result["step"]) == (LEDGER, "up", 2)
    assert result["next"] == f"contractspec migrate up {LEDGER}"
    [confirmed] = confirmations(db)
    assert (confirmed["step"], confirmed["status"]) == (2, "up")
    detail = json.loads(confirmed["detail"])
    assert detail["by"] == "Team-Finance"
    assert detail["note"] == "export of 2025-03-31, ticket FIN-12"
    harness = root / "harnesses" / "app__db__m1_ledger__v1.py"
    header = harness.read_text().splitlines()[1]
    assert detail["spec_fingerprint"] in header
    assert detail["harness_fingerprint"].startswith("sha256:")
    # The audit log has the same confirmation, and the checks that passed.
    audit = (tmp_path / "audit.jsonl").read_text().splitlines()
    audited = [json.loads(line) for line in audit]
    assert [e["event"] for e in audited] == [
        "run_start",
        "check",
        "confirmed",
        "run_end",
    ]
    assert json.loads(audited[2]["detail"]) == detail
    assert audited[2]["at"].startswith("20")  # when
    assert audited[3]["status"] == "confirmed"
    checks = [e for e in db.events(LEDGER) if e["event"] == "check"]
    assert [(c["status"], c["detail"]) for c in checks][-1] == (
        "pass",
        "post-check: the ledger is loaded",
    )
    assert status(root, database_url)[LEDGER]["state"] == "partly applied"
    # The next up goes on after the step, and with what depends on it.
    run = cli(root, "migrate", "up", database=database_url)
    assert run.exit_code == 0, run.stderr
    assert "2 applied" in run.stderr
    assert tables(db) == {"ledger", "ledger_done", "after_ledger"}
    skipped = [e for e in db.events(LEDGER) if e["event"] == "step_skipped"]
    assert skipped[-1]["status"] == "confirmed"
    assert "confirmed by Team-Finance" in skipped[-1]["detail"]
    assert [key for key, _ in db.history()] == [LEDGER, AFTER]
    # Nothing waits any more.
    again = cli(
        root,
        "migrate",
        "confirm",
        "app.db.m1_ledger",
        "--by",
        "team-finance",
        database=database_url,
    )
    assert again.exit_code == 1 and "is not waiting for a person" in again.stderr


def test_a_member_of_an_owner_confirms_per_the_owners_map(tmp_path, database_url, db):
    owners = (
        '[tool.contractspec.owners]\nteam-finance = ["@acme/finance",'
        ' "carol@acme.example"]\nteam-core = ["@acme/core"]\n'
    )
    root = project(tmp_path, settings=owners)
    assert cli(root, "migrate", "up", database=database_url).exit_code == 5
    db.execute("INSERT INTO ledger (id, cents) VALUES (1, 500)")

    def confirm(by: str):
        return cli(
            root, "migrate", "confirm", LEDGER, "--by", by, database=database_url
        )

    # A member of another owner (the migration's own, even) is not one of these.
    for outsider in ("@acme/core", "mallory@acme.example"):
        refused = confirm(outsider)
        assert refused.exit_code == 1
        assert (
            f"{outsider} may not confirm up step 2: it is for team-finance"
            " (confirm_by), or a member of one; nothing recorded" in refused.stderr
        )
    assert confirmations(db) == []
    done = confirm("Carol@acme.example")
    assert done.exit_code == 0, done.stderr
    [confirmed] = confirmations(db)
    assert json.loads(confirmed["detail"])["by"] == "Carol@acme.example"


def test_down_waits_at_its_own_instructions_and_continues_once_confirmed(
    tmp_path, database_url, db
):
    root = project(tmp_path)
    assert cli(root, "migrate", "up", database=database_url).exit_code == 5
    db.execute("INSERT INTO ledger (id, cents) VALUES (1, 500)")
    confirm = ("migrate", "confirm", "app.db.m1_ledger", "--by", "team-finance")
    assert cli(root, *confirm, database=database_url).exit_code == 0
    assert cli(root, "migrate", "up", database=database_url).exit_code == 0
    down = cli(root, "migrate", "down", "--all", database=database_url)
    assert down.exit_code == 5, down.stderr
    assert f"{LEDGER} waits for a person at down step 1/3 (data):" in down.stdout
    assert "    Tell finance that the March ledger goes away." in down.stdout
    assert "then continue: contractspec migrate down" in down.stdout
    # The migration after it is reverted; this one is still applied.
    assert [key for key, _ in db.history()] == [LEDGER]
    row = status(root, database_url)[LEDGER]
    assert row["state"] == "waiting" and row["waiting"]["command"] == "down"
    # Its post-check fails while something still refers to the ledger.
    db.execute("INSERT INTO ledger_done (id) VALUES (1)")
    assert cli(root, *confirm, database=database_url).exit_code == 1
    db.execute("DELETE FROM ledger_done")
    done = cli(root, *confirm, "--json", database=database_url)
    assert done.exit_code == 0, done.stderr  # no confirm_by: anyone may
    assert json.loads(done.stdout)["command"] == "down"
    assert json.loads(done.stdout)["next"] == f"contractspec migrate down {LEDGER}"
    row = status(root, database_url)[LEDGER]
    assert (row["state"], row["steps_done"]) == ("partly reverted", [1])
    shown = cli(root, "migrate", "status", database=database_url)
    assert (
        f"{LEDGER}: down steps 1 committed; `contractspec migrate down {LEDGER}`"
        " continues after them"
    ) in shown.stderr
    back = cli(root, "migrate", "down", "app.db.m1_ledger", database=database_url)
    assert back.exit_code == 0, back.stderr
    assert db.history() == [] and tables(db) == set()
    assert status(root, database_url)[LEDGER]["state"] == "pending"
    # Applied again: the person's work is asked for again, from the top.
    again = cli(root, "migrate", "up", database=database_url)
    assert again.exit_code == 5
    assert status(root, database_url)[LEDGER]["waiting"]["command"] == "up"


def test_down_of_a_confirmed_step_without_a_down_plan_is_refused(
    tmp_path, database_url, db
):
    irreversible = (
        FIRST[: FIRST.index("        down=[")] + "        down=None,\n    ),\n)\n"
    )
    root = project(tmp_path, irreversible)
    assert cli(root, "migrate", "up", LEDGER, database=database_url).exit_code == 5
    db.execute("INSERT INTO ledger (id, cents) VALUES (1, 500)")
    confirm = ("migrate", "confirm", LEDGER, "--by", "team-finance")
    assert cli(root, *confirm, database=database_url).exit_code == 0
    assert cli(root, "migrate", "up", LEDGER, database=database_url).exit_code == 0
    refused = cli(root, "migrate", "down", LEDGER, database=database_url)
    assert refused.exit_code == 1
    assert f"cannot revert {LEDGER}: irreversible" in refused.stderr
    assert [key for key, _ in db.history()] == [LEDGER]


def test_rehearse_stops_at_the_persons_work_and_changes_nothing(
    tmp_path, database_url, db
):
    root = project(tmp_path)
    rehearsed = cli(root, "migrate", "up", "--rehearse", database=database_url)
    assert rehearsed.exit_code == 5, rehearsed.stderr
    assert rehearsed.stdout == ""  # nothing waits: no instructions to act on
    assert f"1 would wait for a person ({LEDGER}), 1 not attempted" in rehearsed.stderr
    assert f"not rehearsed: what comes after {LEDGER} up step 2/3" in rehearsed.stderr
    assert tables(db) == set() and db.events() == []
    # Once it waits and is confirmed, a rehearsal does what the run would:
    # skips what is committed and confirmed, rehearses the rest.
    assert cli(root, "migrate", "up", database=database_url).exit_code == 5
    db.execute("INSERT INTO ledger (id, cents) VALUES (1, 500)")
    confirm = ("migrate", "confirm", LEDGER, "--by", "team-finance")
    assert cli(root, *confirm, database=database_url).exit_code == 0
    events = db.events()
    rehearsed = cli(
        root, "migrate", "up", "--rehearse", "--json", database=database_url
    )
    assert rehearsed.exit_code == 0, rehearsed.stderr
    report = json.loads(rehearsed.stdout)
    assert [r["status"] for r in report["applied"]] == ["rehearsed", "rehearsed"]
    assert report["waiting"] is None
    assert tables(db) == {"ledger"} and db.events() == events and db.history() == []


def test_the_standalone_harness_stops_confirms_and_continues(
    tmp_path, database_url, db
):
    root = project(tmp_path)
    harness = root / "harnesses" / "app__db__m1_ledger__v1.py"

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, str(harness), *args, "--database", database_url],
            capture_output=True,
            text=True,
            timeout=120,
        )

    plan = run("plan")
    assert plan.returncode == 0
    assert "up: 3 step(s) NOT atomic: step 2 waits for a person" in plan.stdout
    assert (
        "  2. data 'Re-export the ledger' [a person's work: the run stops here"
        " until it is confirmed]\n"
        "     instructions:\n"
        "       Ask finance to re-export the March ledger.\n"
        "       Load it with: ledger-load march.csv\n"
        "     confirmed by: team-finance\n"
    ) in plan.stdout
    up = run("up")
    assert up.returncode == 5, up.stderr
    assert (
        "    python app__db__m1_ledger__v1.py confirm --step 2 --by WHO [--note TEXT]"
        " --database URL\n"
    ) in up.stdout
    assert f"waiting {LEDGER} at up step 2/3" in up.stderr
    rehearsal = run("up", "--rehearse")
    assert rehearsal.returncode == 5 and "stops at up step 2/3" in rehearsal.stderr
    assert run("confirm", "--by", "team-finance").returncode == 1  # ledger empty
    db.execute("INSERT INTO ledger (id, cents) VALUES (1, 500)")
    assert run("confirm").returncode == 2  # --by is required
    confirmed = run("confirm", "--step", "2", "--by", "team-finance", "--json")
    assert confirmed.returncode == 0, confirmed.stderr
    assert json.loads(confirmed.stdout)["status"] == "confirmed"
    assert confirmations(db)[0]["status"] == "up"
    up = run("up")
    assert up.returncode == 0, up.stderr
    assert tables(db) == {"ledger", "ledger_done"}
    assert [key for key, _ in db.history()] == [LEDGER]


def test_add_step_writes_instructions_and_who_confirms(tmp_path):
    root = project(tmp_path)
    added = cli(
        root,
        "spec",
        "add-step",
        "app.db.m2_after",
        "--instructions",
        "Switch the reports to after_ledger.\nThen tell support.",
        "--confirm-by",
        "team-reports",
        "--confirm-by",
        "team-support",
        "--description",
        "Move the reports",
    )
    assert added.exit_code == 0, added.stderr
    text = (root / "migrations" / "m2.py").read_text()
    assert (
        "            DataStep(\n"
        '                instructions="""\n'
        "Switch the reports to after_ledger.\n"
        "Then tell support.\n"
        '""",\n'
        '                description="Move the reports",\n'
        '                confirm_by=["team-reports", "team-support"],\n'
        "            ),\n"
    ) in text
    again = cli(
        root,
        "spec",
        "add-step",
        "app.db.m2_after",
        "--instructions",
        "Switch the reports to after_ledger.\nThen tell support.",
        "--confirm-by",
        "team-reports",
        "--confirm-by",
        "team-support",
        "--description",
        "Move the reports",
    )
    assert again.exit_code == 0 and "already has this step" in again.stderr
    assert (root / "migrations" / "m2.py").read_text() == text
    built = cli(root, "build", "--all")
    assert built.exit_code == 0, built.stderr
    harness = (root / "harnesses" / "app__db__m2_after__v1.py").read_text()
    assert '"confirm_by": ["team-reports", "team-support"],' in harness
    # Lint asks for a post-check that verifies the work.
    linted = cli(root, "lint", "app.db.m2_after")
    assert linted.exit_code == 1
    assert "instructions-without-post-check" in linted.stdout
    for wrong, why in (
        (["--sql", "SELECT 1", "--confirm-by", "x"], "--confirm-by goes with"),
        (["--instructions", "x", "--script", "y.sql"], "give exactly one of"),
    ):
        refused = cli(root, "spec", "add-step", "app.db.m2_after", *wrong)
        assert refused.exit_code == 2 and why in refused.stderr


@pytest.mark.parametrize(
    "step, message",
    [
        ('DataStep(instructions="x", timeout_ms=5)', "timeout_ms has no meaning"),
        ('DataStep(instructions="x", retries=1)', "retries has no meaning"),
        ('DataStep(instructions="x", batch_size=10)', "batch_size has no meaning"),
        ('DataStep(instructions="x", transactional=False)', "transactional has no"),
        ('DataStep("UPDATE t SET a = 1", instructions="x")', "not both"),
        ('DataStep("UPDATE t SET a = 1", confirm_by=["x"])', "it needs instructions="),
        ('DataStep(instructions="x", confirm_by=[""])', "confirm_by must name owners"),
    ],
)
def test_an_instructions_step_is_refused_with_what_makes_no_sense(
    tmp_path, step, message
):
    root = tmp_path / "app"
    (root / "migrations").mkdir(parents=True)
    (root / "pyproject.toml").write_text("[tool.contractspec]\n")
    (root / "migrations" / "m.py").write_text(
        "from contractspec import DataStep, MigrationMeta, MigrationPlan, MigrationSpec\n"
        "spec = MigrationSpec(meta=MigrationMeta(name='app.db.m', version=1, title='m',"
        f" owners=['qa']), plan=MigrationPlan(up=[{step}]))\n"
    )
    refused = cli(root, "build", "--all")
    assert refused.exit_code == 3
    assert refused.stderr.startswith("migrations/m.py:2:")
    assert message in refused.stderr


def test_who_may_confirm():
    from contractspec import runtime

    finance = ["team-finance"]
    assert runtime.may_confirm("team-finance", finance, {})
    assert runtime.may_confirm(" Team-Finance ", finance, {})  # case, spaces
    assert not runtime.may_confirm("alice", finance, {})
    assert runtime.may_confirm("anyone", [], {})  # no confirm_by: anyone
    # The members of an owner act for it (the runtime's part of an owners map).
    members = {"team-finance": ["@acme/finance", "alice@acme.example"]}
    assert runtime.may_confirm("ALICE@acme.example", finance, members)
    assert not runtime.may_confirm("bob@acme.example", finance, members)
    assert not runtime.may_confirm("@acme/finance", ["team-core"], members)


def test_a_failing_pre_check_stops_the_run_before_it_waits(tmp_path, database_url, db):
    pre = FIRST.replace(
        '                confirm_by=["team-finance"],\n',
        '                confirm_by=["team-finance"],\n'
        '                pre_checks=[MigrationCheck("the export arrived",'
        ' "SELECT COUNT(*) > 0 FROM ledger")],\n',
    )
    root = project(tmp_path, pre)
    run = cli(root, "migrate", "up", LEDGER, database=database_url)
    assert run.exit_code == 1
    assert (
        "up step 2/3 (data 'Re-export the ledger'): pre-check 'the export arrived'"
        " failed: returned"
    ) in run.stderr
    assert "partly applied (not atomic; steps committed: 1)" in run.stderr
    assert tables(db) == {"ledger"}
    assert not [e for e in db.events(LEDGER) if e["event"] == "waiting"]
    assert status(root, database_url)[LEDGER]["state"] == "partly applied"
    db.execute("INSERT INTO ledger (id, cents) VALUES (1, 500)")
    assert cli(root, "migrate", "up", LEDGER, database=database_url).exit_code == 5


def test_single_transaction_refuses_a_persons_work_before_anything_runs(
    tmp_path, database_url, db
):
    root = project(tmp_path)
    run = cli(root, "migrate", "up", "--single-transaction", database=database_url)
    assert run.exit_code == 2
    assert f"{LEDGER}: step 2 waits for a person" in run.stderr
    assert tables(db) == set() and db.history() == []
