"""The wheel carries the templates: a non-editable install builds harnesses.

Builds a wheel from this checkout (no build isolation, so no downloads),
installs it into a fresh virtual environment that sees the already-installed
dependencies (--system-site-packages) but not this source tree, and runs
`contractspec build --stdout` in the example project with that environment.
Takes a few seconds; it runs in CI like every other test.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHOP = REPO / "generated_examples" / "shop"


def run(*args, **kwargs) -> subprocess.CompletedProcess:
    kwargs.setdefault("capture_output", True)
    kwargs.setdefault("text", True)
    kwargs.setdefault("timeout", 300)
    result = subprocess.run([str(a) for a in args], **kwargs)
    assert result.returncode == 0, f"{args}:\n{result.stdout}\n{result.stderr}"
    return result


def test_wheel_ships_templates_and_builds_outside_the_repository(tmp_path):
    dist = tmp_path / "dist"
    run(
        sys.executable,
        "-m",
        "pip",
        "wheel",
        "--no-deps",
        "--no-build-isolation",
        "--no-index",
        "-w",
        dist,
        REPO,
    )
    [wheel] = dist.glob("contractspec-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "contractspec/templates/harness.py.j2" in names
    assert "contractspec/templates/harness_tail.py" in names
    assert "contractspec/runtime/harness_runtime.py" in names

    venv = tmp_path / "venv"
    run(sys.executable, "-m", "venv", "--system-site-packages", "--without-pip", venv)
    python = venv / ("Scripts" if os.name == "nt" else "bin") / "python"
    # The system pip installs into the venv (sys.prefix is the venv's).
    run(
        python,
        "-m",
        "pip",
        "install",
        "--no-deps",
        "--no-index",
        "--no-warn-script-location",
        wheel,
    )

    # The project elsewhere, so nothing can come from this checkout by accident.
    shop = tmp_path / "shop"
    shutil.copytree(
        SHOP,
        shop,
        ignore=shutil.ignore_patterns("*.db", "*.lock", ".contractspec_cache"),
    )
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    where = run(
        python,
        "-c",
        "import contractspec, contractspec.codegen.render as r; print(contractspec.__file__); print(r.templates_dir())",
        cwd=tmp_path,
        env=env,
    ).stdout.splitlines()
    assert all(Path(line).is_relative_to(venv) for line in where), where
    assert not any(Path(line).is_relative_to(REPO) for line in where), where

    out = run(
        python,
        "-m",
        "contractspec",
        "build",
        "--stdout",
        "core.db.2025_01_add_users",
        cwd=shop,
        env=env,
    ).stdout
    # Byte for byte what this checkout generates (the wheel was built from it just now).
    from contractspec.codegen.generate import generate
    from contractspec.commands import open_project

    [expected] = generate(open_project(shop), ["core.db.2025_01_add_users.v1"])
    assert out == expected.source
