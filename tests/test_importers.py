"""What `import sqitch` and `import flyway` share: scripts as steps, the one
bounded reader (FIFOs, /dev/zero, huge scripts and symlinks out of the import
folder are refused, never waited on or read), and writing all or nothing.
Each importer's own rules are in test_import_sqitch.py and test_import_flyway.py."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from support import cli, new_project

from contractspec.commands.importers import strip_transaction
from contractspec.commands.importers.scripts import script_steps
from contractspec.writer import atomic_write

PLAN = "%project=shop\n\nprices 2025-01-01T00:00:00Z Pat <pat@example.invalid>\n"


def sqitch_folder(folder: Path) -> Path:
    for kind in ("deploy", "revert", "verify"):
        (folder / kind).mkdir(parents=True)
    (folder / "sqitch.conf").write_text("[core]\n\tengine = sqlite\n")
    (folder / "sqitch.plan").write_text(PLAN)
    (folder / "deploy" / "prices.sql").write_text("CREATE TABLE prices (id INT);\n")
    (folder / "revert" / "prices.sql").write_text("DROP TABLE prices;\n")
    return folder


# --- scripts as steps -----------------------------------------------------------------


def test_only_the_scripts_own_transaction_statements_are_dropped():
    function = (
        "BEGIN;\nCREATE FUNCTION touch() RETURNS void AS $$\nBEGIN\n"
        "  PERFORM 1;\nEND;\n$$ LANGUAGE plpgsql;\nSAVEPOINT s;\nCOMMIT;\n"
    )
    assert strip_transaction(function, "postgresql") == (
        "CREATE FUNCTION touch() RETURNS void AS $$\nBEGIN\n"
        "  PERFORM 1;\nEND;\n$$ LANGUAGE plpgsql;\nSAVEPOINT s;\n"
    )  # the savepoint stays, for build to refuse where a person sees it
    text = "BEGIN TRANSACTION;\nINSERT INTO notes VALUES ('COMMIT;');\nCOMMIT;\n"
    assert (
        strip_transaction(text, "sqlite") == "INSERT INTO notes VALUES ('COMMIT;');\n"
    )


def test_statements_outside_a_transaction_get_steps_of_their_own():
    script = (
        "-- Deploy shop:orders_idx\nBEGIN;\nALTER TABLE orders ADD COLUMN n INT;\n"
        "UPDATE orders SET n = 0;\nCOMMIT;\n\n-- the index, without blocking writes\n"
        "CREATE INDEX CONCURRENTLY orders_n ON orders (n);\n"
        "DROP INDEX CONCURRENTLY IF EXISTS orders_old;\n"
        "ANALYZE orders;\n-- done\n"
    )
    notes: list[str] = []
    steps = script_steps(script, "postgresql", "deploy/x.sql", "deploy x", notes)
    assert [(s.payload, s.transactional, s.description) for s in steps] == [
        (
            "-- Deploy shop:orders_idx\n\nALTER TABLE orders ADD COLUMN n INT;\n"
            "UPDATE orders SET n = 0;\n",
            True,
            "deploy x (1/4)",
        ),
        (
            "-- the index, without blocking writes\n"
            "CREATE INDEX CONCURRENTLY orders_n ON orders (n);\n",
            False,
            "deploy x (2/4), outside the transaction",
        ),
        (
            "DROP INDEX CONCURRENTLY IF EXISTS orders_old;\n",
            False,
            "deploy x (3/4), outside the transaction",
        ),
        ("ANALYZE orders;\n-- done\n", True, "deploy x (4/4)"),
    ]
    assert notes == [
        "deploy/x.sql: split into 4 steps in the script's order; outside the"
        " transaction: step 2 (CREATE INDEX CONCURRENTLY, line 8), step 3 (DROP"
        " INDEX CONCURRENTLY, line 9); the steps before such a step commit first"
    ]


def test_a_script_in_one_transaction_stays_one_step():
    notes: list[str] = []
    steps = script_steps(
        "BEGIN;\nCREATE TABLE t (id INT);\nCOMMIT;\n", "sqlite", "s.sql", "s", notes
    )
    assert [(s.payload, s.transactional) for s in steps] == [
        ("CREATE TABLE t (id INT);\n", True)
    ]
    assert notes == []


# --- reading: the one bounded reader -------------------------------------------------


def refused_quickly(project: Path, *args: str) -> str:
    started = time.monotonic()
    result = cli(project, "import", *args)
    assert time.monotonic() - started < 10  # never waits on a FIFO
    assert result.exit_code == 2, result.stderr
    assert "Traceback" not in result.stderr
    return result.stderr


@pytest.mark.parametrize("where", ["sqitch.plan", "deploy/prices.sql", "sqitch.conf"])
def test_a_fifo_is_refused_not_waited_on(tmp_path, where):
    source = sqitch_folder(tmp_path / "sqitch")
    (source / where).unlink()
    os.mkfifo(source / where)
    project = new_project(tmp_path / "proj", "sqlite")
    message = refused_quickly(project, "sqitch", str(source))
    assert (
        f"{source / where}: is not a regular file (a FIFO, socket or device)" in message
    )
    assert not (project / "migrations" / "shop").exists()


def test_a_symlink_to_dev_zero_is_refused_not_read(tmp_path):
    source = sqitch_folder(tmp_path / "sqitch")
    (source / "verify" / "prices.sql").symlink_to("/dev/zero")
    message = refused_quickly(
        new_project(tmp_path / "proj", "sqlite"), "sqitch", str(source)
    )
    assert (
        f"{source / 'verify' / 'prices.sql'}: resolves to /dev/zero, outside the Sqitch project"
        in message
    )


def test_a_script_symlinked_out_of_the_folder_is_refused(tmp_path):
    """A plan's script symlinked to /etc/passwd is not copied into a spec."""
    source = sqitch_folder(tmp_path / "sqitch")
    (source / "revert" / "prices.sql").unlink()
    (source / "revert" / "prices.sql").symlink_to("/etc/passwd")
    project = new_project(tmp_path / "proj", "sqlite")
    message = refused_quickly(project, "sqitch", str(source))
    assert "resolves to /etc/passwd, outside the Sqitch project" in message
    assert not (project / "migrations" / "shop").exists()
    # A symlink that stays inside the folder is followed.
    (source / "revert" / "prices.sql").unlink()
    (source / "revert" / "prices.sql").symlink_to(source / "deploy" / "prices.sql")
    assert cli(project, "import", "sqitch", str(source)).exit_code == 0


def test_a_huge_script_is_refused_naming_the_limit(tmp_path):
    folder = tmp_path / "sql"
    folder.mkdir()
    with open(folder / "V1__huge.sql", "w") as huge:
        line = "INSERT INTO t VALUES (1);\n"
        huge.write(line * (30 * 1024 * 1024 // len(line) + 1))  # 30 MB
    (folder / "V2__more.sql").symlink_to("/dev/zero")
    project = new_project(tmp_path / "proj", "sqlite")
    message = refused_quickly(project, "flyway", str(folder))
    assert f"{folder / 'V1__huge.sql'}: is " in message
    assert (
        "more than the limit of 10485760 (max_file_bytes in [tool.contractspec])"
        in (message)
    )
    (folder / "V1__huge.sql").write_text("SELECT 1;\n")
    message = refused_quickly(project, "flyway", str(folder))
    assert (
        f"{folder / 'V2__more.sql'}: resolves to /dev/zero, outside the Flyway locations"
        in message
    )


def test_a_flyway_fifo_and_script_config_are_refused(tmp_path):
    folder = tmp_path / "sql"
    folder.mkdir()
    (folder / "V1__a.sql").write_text("SELECT 1;\n")
    os.mkfifo(folder / "V1__a.sql.conf")
    project = new_project(tmp_path / "proj", "sqlite")
    message = refused_quickly(project, "flyway", str(folder))
    assert f"{folder / 'V1__a.sql.conf'}: is not a regular file" in message


# --- writing: all or nothing ----------------------------------------------------------


def test_nothing_is_written_when_one_file_is_there_already(tmp_path):
    source = sqitch_folder(tmp_path / "sqitch")
    project = new_project(tmp_path / "proj", "sqlite")
    mine = (
        "from contractspec import MigrationMeta, MigrationPlan, MigrationSpec, SchemaStep\n\n"
        "spec = MigrationSpec(MigrationMeta(name='other.db.x', version=1, title='X',"
        " owners=['me']), MigrationPlan(up=[SchemaStep('SELECT 1')]))\n"
    )
    (project / "migrations" / "shop").mkdir(parents=True)
    (project / "migrations" / "shop" / "0001_prices.py").write_text(mine)
    result = cli(project, "import", "sqitch", str(source))
    assert result.exit_code == 2
    assert "nothing imported: already there: migrations/shop/0001_prices.py" in (
        result.stderr
    )
    assert (project / "migrations" / "shop" / "0001_prices.py").read_text() == mine


def test_an_exclusive_write_never_replaces_a_file(tmp_path):
    target = tmp_path / "spec.py"
    atomic_write(target, b"new\n", exclusive=True)
    assert target.read_bytes() == b"new\n"
    with pytest.raises(FileExistsError):
        atomic_write(target, b"other\n", exclusive=True)
    assert target.read_bytes() == b"new\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["spec.py"]  # no temp left
