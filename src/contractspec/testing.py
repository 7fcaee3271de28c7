"""Testing migrations: fresh databases, a runner for single migrations, and a
normalized schema catalogue to compare before and after.

The pytest plugin (`contractspec.pytest_plugin`) is built on these; they need
no pytest, so a program or another test runner can use them too. Migrations
run from their committed harnesses, as `contractspec migrate` runs them.
"""

from __future__ import annotations

import functools
import hashlib
import os
import re
import shutil
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast
from urllib.parse import urlsplit, urlunsplit

from . import runtime
from .commands.migrate.harnesses import CommittedHarness, committed_harnesses
from .commands.migrate.runs import not_atomic, up, up_order
from .errors import ConfigError, MigrationFailed, StaleError
from .files import read_project_file, relative_posix
from .project import Project
from .spec import MigrationSpec

# Our own bookkeeping tables are not part of the schema under test.
_OURS = "contractspec_"


class Databases:
    """Fresh, empty databases: SQLite files in a folder, or new databases on a
    PostgreSQL server (`server`: a URL whose user may CREATE DATABASE).

    Every database made here is removed by `drop_all` (and `close`, which
    also closes the one server connection)."""

    def __init__(self, folder: Path, server: str | None = None) -> None:
        self.folder, self.server = folder, server
        self.made: list[str] = []
        self._conn: Any = None
        if server is not None:
            _psycopg()  # missing: say so now, once, not in every test

    @property
    def dialect(self) -> str:
        return "postgresql" if self.server else "sqlite"

    def create(self) -> str:
        name = "cs_" + uuid.uuid4().hex[:16]
        if self.server is None:
            self.folder.mkdir(parents=True, exist_ok=True)
            url = f"sqlite:///{(self.folder / f'{name}.db').as_posix()}"
        else:
            self.admin(f'CREATE DATABASE "{name}"')
            url = self.url_of(name)
        self.made.append(url)
        return url

    def clone(self, url: str) -> str:
        """A new database holding a copy of url's (which nobody may be using):
        a file copy on SQLite, `CREATE DATABASE ... TEMPLATE` on PostgreSQL."""
        name = "cs_" + uuid.uuid4().hex[:16]
        if self.server is None:
            self.folder.mkdir(parents=True, exist_ok=True)
            path = self.folder / f"{name}.db"
            shutil.copyfile(_sqlite_path(url), path)
            copy = f"sqlite:///{path.as_posix()}"
        else:
            self.admin(f'CREATE DATABASE "{name}" TEMPLATE "{_pg_name(url)}"')
            copy = self.url_of(name)
        self.made.append(copy)
        return copy

    def url_of(self, name: str) -> str:
        """The URL of database `name` on the server."""
        assert self.server is not None
        return urlunsplit(urlsplit(self.server)._replace(path="/" + name))

    def drop(self, url: str) -> None:
        if url in self.made:
            self.made.remove(url)
        if self.server is None:
            Path(_sqlite_path(url)).unlink(missing_ok=True)
        else:
            self.admin(f'DROP DATABASE IF EXISTS "{_pg_name(url)}" WITH (FORCE)')

    def drop_all(self) -> None:
        for url in list(self.made):
            self.drop(url)

    def admin(self, statement: Any) -> list[tuple[Any, ...]]:
        """Run one statement on the server (names made here, never user input);
        its rows. One connection for the session's statements: connecting is
        most of what a copy of a small template costs."""
        assert self.server is not None
        if self._conn is None or self._conn.closed:
            self._conn = _psycopg().connect(self.server, autocommit=True)
        cursor = self._conn.execute(statement)
        return cursor.fetchall() if cursor.description else []

    def close(self) -> None:
        """Drop every database made here; close the server connection."""
        self.drop_all()
        if self._conn is not None:
            self._conn.close()
            self._conn = None


class Templates:
    """Migrated databases in milliseconds: a **template** migrated once per
    harness-folder fingerprint (and target), then a fresh copy of it per
    test (`Databases.clone`: a file copy on SQLite, `CREATE DATABASE ...
    TEMPLATE` on PostgreSQL).

    Migrated as `contractspec migrate up [--to NAME]` migrates (the committed
    harnesses, checked; in one transaction unless a step commits on its
    own), and checked as it checks them before a kept one is reused: a stale
    or edited harness is refused, not copied from before.

    A template belongs to this process and is dropped with its databases,
    unless `keep` names where templates outlive the session (SQLite: that
    folder; PostgreSQL: the server): then they are found again by name in a
    later session, and those of the same project made from other harness
    bytes are dropped as stale. A kept template appears under its name only
    once fully migrated (a rename), so concurrent sessions (pytest-xdist's
    workers) never copy a half-made one, and names never clash: a template in
    the making carries this process's own tag."""

    PREFIX = "cs_tpl_"

    def __init__(
        self, project: Project, databases: Databases, keep: Path | None = None
    ) -> None:
        self.project, self.databases, self.keep = project, databases, keep
        self.fingerprint = harness_folder_fingerprint(project)
        root = str(project.config.root.resolve()).encode("utf-8")
        self.project_tag = hashlib.sha256(root).hexdigest()[:8]
        self.own_tag = uuid.uuid4().hex[:8]  # this process's
        self.templates: dict[str | None, str] = {}  # by target key (None: all)
        self._dropped_stale = False

    def copy(self, reference: str | None = None) -> str:
        """A fresh database migrated up to and including reference in
        dependency order (None: every migration); remove it with
        `databases.drop(url)`."""
        key = None if reference is None else self.project.registry.lookup(reference).key
        if key not in self.templates:
            self.templates[key] = self._template(key)
        return self.databases.clone(self.templates[key])

    def name(self, key: str | None) -> str:
        """A template's name: this project's, these harnesses', this target's."""
        target = "all" if key is None else hashlib.sha256(key.encode()).hexdigest()[:8]
        return f"{self.PREFIX}{self.project_tag}_{self.fingerprint[:16]}_{target}"

    def _template(self, key: str | None) -> str:
        # What `migrate up --to key` runs, checked as it checks it.
        harnesses = committed_harnesses(
            self.project, up_order(self.project.registry, to=key)
        )
        migrate = functools.partial(
            self._migrate, key=key, single=not not_atomic(harnesses, "up")
        )
        if self.keep is None:
            url = self.databases.create()
            migrate(url)
            return url
        self._drop_stale()
        name = self.name(key)
        if self.databases.server is None:
            return self._kept_file(name, migrate)
        return self._kept_database(name, migrate)

    def _migrate(self, url: str, key: str | None, single: bool) -> None:
        root = self.project.config.root
        up(root, url, to=key, single_transaction=single).raise_for_failure()

    def _kept_file(self, name: str, migrate: Callable[[str], None]) -> str:
        assert self.keep is not None
        path = self.keep / f"{name}.db"
        if not path.exists():
            making = self.keep / f"{name}.{self.own_tag}.making"
            self.keep.mkdir(parents=True, exist_ok=True)
            try:
                migrate(f"sqlite:///{making.as_posix()}")
                os.link(making, path)  # atomic: whole, or not there
            except FileExistsError:
                pass  # another session made it first: theirs is the same
            finally:
                making.unlink(missing_ok=True)
                Path(f"{making}.lock").unlink(missing_ok=True)
        return f"sqlite:///{path.as_posix()}"

    def _kept_database(self, name: str, migrate: Callable[[str], None]) -> str:
        databases, errors = self.databases, _psycopg().errors
        exists = f"SELECT 1 FROM pg_database WHERE datname = '{name}'"
        if not databases.admin(exists):
            making = f"{name}_{self.own_tag}"
            databases.admin(f'CREATE DATABASE "{making}"')
            try:
                migrate(databases.url_of(making))
                databases.admin(f'ALTER DATABASE "{making}" RENAME TO "{name}"')
            except (errors.DuplicateDatabase, errors.UniqueViolation):
                pass  # another session made it first (or at once): theirs is the same
            finally:
                databases.admin(f'DROP DATABASE IF EXISTS "{making}" WITH (FORCE)')
        return databases.url_of(name)

    def _drop_stale(self) -> None:
        """Kept templates of this project made from other harness bytes."""
        if self._dropped_stale:
            return
        self._dropped_stale = True
        ours = f"{self.PREFIX}{self.project_tag}_"
        current = f"{ours}{self.fingerprint[:16]}_"
        if self.databases.server is None:
            assert self.keep is not None
            for path in self.keep.glob(f"{ours}*"):
                if not path.name.startswith(current):
                    path.unlink(missing_ok=True)
            return
        rows = self.databases.admin(
            f"SELECT datname FROM pg_database WHERE datname LIKE '{ours}%'"
        )
        for (name,) in rows:
            if not name.startswith(current):
                self.databases.admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def harness_folder_fingerprint(project: Project) -> str:
    """sha256 over every file of the harness folder, paths and bytes: the
    harnesses and the runtime that a template database was migrated with."""
    folder = project.config.harness_dir
    paths = sorted(
        Path(directory) / name
        for directory, _, files in os.walk(folder)
        if "__pycache__" not in Path(directory).parts
        for name in files
    )
    digest = hashlib.sha256()
    for path in paths:
        data = read_project_file(path, project.config.files)
        digest.update(relative_posix(path, folder).encode("utf-8") + b"\0")
        digest.update(hashlib.sha256(data).digest())
    return digest.hexdigest()


def _psycopg() -> Any:
    try:
        import psycopg
    except ImportError:
        raise ConfigError(
            "testing on PostgreSQL needs psycopg, which is not installed:"
            " pip install 'contractspec[postgres]'"
        ) from None
    return psycopg


def _sqlite_path(url: str) -> str:
    return url[len("sqlite:///") :]


def _pg_name(url: str) -> str:
    return urlsplit(url).path.lstrip("/")


# --- the catalogue -------------------------------------------------------------


class Catalogue:
    """A database's schema as comparable text: object → its normalized definition.

    Read as one text from the database (objects in order, each "name US
    definition", separated by RS), since equal texts are equal schemas and
    most comparisons in a round trip are between equal schemas: parsing and
    normalizing wait until two texts differ."""

    def __init__(self, text: str | None) -> None:
        self.text = text or ""

    @functools.cached_property
    def objects(self) -> dict[str, str]:
        pairs = (
            record.split("\x1f", 1) for record in self.text.split("\x1e") if record
        )
        return {name: _normalize(definition) for name, definition in pairs}

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Catalogue):
            return NotImplemented
        return self.text == other.text or self.objects == other.objects

    __hash__ = None  # type: ignore[assignment]  # compared by value, not hashed

    def difference(self, other: Catalogue) -> list[str]:
        """What changed from self to other, one line per object, for people."""
        lines = []
        for name in sorted(self.objects.keys() | other.objects.keys()):
            before, after = self.objects.get(name), other.objects.get(name)
            if before == after:
                continue
            if after is None:
                lines.append(f"- {name}: {before}  (gone)")
            elif before is None:
                lines.append(f"+ {name}: {after}  (new)")
            else:
                lines.append(f"~ {name}: {before}  ->  {after}")
        return lines


_STRING = re.compile(r"('(?:[^']|'')*')")
_SPACE = re.compile(r"\s+")
_AROUND = re.compile(r"\s*([(),;])\s*")


@functools.cache  # snapshots of one database repeat the same texts
def _normalize(sql: str | None) -> str:
    """SQL text without what doesn't matter: whitespace (ALTER TABLE rewrites
    it) and the case of keywords and names; string literals stay as they are."""
    pieces = _STRING.split(sql or "")
    for index in range(0, len(pieces), 2):  # the even pieces are outside strings
        pieces[index] = _AROUND.sub(r"\1", _SPACE.sub(" ", pieces[index])).lower()
    return "".join(pieces).strip()


# SQLite keeps each object's schema as the SQL text that made it (ALTER TABLE
# edits that text), so the normalized text is the catalogue: one query.
_SQLITE_MASTER = (
    "SELECT group_concat(type || ' ' || name || char(31) || coalesce(sql, ''), char(30))"
    " FROM (SELECT type, name, sql FROM sqlite_master"
    f" WHERE name NOT LIKE 'sqlite%' AND name NOT LIKE '{_OURS}%' ORDER BY type, name)"
)


def _sqlite_catalogue(conn: Any) -> Catalogue:
    return Catalogue(conn.execute(_SQLITE_MASTER).fetchone()[0])


# Everything outside PostgreSQL's own schemas; one query per kind of object.
_PG_USER_SCHEMA = "NOT IN ('pg_catalog', 'information_schema', 'pg_toast')"
_PG_QUERIES = {
    "column": f"""
        SELECT table_schema || '.' || table_name || '.' || column_name,
               data_type || coalesce('(' || character_maximum_length || ')', '')
               || CASE WHEN is_nullable = 'NO' THEN ' NOT NULL' ELSE '' END
               || coalesce(' DEFAULT ' || column_default, '')
               || ' #' || rank() OVER (PARTITION BY table_schema, table_name
                                        ORDER BY ordinal_position)
        FROM information_schema.columns
        WHERE table_schema {_PG_USER_SCHEMA} AND table_name NOT LIKE '{_OURS}%'""",
    "table": f"""
        SELECT table_schema || '.' || table_name, table_type
        FROM information_schema.tables
        WHERE table_schema {_PG_USER_SCHEMA} AND table_name NOT LIKE '{_OURS}%'""",
    "index": f"""
        SELECT schemaname || '.' || indexname, indexdef FROM pg_indexes
        WHERE schemaname {_PG_USER_SCHEMA} AND tablename NOT LIKE '{_OURS}%'""",
    "constraint": f"""
        SELECT n.nspname || '.' || r.relname || '.' || c.conname,
               pg_get_constraintdef(c.oid)
        FROM pg_constraint c JOIN pg_class r ON r.oid = c.conrelid
        JOIN pg_namespace n ON n.oid = c.connamespace
        WHERE n.nspname {_PG_USER_SCHEMA} AND r.relname NOT LIKE '{_OURS}%'""",
    "view": f"""
        SELECT schemaname || '.' || viewname, definition FROM pg_views
        WHERE schemaname {_PG_USER_SCHEMA}""",
    "function": f"""
        SELECT n.nspname || '.' || p.proname || '('
               || pg_get_function_identity_arguments(p.oid) || ')',
               pg_get_functiondef(p.oid)
        FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
        WHERE n.nspname {_PG_USER_SCHEMA} AND p.prokind IN ('f', 'p')""",
    "trigger": f"""
        SELECT n.nspname || '.' || r.relname || '.' || t.tgname,
               pg_get_triggerdef(t.oid)
        FROM pg_trigger t JOIN pg_class r ON r.oid = t.tgrelid
        JOIN pg_namespace n ON n.oid = r.relnamespace
        WHERE NOT t.tgisinternal AND n.nspname {_PG_USER_SCHEMA}""",
    "sequence": f"""
        SELECT sequence_schema || '.' || sequence_name,
               data_type || ' START ' || start_value || ' BY ' || increment
        FROM information_schema.sequences
        WHERE sequence_schema {_PG_USER_SCHEMA}""",
    "type": f"""
        SELECT n.nspname || '.' || t.typname,
               'ENUM(' || string_agg(e.enumlabel, ', ' ORDER BY e.enumsortorder) || ')'
        FROM pg_type t JOIN pg_enum e ON e.enumtypid = t.oid
        JOIN pg_namespace n ON n.oid = t.typnamespace
        WHERE n.nspname {_PG_USER_SCHEMA} GROUP BY 1""",
}
_PG_CATALOGUE = (
    "SELECT string_agg(name || chr(31) || coalesce(definition, ''), chr(30)"
    ' ORDER BY name COLLATE "C") FROM ('
    + " UNION ALL ".join(
        f"SELECT '{kind} ' || name, definition FROM ({query}) AS {kind}_(name, definition)"
        for kind, query in _PG_QUERIES.items()
    )
    + ") AS catalogue(name, definition)"
)


def _pg_catalogue(conn: Any) -> Catalogue:
    return Catalogue(conn.execute(_PG_CATALOGUE).fetchone()[0])


def catalogue(session: runtime.Session) -> Catalogue:
    """The schema of an open runtime session's database (without our tables)."""
    session.db.send_deferred()  # so what we read is what was committed
    if session.dialect == "sqlite":
        return _sqlite_catalogue(session.conn)
    return _pg_catalogue(session.conn)


# --- the runner ----------------------------------------------------------------


@dataclass
class Runner:
    """Apply and revert single migrations of a project on one database, from
    their committed harnesses (refused when missing or stale, as by `migrate`)."""

    project: Project
    database: str
    # Harnesses read so far, by key: runners of one project may share them.
    harness_cache: dict[str, CommittedHarness] = field(default_factory=dict, repr=False)
    _session: runtime.Session | None = field(default=None, repr=False)

    def __enter__(self) -> Runner:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def session(self) -> runtime.Session:
        if self._session is None:
            try:
                self._session = runtime.Session(self.database, lock=False)
            except runtime.MigrationError as exc:
                raise ConfigError(str(exc)) from None
        return self._session

    def close(self) -> None:
        if self._session is not None:
            self._session.close()
            self._session = None

    def key(self, reference: str) -> str:
        return self.project.registry.lookup(reference).key

    def harnesses(self, keys: Iterable[str]) -> list[CommittedHarness]:
        """The committed harnesses of keys (StaleError names every one that cannot run)."""
        keys = list(keys)
        missing = [key for key in keys if key not in self.harness_cache]
        if missing:
            for harness in committed_harnesses(self.project, missing):
                self.harness_cache[harness.key] = harness
        return [self.harness_cache[key] for key in keys]

    def dependencies(self, reference: str) -> list[str]:
        return dependencies(self.project, self.key(reference))

    def applied(self) -> set[str]:
        return {row["key"] for row in runtime.read_history(self.session)}

    def up(self, reference: str) -> runtime.Result:
        """Apply one migration (its dependencies must be applied); its result."""
        return self._apply(reference, runtime.apply_up)

    def down(self, reference: str) -> runtime.Result:
        """Revert one applied migration; its result."""
        return self._apply(reference, runtime.apply_down)

    def up_to(self, reference: str) -> list[str]:
        """Apply reference and whatever it depends on that is not applied yet;
        the keys applied, in order."""
        key = self.key(reference)
        applied = self.applied()
        pending = [k for k in (*self.dependencies(key), key) if k not in applied]
        for each in pending:
            self.up(each)
        return pending

    def catalogue(self) -> Catalogue:
        return catalogue(self.session)

    def _apply(
        self, reference: str, apply: Callable[..., runtime.Result]
    ) -> runtime.Result:
        (harness,) = self.harnesses([self.key(reference)])
        try:
            return apply(self.session, harness.checked, base_dir=harness.path.parent)
        except runtime.MigrationError as exc:
            raise MigrationFailed(str(exc)) from None


def preload(project: Project) -> dict[str, CommittedHarness]:
    """Every harness of the project read at once (one pass, one cache), for
    Runner.harness_cache, when all can run; when not, none: each is then read
    when needed, so that a stale one fails only what needs it."""
    keys = [
        spec.key for spec in cast("Iterable[MigrationSpec]", project.registry.list())
    ]
    try:
        return {harness.key: harness for harness in committed_harnesses(project, keys)}
    except StaleError:
        return {}


def irreversible(runner: Runner, key: str) -> str | None:
    """Why key cannot be reverted (no down plan), or None."""
    (harness,) = runner.harnesses([key])
    if harness.checked.get("down") is None:
        spec = harness.checked.get("spec_path") or "its spec"
        return f"{key} is irreversible: {spec} has no down plan"
    return None


class RoundTripFailed(MigrationFailed):
    """up → down → up left a different schema; the message says where."""


def round_trip(runner: Runner, key: str) -> None:
    """up, down, up on the runner's database (key's dependencies applied, key
    not): after down the schema must equal the one before up, and after the
    second up the one after the first. Raises MigrationFailed naming the step."""
    before = runner.catalogue()
    _step(runner, key, "up", runner.up)
    after_up = runner.catalogue()
    _step(runner, key, "down", runner.down)
    _same(key, "down", before, runner.catalogue(), "before up")
    _step(runner, key, "second up", runner.up)
    _same(key, "second up", after_up, runner.catalogue(), "after the first up")


def _step(runner: Runner, key: str, step: str, apply: Callable[[str], object]) -> None:
    try:
        apply(key)
    except MigrationFailed as exc:
        raise MigrationFailed(f"{key}: {step} failed: {exc}") from None


def _same(key: str, step: str, want: Catalogue, got: Catalogue, when: str) -> None:
    if got != want:
        lines = want.difference(got)
        raise RoundTripFailed(
            f"{key}: after {step}, the schema differs from the one {when}:\n  "
            + "\n  ".join(lines)
        )


def dependencies(project: Project, key: str) -> list[str]:
    """Every migration key depends on, directly or not, in dependency order."""
    # (cast: inside MigrationRegistry, mypy reads `list[...]` as its method `list`)
    ordered = cast("Iterable[MigrationSpec]", project.registry.order([key]))
    return [spec.key for spec in ordered if spec.key != key]
