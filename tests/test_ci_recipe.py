"""docs/ci.md's recipes and .pre-commit-hooks.yaml, run for real.

The GitHub workflow's `run:` commands (not a YAML runner) run one by one in
a git repository holding a copy of the example shop, against the suite's
PostgreSQL server standing in for the service container. The pre-commit hook
runs through `pre-commit try-repo` on the same repository.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from contractspec.cli import command_names

REPO = Path(__file__).resolve().parents[1]
DOC = REPO / "docs" / "ci.md"


def yaml_blocks(section: str) -> list[dict]:
    """The YAML code blocks of one `## section` of docs/ci.md."""
    text = DOC.read_text(encoding="utf-8").split(f"## {section}\n", 1)[1]
    text = text.split("\n## ", 1)[0]
    return [yaml.safe_load(b) for b in re.findall(r"```yaml\n(.*?)```", text, re.S)]


def github_job() -> dict:
    (workflow,) = yaml_blocks("GitHub Actions")
    return workflow["jobs"]["migrations"]


def commands(steps: list[dict]) -> list[str]:
    """The shell commands of the workflow's steps, the install step aside."""
    return [
        line
        for step in steps
        if "run" in step and step.get("name") != "Install"
        for line in step["run"].splitlines()
        if line.strip()
    ]


def run(cmd: list[str] | str, cwd: Path, env: dict[str, str]):
    return subprocess.run(
        cmd,
        cwd=cwd,
        env=env,
        shell=isinstance(cmd, str),
        capture_output=True,
        text=True,
        timeout=600,
    )


@pytest.fixture
def project(tmp_path, copy_tracked) -> Path:
    """A git repository holding a copy of the example shop."""
    target = copy_tracked(REPO / "generated_examples" / "shop", tmp_path / "shop")
    for git in (
        ["git", "init", "-q"],
        ["git", "add", "-A"],
        [
            "git",
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@t.invalid",
            "commit",
            "-qm",
            ".",
        ],
    ):
        subprocess.run(git, cwd=target, check=True, capture_output=True)
    return target


@pytest.fixture
def environment() -> dict[str, str]:
    """This interpreter's scripts (contractspec, pytest) first on PATH."""
    env = dict(os.environ)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env['PATH']}"
    return env


def test_gitlab_runs_what_github_runs():
    (gitlab,) = yaml_blocks("GitLab CI")
    job = github_job()
    script = gitlab["migrations"]["script"]
    install = next(s for s in job["steps"] if s.get("name") == "Install")
    assert script[0] == install["run"]
    assert script[1:] == commands(job["steps"])
    assert {
        k: v
        for k, v in gitlab["migrations"]["variables"].items()
        if k != "POSTGRES_PASSWORD"
    } == {k: v.replace("@localhost:", "@postgres:") for k, v in job["env"].items()}


@pytest.mark.slow
def test_github_workflow_commands_pass_on_postgresql(
    project, environment, pg_url, pg_db
):
    job = github_job()
    # The service's URLs, pointed at the suite's server: a server to make test
    # databases on, and a fresh database to migrate.
    assert set(job["env"]) == {
        "CONTRACTSPEC_TEST_POSTGRES_URL",
        "CONTRACTSPEC_DATABASE_URL",
    }
    environment.update(
        CONTRACTSPEC_TEST_POSTGRES_URL=pg_url, CONTRACTSPEC_DATABASE_URL=pg_db
    )
    lint = "lint" in command_names()
    ran = []
    for command in commands(job["steps"]):
        if command.startswith("contractspec lint") and not lint:
            continue  # the lint command is not in this contractspec yet
        result = run(command, project, environment)
        assert result.returncode == 0, f"{command}\n{result.stdout}\n{result.stderr}"
        ran.append((command, result))
    outputs = {command: result.stdout + result.stderr for command, result in ran}
    assert "6 applied" in outputs["contractspec migrate up"]
    assert "6 applied" in outputs["contractspec migrate status --check"]
    items = 2 + lint + 2 * 6  # graph, harnesses, lint, round trip and alone of each
    assert re.search(rf"\b{items} passed\b", outputs["pytest --contractspec -v"])
    assert (
        "test_roundtrip[billing.db.2025_04_validate_orders.v1] PASSED"
        in outputs["pytest --contractspec -v"]
    )


INDEX_TOTALS = """from contractspec import MigrationMeta, MigrationPlan, MigrationSpec, SchemaStep

index_totals = MigrationSpec(
    meta=MigrationMeta(name="billing.db.2025_05_index_totals", version=1, title="T", owners=["b"]),
    plan=MigrationPlan(
        up=[SchemaStep("CREATE INDEX orders_total ON orders (total_cents)")],
        down=[SchemaStep("DROP INDEX orders_total")],
    ),
    dependencies=["billing.db.2025_02_add_orders"],
)
"""


def _hooks_repository(target: Path, copy_tracked) -> Path:
    """This checkout's hooks and package as a repository with a commit: what a
    project's .pre-commit-config.yaml points at (try-repo needs a HEAD, which a
    CI copy of the working tree may not have)."""
    copy_tracked(REPO, target, skip=("tests", "bench", "generated_examples", "docs"))
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@localhost"]
    for command in (["init", "-q"], ["add", "-A"], ["commit", "-qm", "hooks"]):
        subprocess.run([*git, *command], cwd=target, check=True, capture_output=True)
    return target


@pytest.mark.slow
def test_pre_commit_hooks_pass_then_catch_a_stale_harness(
    project, environment, tmp_path, copy_tracked
):
    hooks = str(_hooks_repository(tmp_path / "hooks", copy_tracked))
    # Its own store: the hook environments it installs stay in this test's folder.
    environment["PRE_COMMIT_HOME"] = str(tmp_path / "pre-commit")
    every = ["pre-commit", "try-repo", hooks, "--all-files"]
    result = run(every, project, environment)
    assert result.returncode == 0, result.stdout + result.stderr
    assert re.search(r"contractspec harnesses are current\.+Passed", result.stdout)
    assert re.search(r"contractspec lint\.+Passed", result.stdout)

    # The documented configuration, its pinned commit (a full SHA: there are
    # no release tags) standing for this repository's HEAD.
    (config,) = yaml_blocks("pre-commit")[:1]
    (pinned,) = config["repos"]
    assert re.fullmatch(r"[0-9a-f]{40}", pinned["rev"]), pinned["rev"]
    head = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=hooks, capture_output=True, text=True
    ).stdout.strip()
    pinned.update(repo=hooks, rev=head)
    (project / ".pre-commit-config.yaml").write_text(yaml.safe_dump(config))
    subprocess.run(["git", "add", ".pre-commit-config.yaml"], cwd=project, check=True)
    hook = ["pre-commit", "run", "contractspec-build-check", "--all-files"]
    result = run(hook, project, environment)
    assert result.returncode == 0, result.stdout + result.stderr
    assert re.search(r"contractspec harnesses are current\.+Passed", result.stdout)

    spec = project / "migrations" / "core" / "2025_01_add_accounts.py"
    spec.write_text(
        spec.read_text().replace("DROP TABLE accounts", "DROP TABLE IF EXISTS accounts")
    )
    result = run(hook, project, environment)
    assert result.returncode == 1
    assert re.search(r"contractspec harnesses are current\.+Failed", result.stdout)
    assert '+            "sql": "DROP TABLE IF EXISTS accounts",' in result.stdout
    assert "1 harness would be written, 5 unchanged" in result.stdout

    # The lint hook's environment has squawk: on PostgreSQL, its rule about an
    # index built without CONCURRENTLY on a live table fails the commit.
    (project / "migrations" / "billing" / "2025_05_index_totals.py").write_text(
        INDEX_TOTALS
    )
    config_file = project / "pyproject.toml"
    sqlite = 'dialect = "sqlite"\n'
    assert sqlite in config_file.read_text()
    config_file.write_text(
        config_file.read_text().replace(sqlite, 'dialect = "postgresql"\n')
    )
    lint = ["pre-commit", "run", "contractspec-lint", "--all-files"]
    result = run(lint, project, environment)
    assert result.returncode == 1, result.stdout + result.stderr
    assert re.search(r"contractspec lint\.+Failed", result.stdout)
    assert (
        "migrations/billing/2025_05_index_totals.py:6:25: error"
        " require-concurrent-index-creation:" in result.stdout
    )
    assert "squawk is not installed" not in result.stdout
