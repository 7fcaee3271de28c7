"""Bounded, confined reads: spec files and the files data steps pin are
regular files inside the project (after resolving symlinks), under a size
limit, opened without blocking; and a spec that nests too deeply, binds long
chains of names, names itself too long or holds a lone surrogate is a spec
error, never a traceback. Through the real CLI: in-process, or, where a
mistake could hang or exhaust the stack (a FIFO read by mistake would block
forever), in a subprocess with a timeout."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from support import cli

HEADER = "from contractspec import DataStep, MigrationMeta, MigrationPlan, MigrationSpec, SchemaStep\n"


def _spec(name: str = "conf.db.m1", title: str = "'m1'", step: str = "") -> str:
    steps = step or 'SchemaStep("CREATE TABLE t1 (id INTEGER)")'
    return (
        f"spec = MigrationSpec(meta=MigrationMeta(name={name!r}, version=1, title={title},"
        f' owners=["qa"]), plan=MigrationPlan(up=[{steps}], down=[]))\n'
    )


@pytest.fixture
def project(tmp_path) -> Path:
    project = tmp_path / "proj"
    (project / "migrations").mkdir(parents=True)
    (project / "pyproject.toml").write_text(
        '[tool.contractspec]\nharnesses = "harnesses"\n'
    )
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "evil.sql").write_text("DROP TABLE users;\n")
    (outside / "evil.py").write_text("def run(conn):\n    pass\n")
    return project


def build(project: Path) -> tuple[int, str]:
    """`contractspec build --all` in-process: (exit code, stderr); a traceback
    fails the test."""
    result = cli(project, "build", "--all")
    return result.exit_code, result.stderr


def build_in_a_process(project: Path) -> tuple[int, str]:
    """The same in a fresh interpreter, with a timeout."""
    command = [sys.executable, "-m", "contractspec", "build", "--all"]
    done = subprocess.run(
        command + ["-C", str(project)], capture_output=True, text=True, timeout=120
    )
    assert "Traceback" not in done.stderr, done.stderr
    return done.returncode, done.stderr


def _data_step(project: Path, script: str) -> None:
    step = f"DataStep(script={script!r})"
    (project / "migrations" / "m1.py").write_text(HEADER + _spec(step=step))


@pytest.mark.parametrize(
    "script, make",
    [
        ("../../outside/evil.sql", None),
        ("../../outside/evil.py:run", None),
        ("sub/../../../outside/evil.sql", None),
        (
            "link.sql",
            lambda m: (m / "link.sql").symlink_to(
                m.parent.parent / "outside" / "evil.sql"
            ),
        ),
        (
            "_link.py:run",
            lambda m: (m / "_link.py").symlink_to(
                m.parent.parent / "outside" / "evil.py"
            ),
        ),
        (
            "dir/x.sql",
            lambda m: (m / "dir").symlink_to(m.parent.parent / "outside")
            or (m.parent.parent / "outside" / "x.sql").write_text("SELECT 1"),
        ),
    ],
    ids=["sql ../", "py ../", "sub/../", "sql symlink", "py symlink", "folder symlink"],
)
def test_pinned_files_outside_the_project_are_refused(project, script, make):
    if make:
        make(project / "migrations")
    _data_step(project, script)
    code, stderr = build(project)
    assert code == 3, stderr
    line = stderr.splitlines()[0]
    assert line.startswith("migrations/m1.py:2:")  # path:line:col of the script
    assert "outside the project" in line
    assert not (project / "harnesses").exists()


def test_extra_roots_allow_a_folder_outside(project):
    _data_step(project, "../../outside/evil.sql")
    (project / "pyproject.toml").write_text(
        '[tool.contractspec]\nharnesses = "harnesses"\nextra_roots = ["../outside"]\n'
    )
    code, stderr = build(project)
    assert code == 0, stderr


@pytest.mark.parametrize("kind", ["dev-zero", "fifo"])
@pytest.mark.parametrize("what", ["spec", "script"])
def test_devices_and_fifos_are_refused_without_blocking(project, kind, what):
    migrations = project / "migrations"
    target = migrations / ("m2.py" if what == "spec" else "data.sql")
    if kind == "fifo":
        os.mkfifo(target)
    else:
        target.symlink_to("/dev/zero")
    if what == "script":
        _data_step(project, "data.sql")
    else:
        (migrations / "m1.py").write_text(HEADER + _spec())
    code, stderr = build_in_a_process(project)  # its timeout: nothing blocks
    assert code == 3, stderr
    line = stderr.splitlines()[0]
    if what == "spec":
        assert line.startswith("migrations/m2.py:1:1: spec file ")
    else:
        assert (
            line.startswith("migrations/m1.py:2:")
            and "script migrations/data.sql " in line
        )
    reason = "outside the project" if kind == "dev-zero" else "not a regular file"
    assert reason in line


@pytest.mark.parametrize("what", ["spec", "script"])
def test_files_over_the_size_limit_are_refused(project, what):
    (project / "pyproject.toml").write_text(
        '[tool.contractspec]\nharnesses = "harnesses"\nmax_file_bytes = 2000\n'
    )
    if what == "spec":
        text = HEADER + _spec() + "# padding\n" * 300
        (project / "migrations" / "m1.py").write_text(text)
    else:
        (project / "migrations" / "data.sql").write_text("SELECT 1;\n" * 300)
        _data_step(project, "data.sql")
    code, stderr = build(project)
    assert code == 3, stderr
    assert "more than the limit of 2000 (max_file_bytes in [tool.contractspec])" in (
        stderr
    )


def _names(count: int) -> str:
    lines = ["t0 = 'chained title'"]
    lines += [f"t{i} = t{i - 1}" for i in range(1, count)]
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize(
    "source, message",
    [
        (HEADER + _spec(title="+".join(["'a'"] * 100_000)), "nest too deeply"),
        (HEADER + _spec(title="-" * 100_000 + "1"), "nest too deeply"),
        (
            HEADER + "x = " + "[" * 100 + "'a'" + "]" * 100 + "\n" + _spec(title="x"),
            "values nest more than 64 levels deep",
        ),
        (HEADER + _spec(name="conf.db." + "x" * 300), "name is too long"),
        (HEADER + _spec(title="'bad \\ud800 text'"), "lone surrogate"),
        (HEADER + _spec(step="SchemaStep('SELECT \\udfff')"), "lone surrogate"),
        (
            HEADER + _spec(step=f"SchemaStep('SELECT 1', timeout_ms={'9' * 400})"),
            "timeout_ms must be an integer from 1 to 2147483647, got a 400-digit"
            " integer",
        ),
        (
            HEADER + _spec(step=f"SchemaStep('SELECT 1', retries=0x{'f' * 4000})"),
            "retries must be an integer from 0 to 2147483647, got an integer of more"
            " than 4300 digits",
        ),
    ],
    ids=[
        "100k terms",
        "100k unary",
        "100 nested lists",
        "long name",
        "surrogate title",
        "surrogate sql",
        "400-digit timeout",
        "4800-digit retries",
    ],
)
def test_spec_errors_not_tracebacks(project, source, message):
    (project / "migrations" / "m1.py").write_text(source)
    code, stderr = build_in_a_process(project)  # a fresh stack, as users have
    assert code == 3, stderr
    assert stderr.startswith("migrations/m1.py:") and message in stderr
    assert stderr.splitlines()[-1] == "1 problem found"


def test_a_chain_of_5000_names_loads(project):
    source = HEADER + _names(5000) + _spec(title="t4999")
    (project / "migrations" / "m1.py").write_text(source)
    code, stderr = build_in_a_process(project)
    assert code == 0, stderr
    harness = (project / "harnesses" / "conf__db__m1__v1.py").read_text()
    assert "chained title" in harness
