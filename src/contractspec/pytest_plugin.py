"""The pytest plugin: fixtures for testing migrations, and built-in tests of
every migration of a project (`pytest --contractspec`, or `contractspec = true`
in the pytest ini). See docs/testing.md.

Built-in items, in dependency order:

- `test_graph_sound`: every spec loads, no unknown dependency, no cycle;
- `test_harnesses_current`: `contractspec build --check` finds nothing stale;
- `test_lint`: `contractspec lint` finds no error (when this contractspec has it);
- `test_roundtrip[KEY]`: up → down → up, comparing the schema catalogue after
  down with the one before up and after the second up with the first
  (irreversible migrations are skipped, with why). One database serves the
  whole walk, as each migration's dependencies are applied by those before it;
- `test_applies_alone[KEY]`: the migration applies on a fresh database on top
  of its dependencies alone, not only after everything before it in order.

They test on the project's dialect: a PostgreSQL project on new databases
on the server `--contractspec-postgres URL` names (else the ini's
`contractspec_postgres`, else $CONTRACTSPEC_TEST_POSTGRES_URL), and without
one they stop with one message naming the option; a SQLite project on
SQLite files; a project that declares no dialect on the server when one is
given, else on SQLite files.

Installed with the package (a `pytest11` entry point), so it loads in every
pytest run; without the option it only offers fixtures and imports nothing
heavy.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, NoReturn

import pytest

ENV_POSTGRES = "CONTRACTSPEC_TEST_POSTGRES_URL"
KEPT_DATABASES = 8


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("contractspec", "contractspec migrations")
    group.addoption(
        "--contractspec",
        action="store_true",
        default=None,
        help="Run contractspec's built-in tests of every migration of the project.",
    )
    group.addoption(
        "--contractspec-project",
        metavar="DIR",
        help="The contractspec project (default: the pytest rootdir).",
    )
    group.addoption(
        "--contractspec-postgres",
        metavar="URL",
        help="Test on new databases on this PostgreSQL server (a user that may"
        f" CREATE DATABASE) instead of SQLite files; also ${ENV_POSTGRES}.",
    )
    group.addoption(
        "--contractspec-reuse-db",
        action="store_true",
        default=None,
        help="Keep the migrated template databases between sessions (keyed by the"
        " harness folder's fingerprint; stale ones are dropped): the next session"
        " copies them without migrating.",
    )
    parser.addini(
        "contractspec", "Always run the built-in migration tests.", type="bool"
    )
    parser.addini(
        "contractspec_reuse_db",
        "Keep migrated template databases between sessions.",
        type="bool",
    )
    parser.addini("contractspec_project", "The contractspec project folder.")
    parser.addini("contractspec_postgres", "A PostgreSQL server URL to test on.")


def _setting(config: pytest.Config, name: str) -> Any:
    value = config.getoption(name)
    return value if value is not None else config.getini(name) or None


def _project_dir(config: pytest.Config) -> Path:
    folder = _setting(config, "contractspec_project")
    if folder is None:
        return Path(config.rootpath)
    path = Path(folder)
    return path if path.is_absolute() else Path(config.rootpath) / path


def _server(config: pytest.Config, dialect: str | None) -> str | None:
    """Where the tests make their databases: a PostgreSQL server's URL, or
    None for SQLite files. The project's dialect decides (see above)."""
    if dialect == "sqlite":
        return None
    server = _setting(config, "contractspec_postgres") or os.environ.get(ENV_POSTGRES)
    if not server and dialect == "postgresql":
        raise pytest.UsageError(
            "contractspec: the project's dialect is postgresql, so its migrations are"
            " tested on PostgreSQL: name a server whose user may CREATE DATABASE with"
            " --contractspec-postgres URL (or contractspec_postgres in the pytest"
            f" configuration, or ${ENV_POSTGRES})"
        )
    return str(server) if server else None


# --- fixtures ----------------------------------------------------------------


@pytest.fixture(scope="session")
def contractspec_project(pytestconfig: pytest.Config) -> Any:
    """The loaded project (`contractspec.project.Project`): config, registry, specs."""
    from .project import open_project

    return open_project(_project_dir(pytestconfig))


@pytest.fixture(scope="session")
def contractspec_server(pytestconfig: pytest.Config) -> str | None:
    """The PostgreSQL server the fixtures make databases on (None: SQLite):
    --contractspec-postgres, or $CONTRACTSPEC_TEST_POSTGRES_URL, as the
    project's dialect asks. Override it in a conftest.py to take the server
    from elsewhere (pytest-postgresql)."""
    from .config import load_config

    dialect = load_config(_project_dir(pytestconfig)).declared_dialect
    try:
        return _server(pytestconfig, dialect)
    except pytest.UsageError as exc:
        pytest.fail(str(exc), pytrace=False)


@pytest.fixture
def contractspec_empty_database(
    contractspec_server: str | None, tmp_path: Path
) -> Iterator[str]:
    """A fresh, empty database URL for one test: a SQLite file in tmp_path, or
    a new database on contractspec_server's server, dropped afterwards."""
    from .errors import ContractspecError
    from .testing import Databases

    try:
        databases = Databases(tmp_path / "contractspec", contractspec_server)
    except ContractspecError as exc:
        _fail(str(exc))
    try:
        yield databases.create()
    finally:
        databases.close()


@pytest.fixture(scope="session")
def contractspec_templates(
    pytestconfig: pytest.Config,
    contractspec_project: Any,
    contractspec_server: str | None,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Any]:
    """The session's `contractspec.testing.Templates`: migrated template
    databases, each made on first use, and fresh copies of them. With
    --contractspec-reuse-db they outlive the session (SQLite: in pytest's
    cache folder; PostgreSQL: on the server), keyed by the harness folder's
    fingerprint."""
    from .errors import ContractspecError
    from .testing import Databases, Templates

    keep = None
    if _setting(pytestconfig, "contractspec_reuse_db"):
        cache = getattr(pytestconfig, "cache", None)
        if cache is None:
            _fail(
                "contractspec: --contractspec-reuse-db keeps the templates in"
                " pytest's cache folder, but the cacheprovider plugin is off"
                " (-p no:cacheprovider): turn it on, or leave the option out"
            )
        keep = cache.mkdir("contractspec-templates")
    folder = tmp_path_factory.mktemp("contractspec")
    try:
        databases = Databases(folder, contractspec_server)
        templates = Templates(contractspec_project, databases, keep)
    except ContractspecError as exc:
        _fail(str(exc))
    try:
        yield templates
    finally:
        databases.close()


def _fail(message: str) -> NoReturn:
    """Fail the test with message alone (no traceback, no chained exception)."""
    __tracebackhide__ = True
    raise pytest.fail.Exception(message, pytrace=False) from None


def _copy(templates: Any, reference: str | None) -> str:
    from .errors import ContractspecError

    try:
        return str(templates.copy(reference))
    except ContractspecError as exc:
        _fail(f"contractspec: cannot migrate a template: {exc}")


@pytest.fixture
def contractspec_database(contractspec_templates: Any) -> Iterator[str]:
    """The URL of a fresh, fully migrated database for one test: a copy of the
    session's template (migrated once), dropped afterwards."""
    url = _copy(contractspec_templates, None)
    try:
        yield url
    finally:
        contractspec_templates.databases.drop(url)


@pytest.fixture
def contractspec_database_at(
    contractspec_templates: Any,
) -> Iterator[Callable[[str], str]]:
    """at(NAME): the URL of a fresh database migrated up to and including
    NAME in dependency order (the state a later migration starts from), a
    copy of a template made once per NAME; dropped after the test."""
    made: list[str] = []

    def at(reference: str) -> str:
        made.append(_copy(contractspec_templates, reference))
        return made[-1]

    try:
        yield at
    finally:
        for url in made:
            contractspec_templates.databases.drop(url)


@pytest.fixture
def contractspec_runner(
    contractspec_project: Any, contractspec_empty_database: str
) -> Any:
    """A `contractspec.testing.Runner` on a fresh, empty database: `up`,
    `down`, `up_to`, `applied`, `catalogue`."""
    from .testing import Runner

    with Runner(contractspec_project, contractspec_empty_database) as runner:
        yield runner


@pytest.fixture
def contractspec_migrated(contractspec_runner: Any) -> Callable[[str], str]:
    """migrated(NAME) applies NAME and what it depends on to the fresh
    database and returns its URL."""

    def migrated(reference: str) -> str:
        contractspec_runner.up_to(reference)
        return str(contractspec_runner.database)

    return migrated


# --- the built-in items ----------------------------------------------------------


def _enabled(config: pytest.Config) -> bool:
    return bool(_setting(config, "contractspec"))


@pytest.hookimpl(tryfirst=True)  # before -k/-m deselect among them
def pytest_collection_modifyitems(
    session: pytest.Session, config: pytest.Config, items: list[pytest.Item]
) -> None:
    if _enabled(config):
        collector = ProjectCollector.from_parent(
            session, name="contractspec", nodeid="contractspec"
        )
        ours = collector.collect()  # items only
        # Reported as collected, so that pytest counts them like any other.
        report = pytest.CollectReport(collector.nodeid, "passed", None, ours)
        session.ihook.pytest_collectreport(report=report)
        items.extend(item for item in ours if isinstance(item, pytest.Item))


def pytest_unconfigure(config: pytest.Config) -> None:
    state = config.stash.get(_STATE, None)
    if state is not None:
        state.close()


class ContractspecFailure(Exception):
    """A built-in test's failure: its message is the whole report."""


class _State:
    """What the built-in items share in one pytest session."""

    def __init__(self) -> None:
        from .testing import Databases

        self.folder = Path(tempfile.mkdtemp(prefix="contractspec-"))
        self.databases = Databases(self.folder)  # the project's, once it is loaded
        self.project: Any = None
        self.harnesses: dict[str, Any] = {}  # shared by every runner
        self.walk: Any = None  # the Runner the round trips walk with
        self.walked: set[str] = set()  # what is applied on the walk's database
        # The latest databases where a migration applied alone, by key.
        self.alone: dict[str, str] = {}

    def close(self) -> None:
        if self.walk is not None:
            self.walk.close()
        self.databases.close()
        shutil.rmtree(self.folder, ignore_errors=True)

    def keep_alone(self, key: str, database: str) -> None:
        """Remember where key applied alone; drop the oldest beyond a few (on
        PostgreSQL each database costs megabytes, and the next migration in
        order is the likely one to start from it)."""
        self.alone[key] = database
        while len(self.alone) > KEPT_DATABASES:
            self.databases.drop(self.alone.pop(next(iter(self.alone))))

    def runner(self, database: str) -> Any:
        from .testing import Runner

        return Runner(self.project, database, self.harnesses)

    def start_walk(self) -> Any:
        if self.walk is None:
            self.walk = self.runner(self.databases.create())
            self.walked = set()
        return self.walk

    def restart_walk(self) -> Any:
        if self.walk is not None:
            self.walk.close()
            self.databases.drop(self.walk.database)
            self.walk = None
        return self.start_walk()


_STATE = pytest.StashKey[_State]()


class ProjectCollector(pytest.Collector):
    def collect(self) -> list[pytest.Item | pytest.Collector]:
        from .errors import ContractspecError
        from .project import open_project
        from .testing import Databases, preload

        state = _State()
        self.config.stash[_STATE] = state
        project_dir = _project_dir(self.config)
        try:
            state.project = open_project(project_dir)
        except ContractspecError as exc:  # the one item says why; nothing else can run
            return [GraphItem.from_parent(self, name="test_graph_sound", error=exc)]
        server = _server(self.config, state.project.config.declared_dialect)
        try:
            state.databases = Databases(state.folder, server)
        except ContractspecError as exc:  # no test could run: one message, not each
            raise pytest.UsageError(f"contractspec: {exc}") from None
        keys = [spec.key for spec in state.project.registry.order()]
        state.harnesses = preload(state.project)
        items: list[pytest.Item | pytest.Collector] = [
            GraphItem.from_parent(self, name="test_graph_sound", error=None),
            HarnessItem.from_parent(self, name="test_harnesses_current"),
        ]
        if _has_lint():
            items.append(LintItem.from_parent(self, name="test_lint"))
        items += [
            RoundTripItem.from_parent(self, name=f"test_roundtrip[{key}]", key=key)
            for key in keys
        ]
        items += [
            AloneItem.from_parent(self, name=f"test_applies_alone[{key}]", key=key)
            for key in keys
        ]
        return items


class _Item(pytest.Item):
    key: str | None = None

    @property
    def state(self) -> _State:
        return self.config.stash[_STATE]

    def reportinfo(self) -> tuple[Path, int | None, str]:
        project = self.state.project
        if self.key is not None and project is not None:
            return project.config.root / project.specs[self.key].path, None, self.name
        return _project_dir(self.config) / "pyproject.toml", None, self.name

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException]) -> str:  # type: ignore[override]
        from .errors import ContractspecError

        if isinstance(excinfo.value, (ContractspecFailure, ContractspecError)):
            return str(excinfo.value)
        return str(super().repr_failure(excinfo))


class GraphItem(_Item):
    def __init__(self, *, error: Exception | None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.error = error

    def runtest(self) -> None:
        if self.error is not None:
            raise ContractspecFailure(f"the project does not load:\n{self.error}")
        # Reloading proves the graph as it is now, not as collected.
        from .project import open_project

        open_project(_project_dir(self.config))


class HarnessItem(_Item):
    def runtest(self) -> None:
        from .commands.build import build

        result = build(project=_project_dir(self.config), check=True)
        if result.stale:
            raise ContractspecFailure(
                f"harnesses are stale: {result.summary}\n"
                f"rebuild with: {result.rebuild_command}\n{result.diff}"
            )


def _has_lint() -> bool:
    from .cli import command_names

    return "lint" in command_names()


class LintItem(_Item):
    """`contractspec lint` finds no error (warnings pass, as without --strict)."""

    def runtest(self) -> None:
        command = [sys.executable, "-m", "contractspec", "lint"]
        command += ["-C", str(_project_dir(self.config))]
        result = subprocess.run(command, capture_output=True, text=True)
        if result.returncode != 0:
            raise ContractspecFailure(
                f"contractspec lint exited {result.returncode}:\n"
                + result.stdout
                + result.stderr
            )


class _MigrationItem(_Item):
    """A test of one migration, `key`."""

    key: str

    def __init__(self, *, key: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.key = key


class RoundTripItem(_MigrationItem):
    def runtest(self) -> None:
        from .errors import ContractspecError
        from .testing import irreversible, round_trip

        state, key = self.state, self.key
        walk = state.start_walk()
        reason = irreversible(walk, key)
        try:
            if key in state.walked:  # run out of order (-k, -p randomly): start over
                walk = state.restart_walk()
            # What the walk applied is closed under dependencies: when the
            # direct ones are there, so are all (the usual case, in order).
            direct = state.project.registry.dependencies(key)
            if not state.walked.issuperset(direct):
                for dependency in walk.dependencies(key):
                    if dependency not in state.walked:
                        _prepare(walk, key, dependency)
                        state.walked.add(dependency)
            if reason is not None:
                walk.up(key)  # what comes next needs it
                state.walked.add(key)
                pytest.skip(reason)
            round_trip(walk, key)
            state.walked.add(key)
        except ContractspecError:
            state.restart_walk()  # a fresh database for the next, not this wreck
            raise


class AloneItem(_MigrationItem):
    def runtest(self) -> None:
        from .errors import ContractspecError
        from .testing import dependencies

        state, key = self.state, self.key
        direct = state.project.registry.dependencies(key)
        every = dependencies(state.project, key)
        # With one direct dependency, the database where that one applied
        # alone holds exactly key's dependencies: start from a copy of it.
        if len(direct) == 1 and direct[0] in state.alone:
            database = state.databases.clone(state.alone[direct[0]])
            todo: list[str] = []
        else:
            database, todo = state.databases.create(), every
        with state.runner(database) as runner:
            for dependency in todo:
                _prepare(runner, key, dependency)
            try:
                runner.up(key)
            except ContractspecError as exc:
                state.databases.drop(database)
                raise ContractspecFailure(
                    f"{key}: up failed on a database holding only its dependencies"
                    f" ({', '.join(every) or 'none'}): {exc}\n"
                    "does it need a migration that it does not list as a dependency?"
                ) from None
        state.keep_alone(key, database)


def _prepare(runner: Any, key: str, dependency: str) -> None:
    from .errors import ContractspecError

    try:
        runner.up(dependency)
    except ContractspecError as exc:
        raise ContractspecFailure(
            f"{key}: could not apply its dependency {dependency}: {exc}"
        ) from None
