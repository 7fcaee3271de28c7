"""Project configuration: [tool.contractspec], the environment, flags."""

from __future__ import annotations

from pathlib import Path

import pytest
from support import cli

from contractspec.config import DEFAULTS, ENV_DATABASE, Config, find_root, load_config
from contractspec.errors import EXIT_SPEC, ConfigError, SpecError
from contractspec.files import FileLimits


@pytest.fixture(autouse=True)
def no_env_database(monkeypatch):
    monkeypatch.delenv(ENV_DATABASE, raising=False)
    monkeypatch.delenv("DATABASE_URL", raising=False)


def write_pyproject(folder: Path, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "pyproject.toml"
    path.write_text(text, encoding="utf-8")
    return path


def diagnostics(exc: pytest.ExceptionInfo) -> list[str]:
    return [str(d) for d in exc.value.diagnostics]


def test_defaults_without_pyproject(tmp_path):
    config = load_config(tmp_path)
    assert config == Config(
        root=tmp_path.resolve(),
        specs_dir=tmp_path.resolve() / "migrations",
        harness_dir=tmp_path.resolve() / "generated" / "harnesses",
        database="sqlite:///contractspec.db",
        database_chosen=False,  # the default URL tells no dialect
        files=FileLimits((tmp_path.resolve(),), 10 * 1024 * 1024),
    )
    assert (config.declared_dialect, config.dialect) == (None, "sqlite")
    assert DEFAULTS == {
        "specs": "migrations",
        "harnesses": "generated/harnesses",
        "database": "sqlite:///contractspec.db",
    }


def test_defaults_with_pyproject_without_table(tmp_path):
    write_pyproject(
        tmp_path, '[project]\nname = "x"\n\n[tool.black]\nline-length = 100\n'
    )
    config = load_config(tmp_path)
    assert (config.specs_dir, config.harness_dir, config.database) == (
        tmp_path.resolve() / "migrations",
        tmp_path.resolve() / "generated/harnesses",
        "sqlite:///contractspec.db",
    )


def test_table_keys(tmp_path):
    write_pyproject(
        tmp_path,
        '[tool.contractspec]\nspecs = "db/specs"\nharnesses = "db/harnesses"\ndatabase = "postgresql://app@localhost/app"\n',
    )
    config = load_config(tmp_path)
    assert config.specs_dir == tmp_path.resolve() / "db" / "specs"
    assert config.harness_dir == tmp_path.resolve() / "db" / "harnesses"
    assert config.database == "postgresql://app@localhost/app"
    assert config.database_url() == "postgresql://app@localhost/app"


def test_unknown_key_is_an_error_with_its_position(tmp_path):
    write_pyproject(
        tmp_path,
        '[project]\nname = "x"\n\n[tool.contractspec]  # our settings\nspecs = "m"\n  spec = "typo"\n"harness" = "h"\n',
    )
    with pytest.raises(SpecError) as caught:
        load_config(tmp_path)
    assert diagnostics(caught) == [
        "pyproject.toml:6:3: unknown key 'spec' in [tool.contractspec]; known keys: specs, harnesses, database, dialect, lint_ignore, max_file_bytes, extra_roots, lock_timeout_ms, lock_retries, environments, owners",
        "pyproject.toml:7:1: unknown key 'harness' in [tool.contractspec]; known keys: specs, harnesses, database, dialect, lint_ignore, max_file_bytes, extra_roots, lock_timeout_ms, lock_retries, environments, owners",
    ]
    assert caught.value.exit_code == EXIT_SPEC


def test_unknown_subtable_points_at_its_header(tmp_path):
    write_pyproject(
        tmp_path,
        '[tool.contractspec]\nspecs = "m"\n\n[tool.contractspec.extra]\nx = 1\n',
    )
    with pytest.raises(SpecError) as caught:
        load_config(tmp_path)
    assert diagnostics(caught) == [
        "pyproject.toml:4:1: unknown key 'extra' in [tool.contractspec]; known keys: specs, harnesses, database, dialect, lint_ignore, max_file_bytes, extra_roots, lock_timeout_ms, lock_retries, environments, owners"
    ]


@pytest.mark.parametrize("value", ['""', "3", "[]", '"  "'])
def test_values_must_be_non_empty_strings(tmp_path, value):
    write_pyproject(tmp_path, f"[tool.contractspec]\nharnesses = {value}\n")
    with pytest.raises(SpecError) as caught:
        load_config(tmp_path)
    assert diagnostics(caught) == [
        "pyproject.toml:2:1: harnesses must be a non-empty string"
    ]


def test_lock_settings(tmp_path):
    """lock_timeout_ms and lock_retries reach Config (the session's, on
    PostgreSQL); defaults 3000 and 5, the harnesses' option defaults too."""
    write_pyproject(tmp_path, "[tool.contractspec]\n")
    config = load_config(tmp_path)
    assert (config.lock_timeout_ms, config.lock_retries) == (3000, 5)
    write_pyproject(
        tmp_path, "[tool.contractspec]\nlock_timeout_ms = 1500\nlock_retries = 0\n"
    )
    config = load_config(tmp_path)
    assert (config.lock_timeout_ms, config.lock_retries) == (1500, 0)


@pytest.mark.parametrize(
    "line, message",
    [
        (
            "lock_timeout_ms = 0",
            "lock_timeout_ms must be a whole number from 1 to 2147483647, got 0",
        ),
        (
            'lock_timeout_ms = "3s"',
            "lock_timeout_ms must be a whole number from 1 to 2147483647, got '3s'",
        ),
        (
            "lock_timeout_ms = 2.5",
            "lock_timeout_ms must be a whole number from 1 to 2147483647, got 2.5",
        ),
        (
            "lock_retries = -1",
            "lock_retries must be a whole number from 0 to 1000, got -1",
        ),
        (
            "lock_retries = true",
            "lock_retries must be a whole number from 0 to 1000, got True",
        ),
    ],
)
def test_lock_settings_out_of_range_are_reported_at_their_line(tmp_path, line, message):
    write_pyproject(tmp_path, f'[tool.contractspec]\nspecs = "m"\n{line}\n')
    with pytest.raises(SpecError) as caught:
        load_config(tmp_path)
    assert diagnostics(caught) == [f"pyproject.toml:3:1: {message}"]


@pytest.mark.parametrize(
    "value, ok",
    [
        ("1", True),
        ("268435456", True),  # 256 MiB: the most a harness reads of a pinned file
        ("268435457", False),
        ("0", False),
        ("9" * 400, False),  # TOML reads it; it must not reach a read at all
        ('"10MB"', False),
    ],
)
def test_max_file_bytes_is_bounded(tmp_path, value, ok):
    write_pyproject(tmp_path, f"[tool.contractspec]\nmax_file_bytes = {value}\n")
    if ok:
        assert load_config(tmp_path).files.max_bytes == int(value)
        return
    with pytest.raises(SpecError) as caught:
        load_config(tmp_path)
    assert diagnostics(caught) == [
        "pyproject.toml:2:1: max_file_bytes must be an integer from 1 to 268435456"
        " (256 MiB, the most a harness reads of a file it pins)"
    ]


def test_invalid_toml(tmp_path):
    write_pyproject(tmp_path, "[tool.contractspec]\nspecs = migrations\n")
    with pytest.raises(SpecError) as caught:
        load_config(tmp_path)
    assert diagnostics(caught) == ["pyproject.toml:2:9: invalid TOML: Invalid value"]


def test_table_that_is_not_a_table(tmp_path):
    write_pyproject(tmp_path, '[tool]\ncontractspec = "yes"\n')
    with pytest.raises(SpecError) as caught:
        load_config(tmp_path)
    assert diagnostics(caught) == [
        "pyproject.toml:2:1: tool.contractspec must be a table"
    ]


def test_tool_that_is_not_a_table(tmp_path):
    write_pyproject(tmp_path, '[project]\nname = "x"\n')
    (tmp_path / "pyproject.toml").write_text('tool = 3\n[project]\nname = "x"\n')
    with pytest.raises(SpecError) as caught:
        load_config(tmp_path)
    assert diagnostics(caught) == ["pyproject.toml:1:1: tool must be a table"]
    (tmp_path / "pyproject.toml").write_text('name = "x"\ntool = 3\n')
    with pytest.raises(SpecError) as caught:
        load_config(tmp_path)
    assert diagnostics(caught) == ["pyproject.toml:2:1: tool must be a table"]


def test_database_precedence(tmp_path, monkeypatch):
    write_pyproject(
        tmp_path, '[tool.contractspec]\ndatabase = "sqlite:///from-file.db"\n'
    )
    assert load_config(tmp_path).database == "sqlite:///from-file.db"
    monkeypatch.setenv(ENV_DATABASE, "sqlite:///from-env.db")
    assert load_config(tmp_path).database == "sqlite:///from-env.db"
    assert (
        load_config(tmp_path, database="sqlite:///from-flag.db").database
        == "sqlite:///from-flag.db"
    )
    monkeypatch.setenv(ENV_DATABASE, "")  # empty means unset
    assert load_config(tmp_path).database == "sqlite:///from-file.db"
    monkeypatch.delenv(ENV_DATABASE)
    assert (
        load_config(tmp_path, database="postgresql://h/db").database
        == "postgresql://h/db"
    )


def test_env_beats_default(tmp_path, monkeypatch):
    monkeypatch.setenv(ENV_DATABASE, "postgresql://env/db")
    assert load_config(tmp_path).database == "postgresql://env/db"


def test_project_folder_and_discovery_from_cwd(tmp_path, monkeypatch):
    project = tmp_path / "project"
    write_pyproject(project, '[tool.contractspec]\nspecs = "specs"\n')
    deep = project / "src" / "pkg"
    deep.mkdir(parents=True)
    monkeypatch.chdir(deep)
    # Without -C: the nearest pyproject.toml at or above the current folder.
    assert load_config().root == project.resolve()
    assert load_config().specs_dir == project.resolve() / "specs"
    assert find_root(deep) == project.resolve()
    # -C/--project wins over the current folder, relative to the current folder.
    other = tmp_path / "other"
    other.mkdir()
    assert load_config(Path("../../../other")).root == other.resolve()
    assert load_config(other).specs_dir == other.resolve() / "migrations"


def test_find_root_without_a_configured_pyproject_names_init(tmp_path):
    # A pyproject.toml without [tool.contractspec] (a monorepo's) is not a project root.
    write_pyproject(tmp_path, '[project]\nname = "mono"\n')
    (tmp_path / "service").mkdir()
    with pytest.raises(ConfigError) as caught:
        find_root(tmp_path / "service")
    assert "contractspec init" in str(caught.value)
    assert caught.value.exit_code == EXIT_SPEC


def test_missing_project_folder(tmp_path):
    with pytest.raises(ConfigError) as caught:
        load_config(tmp_path / "nope")
    assert str(caught.value) == f"project folder {tmp_path / 'nope'} does not exist"
    assert caught.value.exit_code == EXIT_SPEC


@pytest.mark.parametrize(
    "url, expected",
    [
        ("sqlite:///contractspec.db", "sqlite:///{root}/contractspec.db"),
        ("sqlite:///data/app.db", "sqlite:///{root}/data/app.db"),
        ("sqlite:///../shared.db", "sqlite:///{parent}/shared.db"),
        ("sqlite:////var/lib/app.db", "sqlite:////var/lib/app.db"),
        ("sqlite:///:memory:", "sqlite:///:memory:"),
        ("postgresql://user@host/db", "postgresql://user@host/db"),
    ],
)
def test_relative_sqlite_urls_are_anchored_at_the_project_root(
    tmp_path, monkeypatch, url, expected
):
    project = tmp_path / "proj"
    write_pyproject(project, f'[tool.contractspec]\ndatabase = "{url}"\n')
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)  # the cwd does not matter
    config = load_config(project)
    assert config.database == url
    root = project.resolve().as_posix()
    assert config.database_url() == expected.format(
        root=root, parent=project.resolve().parent.as_posix()
    )


def test_relative_path_display(tmp_path):
    config = load_config(tmp_path)
    assert config.relative(tmp_path / "migrations" / "a.py") == "migrations/a.py"
    assert config.relative(Path("/elsewhere/x.py")) == "/elsewhere/x.py"


def test_example_project_config():
    root = Path(__file__).parent.parent / "generated_examples" / "shop"
    config = load_config(root)
    assert config.specs_dir == root.resolve() / "migrations"
    assert config.harness_dir == root.resolve() / "harnesses"
    assert config.database_url() == f"sqlite:///{root.resolve().as_posix()}/shop.db"
    assert config.dialect_setting == config.declared_dialect == "sqlite"


# Counts the opens of one file in a fresh interpreter, by CPython's own audit
# event ("open", raised by os.open and open()), around one CLI command.
COUNT_OPENS = """
import atexit, os, sys
watched, opened = os.path.realpath(sys.argv[1]), []
sys.addaudithook(
    lambda event, args: event == "open" and isinstance(args[0], (str, bytes, os.PathLike))
    and os.path.realpath(os.fsdecode(args[0])) == watched and opened.append(1)
)
atexit.register(lambda: print(f"opened {len(opened)}", file=sys.stderr))
from contractspec.cli import main
main(sys.argv[2:])
"""


@pytest.mark.parametrize(
    "command",
    [
        ["list"],
        ["build", "--all"],
        ["build", "--check"],
        ["lint"],
        ["migrate", "create", "shop.db.0002_more", "--sql", "CREATE TABLE b (x INT)"],
        [
            "migrate",
            "create",
            "shop.db.0003_first",
            "--needed-by",
            "shop.db.0001_add_a",
        ],
        ["spec", "set", "shop.db.0001_add_a", "title", "Add a"],
        ["spec", "new-version", "shop.db.0001_add_a"],
        ["migrate", "up"],
        ["migrate", "status"],
    ],
    ids=lambda command: " ".join(command[:2]),
)
def test_pyproject_is_read_once_per_command(tmp_path, command):
    import subprocess
    import sys

    project = tmp_path / "shop"
    write_pyproject(
        project,
        '[tool.contractspec]\ndialect = "sqlite"\n\n[tool.black]\nline-length = 88\n',
    )
    (project / "migrations").mkdir()
    (project / "migrations" / "a.py").write_text(
        "from contractspec import MigrationMeta, MigrationPlan, MigrationSpec, SchemaStep\n\n"
        'migration = MigrationSpec(meta=MigrationMeta(name="shop.db.0001_add_a", version=1,'
        ' title="A", owners=["team"]), plan=MigrationPlan(up=[SchemaStep("CREATE TABLE a (x INT)")]))\n'
    )
    deep = project / "migrations"  # found from below, as people run it
    python = [sys.executable, "-c", COUNT_OPENS, str(project / "pyproject.toml")]
    if command != ["build", "--all"]:  # the harnesses first (nothing counted)
        built = cli(None, "build", "--all", cwd=deep)
        assert built.exit_code == 0, built.stderr
    done = subprocess.run([*python, *command], cwd=deep, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stderr.splitlines()[-1] == "opened 1"
