"""`contractspec init`, project discovery, `$DATABASE_URL` and `--env`, end to end."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from support import cli

from contractspec.config import load_config

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
        "dialect": "sqlite",  # every project says its dialect
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


@pytest.mark.parametrize(
    "text, message",
    [
        (
            '[tool]\ncontractspec = "yes"\n',
            "pyproject.toml:2:1: tool.contractspec must be a table",
        ),
        ("[tool.contractspec]\nspec = 'x'\n", "pyproject.toml:2:1: unknown key 'spec'"),
        (
            '[tool.contractspec]\ndialect = "mysql"\n',
            "pyproject.toml:2:1: dialect must be one of",
        ),
    ],
)
def test_init_reports_a_broken_table_and_changes_nothing(tmp_path, text, message):
    (tmp_path / "pyproject.toml").write_text(text)
    result = run("init", str(tmp_path), "--dialect", "sqlite")
    assert result.exit_code == 3
    assert result.stderr.startswith(message)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pyproject.toml"]
    assert (tmp_path / "pyproject.toml").read_text() == text


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


def table(folder: Path) -> dict:
    return tomllib.loads((folder / "pyproject.toml").read_text())["tool"][
        "contractspec"
    ]


def test_init_writes_the_dialect_every_way(tmp_path):
    assert run("init", str(tmp_path / "pg"), "--dialect", "postgresql").exit_code == 0
    # PostgreSQL: no URL written (it comes from the environment), and init says so.
    assert table(tmp_path / "pg") == {
        "specs": "migrations",
        "harnesses": "generated/harnesses",
        "dialect": "postgresql",
    }
    url = "postgresql://app@db.internal:5432/app?sslmode=require"
    implied = run("init", str(tmp_path / "url"), "--database", url)
    assert implied.exit_code == 0, implied.stderr
    assert table(tmp_path / "url")["database"] == url
    assert table(tmp_path / "url")["dialect"] == "postgresql"
    lite = run("init", str(tmp_path / "lite"), "--database", "sqlite:///data/app.db")
    assert lite.exit_code == 0
    assert table(tmp_path / "lite")["dialect"] == "sqlite"
    # And every project so made declares it to the commands.
    for name, dialect in [
        ("pg", "postgresql"),
        ("url", "postgresql"),
        ("lite", "sqlite"),
    ]:
        assert load_config(tmp_path / name).declared_dialect == dialect


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://app:s3cret@db/app",
        "postgresql://app@db/app?password=s3cret",
        "host=db dbname=app user=app password=s3cret",
    ],
)
def test_init_never_writes_a_password(tmp_path, url):
    result = run("init", str(tmp_path), "--database", url)
    assert result.exit_code == 3
    assert "holds a password" in result.stderr and "s3cret" not in result.output
    assert "CONTRACTSPEC_DATABASE_URL" in result.stderr  # where the whole URL may live
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "args, code, message",
    [
        (
            ["--dialect", "sqlite", "--database", "postgresql://app@db/app"],
            2,
            "contradicts",
        ),
        (["--database", ""], 3, "no database URL given"),
        (["--database", "mysql://app@db/app"], 3, "unsupported database URL"),
        (["--dialect", "oracle"], 2, "'oracle' is not one of"),
        (["--specs", "../specs"], 2, "--specs ../specs is outside the project folder"),
    ],
)
def test_init_refuses_bad_options_before_writing(tmp_path, args, code, message):
    folder = tmp_path / "app"
    result = run("init", str(folder), *args)
    assert result.exit_code == code
    assert message in result.stderr
    assert not folder.exists()


def test_init_adds_a_dialect_to_a_table_and_refuses_a_contradiction(tmp_path):
    (tmp_path / "pyproject.toml").write_text(
        '[tool.contractspec]  # ours\nspecs = "db"\n'
    )
    bare = run("init", str(tmp_path))
    assert bare.exit_code == 0
    assert "names no dialect" in bare.stderr  # and nothing is assumed for it
    assert "dialect" not in table(tmp_path)
    assert run("init", str(tmp_path), "--dialect", "postgresql").exit_code == 0
    assert (tmp_path / "pyproject.toml").read_text() == (
        '[tool.contractspec]  # ours\nspecs = "db"\ndialect = "postgresql"\n'
    )
    snapshot = (tmp_path / "pyproject.toml").read_bytes()
    again = run("init", str(tmp_path), "--dialect", "postgresql")
    assert again.exit_code == 0 and "nothing changed" in again.stderr
    other = run("init", str(tmp_path), "--dialect", "sqlite")
    assert other.exit_code == 3
    assert 'already sets dialect = "postgresql"' in other.stderr
    moved = run("init", str(tmp_path), "--specs", "migrations")
    assert moved.exit_code == 3 and 'already sets specs = "db"' in moved.stderr
    assert (tmp_path / "pyproject.toml").read_bytes() == snapshot


def _init_in_a_subprocess(folder: Path) -> subprocess.CompletedProcess:
    """A hang fails the test (timeout) instead of stopping the suite."""
    command = [sys.executable, "-m", "contractspec", "init", str(folder)]
    return subprocess.run(command, capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("name", ["pyproject.toml", ".gitignore", ".gitattributes"])
@pytest.mark.parametrize("kind", ["fifo", "/dev/zero", "link outside", "folder"])
def test_init_refuses_special_files_and_writes_nothing(tmp_path, name, kind):
    folder = tmp_path / "app"
    folder.mkdir()
    outside = tmp_path / "outside"
    outside.write_text("*.log\n")
    special = folder / name
    if kind == "fifo":
        os.mkfifo(special)
    elif kind == "/dev/zero":
        special.symlink_to("/dev/zero")
    elif kind == "link outside":
        special.symlink_to(outside)
    else:
        special.mkdir()
    result = _init_in_a_subprocess(folder)
    assert result.returncode == 3, result.stderr
    assert "Traceback" not in result.stderr
    expected = {
        "fifo": f"{name} is not a regular file (a FIFO, socket or device)",
        "/dev/zero": f"{name} is a link to /dev/zero, outside the project",
        "link outside": f"{name} is a link to {outside}, outside the project",
        "folder": f"{name} is a folder, not a file",
    }[kind]
    assert result.stderr.startswith(f"contractspec: error: {expected}")
    assert outside.read_text() == "*.log\n"  # nothing written through the link
    assert sorted(p.name for p in folder.iterdir()) == [name]  # nor anywhere else


def test_init_writes_through_a_link_inside_the_project(tmp_path):
    shared = tmp_path / "config" / "gitignore"
    shared.parent.mkdir()
    shared.write_text("*.log\n")
    (tmp_path / ".gitignore").symlink_to("config/gitignore")
    assert run("init", str(tmp_path)).exit_code == 0
    assert (tmp_path / ".gitignore").is_symlink()  # still the project's own link
    assert shared.read_text().startswith("*.log\n# contractspec\n*.db\n")


@pytest.mark.parametrize("key", ["specs", "harnesses"])
def test_a_folder_outside_the_project_is_a_config_error(tmp_path, key):
    folder = tmp_path / "app"
    folder.mkdir()
    (tmp_path / "elsewhere").mkdir()
    pyproject = folder / "pyproject.toml"
    pyproject.write_text(
        f'[project]\nname = "x"\n\n[tool.contractspec]\n{key} = "../elsewhere"\n'
    )
    before = pyproject.read_text()
    for args in (
        ["init", str(folder)],
        ["list", "-C", str(folder)],
        ["build", "--all", "-C", str(folder)],
    ):
        result = run(*args)
        assert result.exit_code == 3, (args, result.stderr)
        assert result.stderr.startswith(
            f"pyproject.toml:5:1: {key} = '../elsewhere' is outside the project"
        )
    assert pyproject.read_text() == before
    assert list((tmp_path / "elsewhere").iterdir()) == []
    # A link out of the project is outside too; one inside it is not.
    (folder / "gen").symlink_to(tmp_path / "elsewhere")
    pyproject.write_text(f'[tool.contractspec]\n{key} = "gen"\n')
    assert run("list", "-C", str(folder)).exit_code == 3
    (folder / "inside").mkdir()
    (folder / "gen").unlink()
    (folder / "gen").symlink_to(folder / "inside")
    assert run("list", "-C", str(folder)).exit_code == 0


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
        " [tool.contractspec.environments.prod]; known keys: url, url_env, protected, min_stability, max_risk",
    ]


@pytest.mark.parametrize("empty", ["", "  "])
def test_an_empty_database_url_is_an_error_in_migrate_and_a_harness(project, empty):
    """One rule: an empty --database is a configuration error (exit 3), in
    `migrate` and in a harness run directly; an empty variable is unset."""
    for command in (["migrate", "up"], ["migrate", "status"]):
        result = run(*command, "--database", empty, cwd=project)
        assert result.exit_code == 3, result.output
        assert "the database URL given (--database) is empty" in result.stderr
    (harness,) = (project / "generated" / "harnesses").glob("app_*.py")
    direct = subprocess.run(
        [sys.executable, "-I", str(harness), "up", "--database", empty],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert direct.returncode == 3, direct.stderr
    assert "no database URL given" in direct.stderr
    assert not list(project.glob("*.db"))  # neither fell back to the default file
