"""`contractspec import flyway DIR [DIR...]`: a Flyway project's versions as specs.

Read as Flyway runs it: a folder given is a location, or a project when it
holds flyway.toml (preferred, as Flyway prefers it) or flyway.conf, whose
`filesystem:` locations, url and settings count. Every location is scanned
recursively and all are merged by version, compared numerically part by part
(1 < 1.1 < 2 < 13.1 < 13.2 < 14; 1.0 is 1; `_` separates parts in a file
name). A script runs in a transaction unless executeInTransaction=false (its
`.sql.conf` or the project's); statements that can't run in one get steps of
their own outside it, as Flyway runs such a script outside a transaction.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ...config import Config, load_config
from ...errors import ConfigError, UsageError
from ...sql import Dialect
from ..create import Step
from .common import (
    Imported,
    Migration,
    SourceDialect,
    Sources,
    domain_name,
    project_dialect,
    slug,
    walk_files,
)
from .scripts import script_steps
from .writing import write_migrations

_NAME = re.compile(
    r"^(?P<prefix>[VUB])(?P<version>[0-9]+(?:[._][0-9]+)*)__(?P<desc>.*)$"
)
_REPEATABLE = re.compile(r"^R__")
_CALLBACK = re.compile(r"^(?:(?:before|after)[A-Z][A-Za-z]*|createSchema)(?:__.*)?$")
_PLACEHOLDER = re.compile(r"\$\{([^{}\n]*)\}")
_JDBC = re.compile(r"^jdbc:(?:tc:)?(?P<engine>[a-z0-9]+):")
ENGINES: dict[str, Dialect] = {"postgresql": "postgresql", "sqlite": "sqlite"}


def import_flyway(
    directories: Iterable[Path],
    project_dir: Path | None = None,
    *,
    domain: str | None = None,
    owners: list[str] | None = None,
) -> Imported:
    """Import Flyway locations (or a project folder with flyway.toml / flyway.conf)."""
    config = load_config(project_dir)
    settings = read_settings(list(directories), config)
    dialect = project_dialect(config, settings.dialect, "Flyway")
    sources = Sources(
        [location.path for location in settings.locations],
        config,
        "the Flyway locations",
    )
    result = Imported()
    forward, undo = _scan(settings.locations, result)
    domain = domain_name(domain, "app")
    importer = _Importer(settings, sources, dialect, domain, result)
    write_migrations(importer.chain(forward, undo), config, domain, owners, result)
    return result


# --- flyway.toml / flyway.conf ---------------------------------------------------


@dataclass(frozen=True)
class Location:
    path: Path
    shown: str  # as given or configured


@dataclass(frozen=True)
class Settings:
    locations: list[Location]
    dialect: SourceDialect
    in_transaction: bool = True  # executeInTransaction
    placeholders: bool = True  # placeholderReplacement
    encoding: str = "utf-8"


def read_settings(directories: list[Path], config: Config) -> Settings:
    """The locations to import, and the settings of the one project folder given."""
    if not directories:
        raise UsageError("give a Flyway project folder or one or more locations")
    found = [path for path in map(_config_file, directories) if path is not None]
    if not found:
        locations = [Location(d, str(d)) for d in directories]
        return Settings(locations, SourceDialect(None, "no flyway.toml or flyway.conf"))
    path = found[0]
    if len(directories) > 1:
        raise UsageError(
            f"{path.parent} is a Flyway project (it has {path.name}): give it alone,"
            " or give locations only"
        )
    values, url = _read_config(
        path, Sources([path.parent], config, "the Flyway project")
    )
    return Settings(
        locations=_locations(path, values.get("locations")),
        dialect=_dialect(url, path),
        in_transaction=_flag(values, "executeInTransaction", path),
        placeholders=_flag(values, "placeholderReplacement", path),
        encoding=str(values.get("encoding") or "utf-8"),
    )


def _config_file(directory: Path) -> Path | None:
    for name in ("flyway.toml", "flyway.conf"):  # Flyway prefers .toml
        if (directory / name).exists():
            return directory / name
    return None


def _read_config(path: Path, sources: Sources) -> tuple[dict[str, Any], str | None]:
    """The [flyway] settings (flyway.* in a .conf), and the url of the environment."""
    text = sources.read(path)
    if path.suffix == ".toml":
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise UsageError(f"{path}: not TOML: {exc}") from None
        values = data.get("flyway", {}) if isinstance(data.get("flyway"), dict) else {}
        return values, _toml_url(data, values)
    properties = _properties(text, path)
    values = {
        key.removeprefix("flyway."): value
        for key, value in properties.items()
        if key.startswith("flyway.")
    }
    return values, values.get("url")


def _toml_url(data: dict[str, Any], values: dict[str, Any]) -> str | None:
    """The url of [flyway] environment (default "default"); else the one
    dialect all environments agree on."""
    environments = data.get("environments")
    if not isinstance(environments, dict):
        return values.get("url") if isinstance(values.get("url"), str) else None
    chosen = environments.get(values.get("environment") or "default")
    if isinstance(chosen, dict) and isinstance(chosen.get("url"), str):
        return str(chosen["url"])
    urls = {
        str(table["url"])
        for table in environments.values()
        if isinstance(table, dict) and isinstance(table.get("url"), str)
    }
    engines = {m["engine"] for m in map(_JDBC.match, urls) if m}
    return next(iter(urls)) if len(engines) == 1 else None


def _properties(text: str, path: Path) -> dict[str, str]:
    import javaproperties

    try:
        return dict(javaproperties.loads(text))
    except ValueError as exc:  # a bad \u escape
        raise UsageError(f"{path}: cannot read: {exc}") from None


def _locations(config_file: Path, value: Any) -> list[Location]:
    """`filesystem:` locations, relative to the config file's folder."""
    if value is None:
        raise UsageError(
            f"{config_file}: sets no locations: give the script folders"
            " (contractspec import flyway DIR [DIR...])"
        )
    written = value.split(",") if isinstance(value, str) else list(value)
    locations = []
    for item in (str(w).strip() for w in written):
        if not item.startswith("filesystem:") or any(c in item for c in "*?"):
            raise UsageError(
                f"{config_file}: location {item!r} is not a folder: contractspec reads"
                " filesystem: locations without wildcards; give the folder itself"
                " (contractspec import flyway DIR [DIR...])"
            )
        folder = item.removeprefix("filesystem:")
        locations.append(Location(config_file.parent / folder, folder))
    return locations


def _dialect(url: str | None, path: Path) -> SourceDialect:
    match = _JDBC.match(url or "")
    if match is None:
        return SourceDialect(None, f"{path.name} names no jdbc: url")
    said = f"{path.name}: url jdbc:{match['engine']}:"  # never the rest: it may hold a password
    if match["engine"] not in ENGINES:
        raise ConfigError(
            f"{path}: the url is jdbc:{match['engine']}:, and contractspec migrates"
            " PostgreSQL and SQLite databases"
        )
    return SourceDialect(ENGINES[match["engine"]], said)


def _flag(values: dict[str, Any], key: str, path: Path, default: bool = True) -> bool:
    value = values.get(key, default)
    if isinstance(value, bool):
        return value
    if str(value).strip().lower() in ("true", "false"):
        return str(value).strip().lower() == "true"
    raise UsageError(f"{path}: {key} must be true or false, got {value!r}")


# --- the scripts ----------------------------------------------------------------------


Version = tuple[int, ...]  # Flyway's order of a version: see _order


@dataclass(frozen=True)
class Script:
    path: Path
    shown: str  # the location as given, then the path inside it
    version: tuple[int, ...]  # as written
    description: str

    @property
    def dotted(self) -> str:
        return ".".join(map(str, self.version))


def _order(version: tuple[int, ...]) -> Version:
    """Flyway's comparison: numeric, part by part, trailing zeros ignored (1.0 == 1)."""
    parts = list(version)
    while len(parts) > 1 and parts[-1] == 0:
        parts.pop()
    return tuple(parts)


def _scan(
    locations: list[Location], result: Imported
) -> tuple[dict[Version, Script], dict[Version, Script]]:
    """Versioned (V) and undo (U) scripts of every location, by version; the
    rest of the .sql files is reported."""
    forward: dict[Version, Script] = {}
    undo: dict[Version, Script] = {}
    for location, path in _sql_files(locations):
        shown = (
            f"{location.shown.rstrip('/')}/{path.relative_to(location.path).as_posix()}"
        )
        stem = path.name[: -len(".sql")]
        match = _NAME.match(stem)
        if match is None or match["prefix"] == "B":
            result.notes.append(f"{shown}: not imported: {_not_imported(stem, match)}")
            continue
        version = tuple(int(p) for p in re.split(r"[._]", match["version"]))
        script = Script(path, shown, version, match["desc"])
        target = forward if match["prefix"] == "V" else undo
        if _order(version) in target:
            raise UsageError(
                f"{shown}: version {script.dotted} appears twice (also"
                f" {target[_order(version)].shown}); Flyway refuses the same version twice"
            )
        target[_order(version)] = script
    if not forward:
        shown = ", ".join(location.shown for location in locations)
        raise UsageError(f"{shown}: no V<version>__<description>.sql scripts")
    return forward, undo


def _sql_files(locations: list[Location]) -> Iterator[tuple[Location, Path]]:
    for location in locations:
        if not location.path.is_dir():
            raise UsageError(f"{location.shown}: no such folder")
        for path in walk_files(location.path):
            if path.name.endswith(".sql"):
                yield location, path


def _not_imported(stem: str, match: re.Match[str] | None) -> str:
    if match is not None:  # B<version>__
        return (
            "a baseline migration (Flyway runs it instead of the versions up to"
            f" {match['version'].replace('_', '.')} on an empty database); the"
            " versioned scripts are"
        )
    if _REPEATABLE.match(stem):
        return (
            "a repeatable migration (Flyway reruns it whenever it changes): write it"
            " as a migration of its own, or keep it outside contractspec"
        )
    if _CALLBACK.match(stem):
        return (
            f"a Flyway callback ({stem.split('__')[0]}): contractspec runs no callbacks"
        )
    return "not a Flyway migration name (Flyway skips it too)"


class _Importer:
    def __init__(
        self,
        settings: Settings,
        sources: Sources,
        dialect: Dialect,
        domain: str,
        result: Imported,
    ):
        self.settings, self.sources, self.dialect = settings, sources, dialect
        self.domain, self.result = domain, result

    def chain(
        self, forward: dict[Version, Script], undo: dict[Version, Script]
    ) -> list[Migration]:
        """A migration per version, in Flyway's order, each after the one before."""
        migrations: list[Migration] = []
        for version in sorted(forward):
            previous = migrations[-1].key if migrations else None
            migrations.append(
                self.migration(forward[version], undo.get(version), previous)
            )
        for version in sorted(set(undo) - set(forward)):
            self.result.notes.append(
                f"{undo[version].shown}: an undo script without its V script, not imported"
            )
        return migrations

    def migration(
        self, script: Script, undo: Script | None, previous: str | None
    ) -> Migration:
        stem = f"v{'_'.join(map(str, script.version))}_{slug(script.description)}"
        up = self.steps(script, f"Flyway V{script.dotted}")
        down = None
        if undo is not None:
            down = self.steps(undo, f"undo {script.dotted}")
        else:
            self.result.notes.append(
                f"{script.shown}: no undo script, so version {script.dotted} is irreversible"
            )
        title = script.description.replace("_", " ").strip().capitalize()
        return Migration(
            file_stem=stem,
            name=f"{self.domain}.db.{stem}",
            version=1,
            title=title or f"Version {script.dotted}",
            description=f"Flyway version {script.dotted} ({script.path.name})",
            up=up,
            down=down,
            dependencies=[previous] if previous else [],
            header=f"Imported from Flyway: {script.shown}.",
            down_reason=f"Flyway has no undo script for version {script.dotted}",
        )

    def steps(self, script: Script, label: str) -> list[Step]:
        options = self.script_options(script)
        encoding = str(options.get("encoding") or self.settings.encoding)
        text = self.sources.read(script.path, _python_encoding(encoding))
        conf = script.path.with_name(script.path.name + ".conf")
        in_transaction = _flag(
            options, "executeInTransaction", conf, self.settings.in_transaction
        )
        if _flag(options, "placeholderReplacement", conf, self.settings.placeholders):
            self.result.notes += _placeholder_notes(text, script.shown)
        return script_steps(
            text,
            self.dialect,
            script.shown,
            label,
            self.result.notes,
            in_transaction=in_transaction,
        )

    def script_options(self, script: Script) -> dict[str, str]:
        """The script's own configuration, `<script>.sql.conf`, when it has one."""
        path = script.path.with_name(script.path.name + ".conf")
        if not path.exists():
            return {}
        options = _properties(self.sources.read(path), path)
        if "shouldExecute" in options:
            self.result.notes.append(
                f"{script.shown}.conf: shouldExecute={options['shouldExecute']} is not"
                " evaluated: the script is imported, to run everywhere"
            )
        return options


def _python_encoding(flyway: str) -> str:
    """Flyway's encoding names (UTF-8, ISO_8859_1) as Python's; a UTF-8 byte
    order mark is dropped, as Flyway drops it."""
    name = flyway.strip().lower().replace("-", "_")
    return "utf-8-sig" if name in ("utf_8", "utf8") else name


def _placeholder_notes(text: str, shown: str) -> list[str]:
    notes = []
    for number, line in enumerate(text.splitlines(), start=1):
        for name in _PLACEHOLDER.findall(line):
            whose = (
                "Flyway's own placeholder"
                if name.startswith("flyway:")
                else "placeholder"
            )
            notes.append(
                f"{shown}:{number}: {whose} ${{{name}}}: Flyway replaces it when it"
                " runs the script; the spec keeps it as written: write its value there"
            )
    return notes
