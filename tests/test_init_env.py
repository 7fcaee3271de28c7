"""`contractspec init`, project discovery, `$DATABASE_URL` and `--env`, end to end."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from support import cli

CREATE = ("--sql", "CREATE TABLE items (id INTEGER PRIMARY KEY)")
DOWN = ("--down-sql", "DROP TABLE items")


def run(*args: str, cwd: Path | None = None, input: str | None = None):
    """The real CLI in-process, from folder cwd."""
    return cli(None, *args, cwd=cwd, input=input)


def test_init_in_an_empty_folder_then_create_build_up(tmp_path, database_url, db):
    project = tmp_path / "app"
    result = run("init", str(project))
    assert result.exit_code == 0, result.stderr
    assert "contractspec build --all" in result.stderr
    config = tomllib.loads((project / "pyproject.toml").read_text())
    assert config["tool"]["contractspec"] == {
        "specs": "migrations",
        "harnesses": "generated/harnesses",
        "database": "sqlite:///contractspec.db",
    }
    assert (project / "migrations").is_dir()
    assert (project / "generated" / "harnesses").is_dir()
    ignored = (project / ".gitignore").read_text().splitlines()
    assert {"*.db", "*.db.lock", ".contractspec_cache/"} <= set(ignored)
    attributes = (project / ".gitattributes").read_text().splitlines()
    assert (
        "generated/harnesses/_contractspec_runtime/** linguist-generated=true -diff"
        in attributes
    )
    assert not any(line.startswith("generated/harnesses/*") for line in attributes)

    create = run(
        "migrate", "create", "app.db.0001_add_items", *CREATE, *DOWN, cwd=project
    )
    assert create.exit_code == 0, create.stderr
    assert run("build", "--all", cwd=project).exit_code == 0
    up = run("migrate", "up", "--database", database_url, cwd=project)
    assert up.exit_code == 0, up.stderr
    assert db.table_exists("items")
    assert [key for key, _ in db.history()] == ["app.db.0001_add_items.v1"]


def test_init_keeps_what_is_there_and_is_idempotent(tmp_path):
    pyproject = tmp_path / "pyproject.toml"
    original = (
        '[project]\nname = "x"  # keep this comment\n\n[tool.black]\nline-length = 100'
    )
    pyproject.write_text(original)
    (tmp_path / ".gitignore").write_text("*.db\n!keep.db\n")
    (tmp_path / ".gitattributes").write_text(
        "generated/harnesses/_contractspec_runtime/** -diff\n"
    )
    assert run("init", str(tmp_path)).exit_code == 0
    text = pyproject.read_text()
    assert text.startswith(original + "\n")  # the user's bytes, untouched
    assert tomllib.loads(text)["tool"]["black"] == {"line-length": 100}
    assert tomllib.loads(text)["tool"]["contractspec"]["specs"] == "migrations"
    ignored = (tmp_path / ".gitignore").read_text().splitlines()
    assert ignored.count("*.db") == 1 and "!keep.db" in ignored
    # The user's own line for the runtime stays, and none is added beside it.
    assert (tmp_path / ".gitattributes").read_text() == (
        "generated/harnesses/_contractspec_runtime/** -diff\n"
    )

    snapshot = {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}
    again = run("init", str(tmp_path))
    assert again.exit_code == 0 and "nothing changed" in again.stderr
    assert {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()} == snapshot


def test_init_refuses_a_broken_pyproject_with_its_position(tmp_path):
    (tmp_path / "pyproject.toml").write_text("[project]\nname = \n")
    result = run("init", str(tmp_path))
    assert result.exit_code == 3
    assert result.stderr.splitlines()[0] == (
        "pyproject.toml:2:7: invalid TOML: Unexpected character: '\\n'"
    )
    assert (tmp_path / "pyproject.toml").read_text() == "[project]\nname = \n"
    assert not (tmp_path / ".gitignore").exists()


def test_init_keeps_a_configured_table(tmp_path):
    (tmp_path / "pyproject.toml").write_text(
        '[tool.contractspec]\nspecs = "db/specs"\nharnesses = "db/harnesses"\n'
    )
    assert run("init", str(tmp_path)).exit_code == 0
    assert (tmp_path / "db" / "specs").is_dir()
    assert (
        "db/harnesses/_contractspec_runtime/** linguist-generated=true -diff"
        in (tmp_path / ".gitattributes").read_text().splitlines()
    )
    assert (tmp_path / "pyproject.toml").read_text() == (
        '[tool.contractspec]\nspecs = "db/specs"\nharnesses = "db/harnesses"\n'
    )


def test_init_in_a_monorepo_subfolder(tmp_path):
    repo = tmp_path / "repo"
    (repo / "migrations").mkdir(parents=True)
    (repo / "pyproject.toml").write_text('[project]\nname = "mono"\n')
    service = repo / "services" / "billing"
    service.mkdir(parents=True)

    # Before init: the parent's pyproject.toml (no table) is not a project.
    refused = run(
        "migrate", "create", "billing.db.0001_add_items", *CREATE, cwd=service
    )
    assert refused.exit_code == 3
    assert "contractspec init" in refused.stderr
    assert list((repo / "migrations").iterdir()) == []

    assert run("init", cwd=service).exit_code == 0
    assert (repo / "pyproject.toml").read_text() == '[project]\nname = "mono"\n'
    deep = service / "src"
    deep.mkdir()
    create = run("migrate", "create", "billing.db.0001_add_items", *CREATE, cwd=deep)
    assert create.exit_code == 0, create.stderr
    assert (service / "migrations" / "billing" / "0001_add_items.py").is_file()
    assert list((repo / "migrations").iterdir()) == []
    assert run("build", "--all", cwd=deep).exit_code == 0
    assert run("migrate", "up", cwd=deep).exit_code == 0
    assert (service / "contractspec.db").is_file()


ENVIRONMENTS = """
[tool.contractspec.environments.staging]
url = "{staging}"

[tool.contractspec.environments.production]
url_env = "PROD_DATABASE_URL"
protected = true
"""


@pytest.fixture
def project(tmp_path) -> Path:
    folder = tmp_path / "proj"
    assert run("init", str(folder)).exit_code == 0
    create = run(
        "migrate", "create", "app.db.0001_add_items", *CREATE, *DOWN, cwd=folder
    )
    assert create.exit_code == 0, create.stderr
    assert run("build", "--all", cwd=folder).exit_code == 0
    return folder


def test_database_url_precedence(project, database_url, db, monkeypatch):
    # The 12-factor variable is used when nothing more specific is set...
    monkeypatch.setenv("DATABASE_URL", database_url)
    assert run("migrate", "up", cwd=project).exit_code == 0
    assert db.table_exists("items")
    assert not (project / "contractspec.db").exists()
    # ...CONTRACTSPEC_DATABASE_URL beats it, and --database beats both.
    monkeypatch.setenv("CONTRACTSPEC_DATABASE_URL", "sqlite:///ours.db")
    assert run("migrate", "up", cwd=project).exit_code == 0
    assert (project / "ours.db").is_file()
    assert (
        run("migrate", "up", "--database", "sqlite:///flag.db", cwd=project).exit_code
        == 0
    )
    assert (project / "flag.db").is_file()


def test_named_environments(project, database_url, db, monkeypatch):
    with (project / "pyproject.toml").open("a") as file:
        file.write(ENVIRONMENTS.format(staging="sqlite:///staging.db"))
    staging = run("migrate", "up", "--env", "staging", cwd=project)
    assert staging.exit_code == 0, staging.stderr
    assert (project / "staging.db").is_file()

    unset = run("migrate", "up", "--env", "production", cwd=project)
    assert unset.exit_code == 3
    assert "$PROD_DATABASE_URL, which is not set" in unset.stderr
    monkeypatch.setenv("PROD_DATABASE_URL", database_url)
    monkeypatch.setenv("DATABASE_URL", "sqlite:///not-this.db")  # --env wins
    assert run("migrate", "up", "--env", "production", cwd=project).exit_code == 0
    assert [key for key, _ in db.history()] == ["app.db.0001_add_items.v1"]
    status = run("migrate", "status", "--env", "production", "--json", cwd=project)
    assert '"state": "applied"' in status.stdout

    # Protected: down asks, and a "no" (or no answer) reverts nothing.
    refused = run("migrate", "down", "--env", "production", cwd=project, input="n\n")
    assert refused.exit_code == 1 and "nothing reverted" in refused.stderr
    unanswered = run("migrate", "down", "--env", "production", cwd=project, input="")
    assert unanswered.exit_code == 1 and "is protected" in unanswered.stderr
    assert db.table_exists("items")
    asked = run("migrate", "down", "--env", "production", cwd=project, input="y\n")
    assert asked.exit_code == 0, asked.stderr
    assert not db.table_exists("items")
    assert run("migrate", "up", "--env", "production", cwd=project).exit_code == 0
    forced = run("migrate", "down", "--env", "production", "--yes", cwd=project)
    assert forced.exit_code == 0 and "is protected" not in forced.stderr
    assert not db.table_exists("items")
    # Before the subcommand too, like --database.
    first = run("--env", "staging", "migrate", "status", "--json", cwd=project)
    assert first.exit_code == 0 and '"state": "applied"' in first.stdout
    # Staging is not protected: no question.
    assert run("migrate", "down", "--env", "staging", cwd=project).exit_code == 0

    unknown = run("migrate", "up", "--env", "qa", cwd=project)
    assert unknown.exit_code == 3
    assert "unknown environment 'qa' (known: production, staging)" in unknown.stderr
    both = run(
        "migrate", "up", "--env", "staging", "--database", database_url, cwd=project
    )
    assert both.exit_code == 2


def test_environment_table_problems_point_at_the_line(project):
    with (project / "pyproject.toml").open("a") as file:
        file.write(
            '\n[tool.contractspec.environments.prod]\nurl = "sqlite:///p.db"\n'
            'url_env = "X"\nprotected = "yes"\npassword = "secret"\n'
        )
    lines = (project / "pyproject.toml").read_text().splitlines()
    header = lines.index("[tool.contractspec.environments.prod]") + 1
    result = run("migrate", "status", "--env", "prod", cwd=project)
    assert result.exit_code == 3
    assert result.stderr.splitlines()[:3] == [
        f"pyproject.toml:{header}:1: environment 'prod' needs exactly one of url (a URL"
        " without its password) or url_env (the variable that holds the URL)",
        f"pyproject.toml:{header + 3}:1: protected must be true or false",
        f"pyproject.toml:{header + 4}:1: unknown key 'password' in"
        " [tool.contractspec.environments.prod]; known keys: url, url_env, protected",
    ]
