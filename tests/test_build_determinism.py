"""Same input, same bytes: twice, across hash seeds, folders, cache states and worker counts."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from contractspec import format as fmt
from contractspec.cli import root
from contractspec.codegen.generate import generate
from contractspec.project import open_project

REPO = Path(__file__).resolve().parents[1]
SHOP = REPO / "generated_examples" / "shop"
EMITTED_STYLE = fmt.EMITTED_STYLE

SPEC = '''\
from contractspec import MigrationCheck, MigrationMeta, MigrationPlan, MigrationSpec, SchemaStep

spec = MigrationSpec(
    meta=MigrationMeta(
        name="gen.db.m{n:04d}",
        version=1,
        title="Generated migration {n} — ünïcödé, \\u202e, \\"quotes\\"",
        owners=["team-{team}", "owner{n}@example.com"],
        tags=["t{a}", "t{b}", "t{c}"],
        domain="gen",
    ),
    plan=MigrationPlan(
        up=[
            SchemaStep(
                """
CREATE TABLE t{n} (
    id INTEGER PRIMARY KEY,
    value TEXT NOT NULL DEFAULT 'x{n}'
)
""",
                description="Create t{n}",
                timeout_ms={timeout},
                post_checks=[MigrationCheck(description="t{n} exists", expression="SELECT COUNT(*) >= 0 FROM t{n}")],
            ),
        ],
        down=[SchemaStep(sql="DROP TABLE t{n}")],
    ),
    dependencies={deps},
)
'''


def make_project(folder: Path, count: int) -> Path:
    (folder / "migrations").mkdir(parents=True)
    (folder / "pyproject.toml").write_text(
        '[tool.contractspec]\nspecs = "migrations"\nharnesses = "harnesses"\n'
    )
    for n in range(count):
        deps = [f"gen.db.m{d:04d}" for d in {n // 2, n - 1} if 0 <= d < n]
        (folder / "migrations" / f"m{n:04d}.py").write_text(
            SPEC.format(
                n=n,
                team=n % 3,
                a=n,
                b=n % 5,
                c=n % 7,
                timeout=1000 + n,
                deps=sorted(deps),
            )
        )
    return folder


def harnesses(project, keys, **options):
    """The harnesses of keys, generated from the project's specs."""
    return generate(project.config, project.specs, project.registry, keys, **options)


def harness_bytes(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted((folder / "harnesses").glob("*.py"))}


def test_same_spec_twice_gives_the_same_bytes():
    project = open_project(SHOP)
    keys = [s.key for s in project.registry.list()]
    first = [h.source for h in harnesses(project, keys)]
    second = [h.source for h in harnesses(open_project(SHOP), keys)]
    assert first == second


@pytest.mark.parametrize("seeds", [("0", "1")])
@pytest.mark.slow
def test_hash_seed_folder_and_cache_do_not_matter(tmp_path, copy_tracked, seeds):
    """Two subprocess builds (PYTHONHASHSEED 0 and 1, no cache, different folders) and a cached one."""
    outputs = []
    for seed in seeds:
        project = tmp_path / f"seed{seed}" / "deep" / "shop"
        copy_tracked(SHOP, project, skip=("harnesses",))
        env = {**os.environ, "PYTHONHASHSEED": seed}
        subprocess.run(
            [
                sys.executable,
                "-m",
                "contractspec",
                "build",
                "--all",
                "--no-cache",
                "-C",
                str(project),
            ],
            env=env,
            check=True,
            capture_output=True,
        )
        assert not (project / ".contractspec_cache").exists()
        outputs.append(harness_bytes(project))
    assert outputs[0] == outputs[1]
    for name, data in outputs[0].items():
        text = data.decode("utf-8")
        assert (
            str(tmp_path) not in text and "seed0" not in text and "deep" not in text
        ), name


@pytest.mark.slow
def test_the_emitted_heads_are_what_black_makes_of_them(
    tmp_path, monkeypatch, black_formats
):
    project_dir = make_project(tmp_path / "gen", 12)
    project = open_project(project_dir)
    keys = [s.key for s in project.registry.list()]
    serial = [h.source for h in harnesses(project, keys, workers=1)]
    parallel = [h.source for h in harnesses(project, keys, workers=2)]
    cache = fmt.FormatCache(tmp_path / "cache")
    cold = [h.source for h in harnesses(project, keys, cache=cache, workers=2)]
    warm = [h.source for h in harnesses(project, keys, cache=cache)]
    assert serial == parallel == cold == warm
    for source in serial[:3]:
        assert fmt.format_source(source) == source  # black-stable
    # Under the series codegen writes: the same bytes, without black.
    monkeypatch.setattr(fmt, "EMITTED_STYLE", EMITTED_STYLE)
    monkeypatch.setattr(fmt, "format_source", _no_black)
    assert [h.source for h in harnesses(project, keys, workers=2)] == serial


def _no_black(*args, **kwargs):
    raise AssertionError("black was called")


def test_a_build_under_the_emitted_series_never_calls_black(tmp_path, monkeypatch):
    project_dir = make_project(tmp_path / "gen", 3)
    monkeypatch.setattr(fmt, "format_source", _no_black)
    runner = CliRunner()
    result = runner.invoke(root, ["build", "--all", "-C", str(project_dir)])
    assert result.exit_code == 0, result.stderr
    assert not list((project_dir / ".contractspec_cache").glob("black/*/*"))
    check = runner.invoke(root, ["build", "--check", "-C", str(project_dir)])
    assert check.exit_code == 0, check.stderr


def test_the_emitted_series_is_the_one_pyproject_pins():
    """A head is its own black output only under the series codegen writes: the
    dependency pin keeps installs on it (any other series goes through black)."""
    import tomllib

    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text())
    [pin] = [d for d in pyproject["project"]["dependencies"] if d.startswith("black")]
    assert pin == f"black>={fmt.EMITTED_STYLE}.1,<{int(fmt.EMITTED_STYLE) + 1}"
    assert fmt.emits_installed_style()
    import black

    assert fmt.black_version() == black.__version__


def test_a_warm_cache_never_calls_black(tmp_path, monkeypatch, black_formats):
    project_dir = make_project(tmp_path / "gen", 3)
    runner = CliRunner()
    assert (
        runner.invoke(root, ["build", "--all", "-C", str(project_dir)]).exit_code == 0
    )
    before = harness_bytes(project_dir)
    shutil.rmtree(project_dir / "harnesses")

    monkeypatch.setattr(fmt, "format_source", _no_black)
    result = runner.invoke(root, ["build", "--all", "-C", str(project_dir)])
    assert result.exit_code == 0, result.stderr
    assert harness_bytes(project_dir) == before
    assert (
        runner.invoke(root, ["build", "--check", "-C", str(project_dir)]).exit_code == 0
    )


def test_the_cache_folder_ignores_itself_and_survives_corruption(tmp_path):
    cache = fmt.FormatCache(tmp_path / ".contractspec_cache")
    source = "x  =  1\n"
    [first] = fmt.format_cached([source], cache)
    assert first == "x = 1\n"
    assert (tmp_path / ".contractspec_cache" / ".gitignore").read_text().splitlines()[
        -1
    ] == "*"
    assert (tmp_path / ".contractspec_cache" / "CACHEDIR.TAG").exists()
    [entry] = (tmp_path / ".contractspec_cache" / "black").glob("*/*.py")
    entry.write_bytes(
        entry.read_bytes().replace(b"x = 1", b"x = 2")
    )  # a torn or edited entry
    assert cache.text(cache.key(source)) is None
    assert fmt.format_cached([source], cache) == ["x = 1\n"]
    assert cache.text(cache.key(source)) == "x = 1\n"


def test_the_cache_key_covers_black_and_schema(tmp_path, monkeypatch):
    cache = fmt.FormatCache(tmp_path)
    key = cache.key("x = 1\n")
    monkeypatch.setattr(fmt, "FORMAT_SCHEMA", "other")
    assert cache.key("x = 1\n") != key


def test_a_full_build_prunes_the_cache_to_what_it_used(tmp_path, black_formats):
    project_dir = make_project(tmp_path / "gen", 3)

    def entries():
        return sorted((project_dir / ".contractspec_cache" / "black").glob("*/*.py"))

    runner = CliRunner()
    assert (
        runner.invoke(root, ["build", "--all", "-C", str(project_dir)]).exit_code == 0
    )
    first = entries()
    assert len(first) == 3  # three heads (the constant tail is stored formatted)

    spec = project_dir / "migrations" / "m0001.py"
    spec.write_text(
        spec.read_text().replace("title=", "description='edited', title=", 1)
    )
    assert (
        runner.invoke(root, ["build", "gen.db.m0001", "-C", str(project_dir)]).exit_code
        == 0
    )
    assert len(entries()) == 4  # a partial build keeps what it did not use
    assert (
        runner.invoke(root, ["build", "--all", "-C", str(project_dir)]).exit_code == 0
    )
    assert len(entries()) == 3 and entries() != first  # the old head of m0001 is gone
