"""One bounded reader for every file contractspec and its harnesses read.

Each file the tool reads besides spec and pinned files (tests/
test_confined_reads.py) replaced by a FIFO (a blocking read would hang), a
symlink to /dev/zero (a whole read would eat memory without limit) or a file
over the limit: a harness and the runtime package under `migrate`, the spec
cache and black's cache (a miss), files `build` would replace, a spec being
edited and `@file` values, the runtime files a harness loads and the files it
pins. Each case runs the real CLI (or the harness) in a subprocess with a
timeout, so a read that blocks fails the test instead of hanging it."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from support import cli

from contractspec.commands.spec import read_value
from contractspec.errors import UsageError
from contractspec.runtime.loader import MAX_FILE_BYTES

TIMEOUT = 60
KINDS = ["fifo", "dev-zero", "over the limit"]
HARNESS = "harnesses/b__db__m1__v1.py"
SETTING = "(max_file_bytes in [tool.contractspec])"


def contractspec(project: Path, *args: str, **kwargs) -> subprocess.CompletedProcess:
    done = subprocess.run(
        [sys.executable, "-m", "contractspec", *args, "-C", str(project)],
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        **kwargs,
    )
    assert "Traceback" not in done.stderr, done.stderr
    return done


def replace(path: Path, kind: str, limit: int = 0) -> None:
    """path becomes a FIFO, a symlink to /dev/zero, or a file of limit + 1
    bytes (sparse past the limit: nothing needs to be written)."""
    if path.exists() or path.is_symlink():
        path.unlink()
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "dev-zero":
        path.symlink_to("/dev/zero")
    else:
        with open(path, "wb") as file:
            file.truncate(limit + 1)


def limit_to(project: Path, max_bytes: int) -> None:
    with open(project / "pyproject.toml", "a") as file:
        file.write(f"max_file_bytes = {max_bytes}\n")


@pytest.fixture
def project(tmp_path, write_project) -> Path:
    """Two built migrations: b.db.m1 (a schema step), b.db.m2 (a .sql file)."""
    project = write_project(
        tmp_path / "proj",
        {
            "b.db.m1": 'SchemaStep("CREATE TABLE t1 (id INTEGER)")',
            "b.db.m2": 'DataStep(script="fill.sql")',
        },
        {"fill.sql": "INSERT INTO t1 (id) VALUES (1);\n"},
    )
    assert contractspec(project, "build", "--all").returncode == 0
    return project


def _url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'app.db'}"


@pytest.mark.parametrize("kind", KINDS)
def test_migrate_refuses_a_harness_it_cannot_read(project, tmp_path, kind, DB):
    replace(project / HARNESS, kind, 100_000)
    limit_to(project, 100_000)  # the specs and runtime files fit, the harness not
    done = contractspec(project, "migrate", "up", "--database", _url(tmp_path))
    assert done.returncode == 1, done.stderr
    (line,) = [line for line in done.stderr.splitlines() if HARNESS in line]
    why = {
        "fifo": "is not a regular file (a FIFO, socket or device)",
        "dev-zero": "resolves to /dev/zero, outside the project",
        "over the limit": f"is 100001 bytes, more than the limit of 100000 {SETTING}",
    }[kind]
    assert why in line and "(harness of b.db.m1.v1)" in line
    assert DB(_url(tmp_path)).history() == []  # refused before anything ran
    status = contractspec(
        project, "migrate", "status", "--json", "--database", _url(tmp_path)
    )
    assert '"harness": "unreadable"' in status.stdout


@pytest.mark.parametrize("kind", KINDS)
def test_migrate_refuses_a_runtime_file_it_cannot_read(project, tmp_path, kind):
    runtime_file = project / "harnesses" / "_contractspec_runtime" / "steps.py"
    replace(runtime_file, kind, 100_000)
    limit_to(project, 100_000)
    done = contractspec(project, "migrate", "up", "--database", _url(tmp_path))
    assert done.returncode == 1, done.stderr
    assert "harnesses/_contractspec_runtime/steps.py " in done.stderr
    assert {"fifo": "not a regular file", "dev-zero": "outside the project"}.get(
        kind, f"more than the limit of 100000 {SETTING}"
    ) in done.stderr


@pytest.mark.parametrize("kind", KINDS)
def test_a_harness_run_directly_refuses_a_runtime_file_it_cannot_read(
    project, tmp_path, kind
):
    """The loader reads the runtime folder with the runtime's reader: runtime
    files are a few kB, so one over 1 MiB is refused too."""
    replace(project / "harnesses" / "_contractspec_runtime" / "steps.py", kind, 1 << 20)
    done = subprocess.run(
        [sys.executable, str(project / HARNESS), "up", "--database", _url(tmp_path)],
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )
    assert done.returncode == 3 and "Traceback" not in done.stderr, done.stderr
    assert "_contractspec_runtime/steps.py " in done.stderr
    assert {
        "fifo": "is not a regular file",
        "dev-zero": "is not a regular file",
        "over the limit": "is 1048577 bytes, more than the limit of 1048576",
    }[kind] in done.stderr
    assert "restore it with: contractspec build --all" in done.stderr


@pytest.mark.parametrize("kind", KINDS)
def test_a_harness_run_directly_refuses_a_pinned_file_it_cannot_read(
    project, tmp_path, kind
):
    """A pinned file swapped after the build: the harness's own reader refuses
    it, bounded by MAX_FILE_BYTES (what any project may allow)."""
    url = _url(tmp_path)
    assert (
        contractspec(project, "migrate", "up", "b.db.m1", "--database", url).returncode
        == 0
    )
    replace(project / "migrations" / "fill.sql", kind, MAX_FILE_BYTES)
    harness = project / "harnesses" / "b__db__m2__v1.py"
    done = subprocess.run(
        [sys.executable, str(harness), "up", "--database", url],
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )
    assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr
    why = {
        "fifo": "is not a regular file",
        "dev-zero": "is not a regular file",
        "over the limit": f"is {MAX_FILE_BYTES + 1} bytes, more than the limit of"
        f" {MAX_FILE_BYTES}",
    }[kind]
    assert "fill.sql " + why in done.stderr


@pytest.mark.parametrize("kind", KINDS)
def test_the_spec_cache_is_a_miss_when_it_cannot_be_read(project, kind):
    specs = project / ".contractspec_cache" / "specs.marshal"
    assert specs.is_file()  # the build wrote it
    replace(specs, kind, MAX_FILE_BYTES)
    done = contractspec(project, "list")
    assert done.returncode == 0, done.stderr
    assert "b.db.m1.v1" in done.stdout and "b.db.m2.v1" in done.stdout
    assert specs.is_file() and not specs.is_symlink()  # written anew, whole
    assert specs.stat().st_size < 1 << 20


@pytest.mark.parametrize("kind", KINDS)
def test_black_cache_entries_are_misses_when_they_cannot_be_read(
    project, kind, black_formats
):
    # In-process: only a build under another black series reads black's cache.
    harnesses = sorted((project / "harnesses").glob("*.py"))
    before = {path.name: path.read_bytes() for path in harnesses}
    assert cli(project, "build", "--all").exit_code == 0  # black's output, cached
    entries = list((project / ".contractspec_cache" / "black").glob("*/*.py"))
    assert entries
    for entry in entries:
        replace(entry, kind, MAX_FILE_BYTES)
    for path in harnesses:
        path.unlink()
    done = cli(project, "build", "--all")
    assert done.exit_code == 0, done.stderr
    assert {path.name: path.read_bytes() for path in harnesses} == before


@pytest.mark.parametrize("kind", KINDS)
def test_build_refuses_to_replace_a_file_it_cannot_read(project, kind):
    replace(project / HARNESS, kind, 100_000)
    limit_to(project, 100_000)
    done = contractspec(project, "build", "--all")
    assert done.returncode == 3, done.stderr
    assert f"{HARNESS} " in done.stderr and "move it away" in done.stderr
    if kind == "over the limit":
        assert f"more than the limit of 100000 {SETTING}" in done.stderr
    assert (project / HARNESS).is_symlink() == (kind == "dev-zero")  # left alone


def test_an_edit_reads_the_spec_bounded(project):
    spec = project / "migrations" / "m1.py"
    text = spec.read_text()
    spec.write_text(text + "# padding\n" * 100)
    limit_to(project, 600)  # m2's spec fits; the padded m1 does not
    done = contractspec(project, "spec", "set", str(spec), "title", "New title")
    assert done.returncode == 3, done.stderr
    assert f"more than the limit of 600 {SETTING}" in done.stderr
    assert "New title" not in spec.read_text()


@pytest.mark.parametrize("kind", ["fifo", "dev-zero"])
def test_a_value_read_from_a_file_is_bounded(project, tmp_path, kind):
    source = tmp_path / "step.sql"
    replace(source, kind)
    done = contractspec(project, "spec", "add-step", "b.db.m1", "--sql", f"@{source}")
    assert done.returncode == 2, done.stderr
    assert f"@{source} is not a regular file" in done.stderr


def test_a_value_over_the_limit_is_refused(tmp_path):
    big = tmp_path / "big.sql"
    replace(big, "over the limit", 10 * 1024 * 1024)
    with pytest.raises(UsageError, match=f"@{big} is 10485761 bytes, more than the"):
        read_value(f"@{big}")
    with pytest.raises(UsageError, match="from stdin is more than 10485760 bytes"):
        read_value("-", io.StringIO("x" * (10 * 1024 * 1024 + 1)))
    assert read_value("-", io.StringIO("SELECT 1")) == "SELECT 1"


@pytest.mark.parametrize("kind", ["fifo", "dev-zero"])
def test_a_sqlite_lock_file_that_is_not_a_file_is_refused(project, tmp_path, kind):
    """`<db>.lock` is opened read-write without blocking, and refused unless
    it is a regular file (the holder's name is read from it)."""
    replace(tmp_path / "app.db.lock", kind)
    done = contractspec(project, "migrate", "up", "--database", _url(tmp_path))
    assert done.returncode == 3, done.stderr
    assert f"lock file {tmp_path / 'app.db.lock'} is not a regular file" in done.stderr
