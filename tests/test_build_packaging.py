"""The wheel carries the templates: a non-editable install builds harnesses.

Builds a wheel from this checkout with hatchling from the test extra (no build
isolation, so no downloads) and installs it into a virtual environment of its
own: not this source tree and not the base interpreter's packages, only the
wheel, with its dependencies taken from the environment running the tests.
Then runs `contractspec build --stdout` and `build --check` in a copy of the
example project with that environment. Takes a few seconds; it runs in CI like every other test.
"""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHOP = REPO / "generated_examples" / "shop"


def run(*args, **kwargs) -> subprocess.CompletedProcess:
    kwargs.setdefault("capture_output", True)
    kwargs.setdefault("text", True)
    kwargs.setdefault("timeout", 300)
    result = subprocess.run([str(a) for a in args], **kwargs)
    assert result.returncode == 0, f"{args}:\n{result.stdout}\n{result.stderr}"
    return result


@pytest.mark.slow
def test_wheel_ships_templates_and_builds_outside_the_repository(
    tmp_path, copy_tracked
):
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
    runtime = REPO / "src" / "contractspec" / "runtime"  # the package, every file
    assert {f"contractspec/runtime/{p.name}" for p in runtime.glob("*.py")} <= set(
        names
    )
    assert "contractspec/py.typed" in names  # PEP 561: the package is typed

    venv = tmp_path / "venv"
    run(sys.executable, "-m", "venv", "--without-pip", venv)
    python = venv / ("Scripts" if os.name == "nt" else "bin") / "python"
    # The running environment's packages (black, libcst, ..., pip itself) as plain
    # path entries: their .pth files, this checkout's editable install among them,
    # are not processed, so `contractspec` can only come from the wheel.
    site_packages = run(
        python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"
    ).stdout.strip()
    dependencies = dict.fromkeys(
        sysconfig.get_paths()[key] for key in ("purelib", "platlib")
    )
    (Path(site_packages) / "_running_environment.pth").write_text(
        "".join(f"{path}\n" for path in dependencies), encoding="utf-8"
    )
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
    shop = copy_tracked(SHOP, tmp_path / "shop")
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
    from contractspec.project import open_project

    project = open_project(shop)
    [expected] = generate(
        project.config,
        project.specs,
        project.registry,
        ["core.db.2025_01_add_users.v1"],
    )
    assert out == expected.source
    # The runtime package the wheel writes is the committed one, file for file.
    run(python, "-m", "contractspec", "build", "--check", cwd=shop, env=env)
