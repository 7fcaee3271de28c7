"""A fleet's targets: listed from the config (URLs, a file of URLs, a query on
a catalog database, or the schemas of one PostgreSQL database), split into
shards by a stable hash and into waves. Each target is named by its
identity (its redacted URL, or `URL#schema`) everywhere: progress, report,
errors, shards, groups."""

from __future__ import annotations

import hashlib
import math
import os
from dataclasses import dataclass, field

from ... import runtime
from ...config import Config
from ...errors import ConfigError, DatabaseError, FileRefused, UsageError
from ...files import read_project_file
from ...fleets import ENV_PREFIX, REST, FleetSpec, wave_kind

K8S = "k8s"  # --shard k8s: the index from Kubernetes, the count from --shards
K8S_INDEX = "JOB_COMPLETION_INDEX"  # set in each pod of an Indexed Job


@dataclass(frozen=True)
class Target:
    """One database, or one schema of a database, that a fleet migrates."""

    name: str  # its identity: the redacted URL, or URL#schema
    url: str = field(repr=False)  # what connects, secrets included: never shown
    schema: str | None = None

    @property
    def secrets(self) -> list[str]:
        return runtime.database_secrets(self.url)


@dataclass(frozen=True)
class Shard:
    """Shard `index` of `count` (0 <= index < count)."""

    index: int
    count: int

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"

    def holds(self, target: Target) -> bool:
        return shard_of(target.name, self.count) == self.index


@dataclass(frozen=True)
class Wave:
    name: str  # as the config says it: canary, 10%, 100, rest
    targets: list[Target]


def shard_of(name: str, count: int) -> int:
    """The shard of a target: the same on every machine, for every run."""
    digest = hashlib.sha256(name.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") % count


def parse_shard(text: str | None, shards: int | None) -> Shard | None:
    """--shard i/N, or --shard k8s with --shards N (the index from
    $JOB_COMPLETION_INDEX); None: the whole fleet."""
    if text is None:
        if shards is not None:
            raise UsageError("--shards goes with --shard k8s")
        return None
    if text == K8S:
        if shards is None:
            raise UsageError("--shard k8s needs --shards N (the Job's completions)")
        index_text = os.environ.get(K8S_INDEX)
        if index_text is None:
            raise UsageError(
                f"--shard k8s reads ${K8S_INDEX}, which is not set (Kubernetes sets"
                " it in the pods of an Indexed Job: completionMode: Indexed)"
            )
        where = f"${K8S_INDEX}={index_text!r}"
        count = shards
    else:
        if shards is not None:
            raise UsageError("--shards goes with --shard k8s; --shard i/N says N")
        index_text, _, count_text = text.partition("/")
        where = f"--shard {text}"
        try:
            count = int(count_text)
        except ValueError:
            count = 0
    try:
        index = int(index_text)
    except ValueError:
        index = -1
    if count < 1 or not 0 <= index < count:
        raise UsageError(
            f"{where}: give the shard as i/N, i from 0 to N-1 (as Kubernetes numbers"
            " its indexes), or k8s with --shards N"
        )
    return Shard(index, count)


def fleet_spec(config: Config, name: str) -> FleetSpec:
    if name not in config.fleets:
        known = ", ".join(sorted(config.fleets)) or "none configured"
        raise ConfigError(
            f"unknown fleet {name!r} (known: {known}); add"
            f" [tool.contractspec.fleets.{name}] to pyproject.toml (docs/fleets.md)"
        )
    return config.fleets[name]


def fleet_targets(config: Config, spec: FleetSpec) -> list[Target]:
    """The fleet's targets in the order listed, each once."""
    where = f"fleet {spec.name!r}"
    if spec.schemas is not None:
        assert spec.database is not None
        database = _resolve(config, spec.database, f"{where}: database")
        shown = runtime.redact_url(database, runtime.database_secrets(database))
        if runtime.parse_database_url(database)[0] != "postgresql":
            raise ConfigError(f"{where}: schemas are PostgreSQL's, not of {shown}")
        names = (
            _query(database, spec.schemas, f"{where}: schemas query")
            if isinstance(spec.schemas, str)
            else list(spec.schemas)
        )
        found = [Target(runtime.target_name(shown, n), database, n) for n in names]
    else:
        if spec.urls_file is not None:
            entries = _file_entries(config, spec.urls_file)
        elif spec.query is not None:
            assert spec.catalog is not None
            catalog = _resolve(config, spec.catalog, f"{where}: catalog")
            entries = _query(catalog, spec.query, f"{where}: query")
        else:
            entries = list(spec.urls)
        found = []
        for entry in entries:
            url = _resolve(config, entry, where)
            name = runtime.redact_url(url, runtime.database_secrets(url))
            found.append(Target(name, url))
    unique: dict[str, Target] = {}
    for target in found:
        unique.setdefault(target.name, target)
    return list(unique.values())


def _resolve(config: Config, entry: str, where: str) -> str:
    """An entry as a URL to connect to: env:VAR read, a relative SQLite path
    anchored at the project; ConfigError naming where it came from."""
    url = entry
    if entry.startswith(ENV_PREFIX):
        variable = entry[len(ENV_PREFIX) :]
        url = os.environ.get(variable, "")
        if not url.strip():
            raise ConfigError(f"{where}: ${variable} is not set (it holds a URL)")
    try:
        return config.anchored(url.strip())
    except runtime.MigrationError as exc:
        raise ConfigError(f"{where}: {exc}") from None


def _named(config: Config, entry: str) -> str | None:
    """The identity of the target a group entry writes as a URL (None: none)."""
    try:
        url = _resolve(config, entry, "")
    except ConfigError:
        return None
    return runtime.redact_url(url, runtime.database_secrets(url))


def _file_entries(config: Config, name: str) -> list[str]:
    """A urls_file: one URL (or env:VAR) a line; blank lines and # comments skipped."""
    path = config.root / name
    try:
        text = read_project_file(path, config.files).decode("utf-8")
    except (FileRefused, UnicodeDecodeError) as exc:
        raise ConfigError(f"urls_file {name}: {exc}") from None
    entries = []
    for line in text.splitlines():
        entry = line.split(" #", 1)[0].strip()
        if entry and not entry.startswith("#"):
            entries.append(entry)
    return entries


def _query(url: str, query: str, where: str) -> list[str]:
    """The first column of each row of query on the database at url."""
    secrets = runtime.database_secrets(url)
    try:
        with runtime.open_session(url, lock=False) as session:
            rows = session.conn.execute(query).fetchall()
    except runtime.MigrationError as exc:
        raise DatabaseError(f"{where}: {exc}") from None
    except Exception as exc:
        shown = runtime.redact_url(url, secrets)
        message = f"{where} on {shown} failed: {runtime.first_line(exc)}"
        raise DatabaseError(runtime.redact_url(message, secrets)) from None
    return [str(row[0]).strip() for row in rows if row and row[0] is not None]


def waves_of(
    config: Config, spec: FleetSpec, targets: list[Target]
) -> tuple[list[Wave], list[str]]:
    """The fleet's targets in waves (each target in the first that takes it; an
    empty wave is left out), and a line for each group entry that names no
    target. Sizes are of the whole fleet: shards split each wave.

    A group names its targets by schema, by identity, or by URL as the fleet
    lists it (env:VAR, or a SQLite path relative to the project)."""
    left = list(targets)
    by_name = {t.name: t for t in targets}
    by_name.update((t.schema, t) for t in targets if t.schema is not None)
    waves, unmatched = [], []
    for wave in spec.waves:
        kind = wave_kind(wave)
        if kind == "group":
            chosen = []
            for entry in spec.groups[wave]:
                target = by_name.get(entry) or by_name.get(_named(config, entry) or "")
                if target is None:
                    unmatched.append(f"group {wave!r}: {entry!r} is not in the fleet")
                elif target in left:
                    chosen.append(target)
        elif kind == REST:
            chosen = list(left)
        else:
            size = (
                math.ceil(len(targets) * int(wave[:-1]) / 100)
                if kind == "percent"
                else int(wave)
            )
            chosen = left[:size]
        taken = set(chosen)
        left = [t for t in left if t not in taken]
        if chosen:
            waves.append(Wave(wave, chosen))
    if left:
        waves.append(Wave(REST, left))  # waves that do not end in rest: the others
    return waves, unmatched
