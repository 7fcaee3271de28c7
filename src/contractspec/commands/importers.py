"""`contractspec import sqitch|flyway DIR`: another tool's migrations as specs.

Each change (Sqitch) or versioned script (Flyway) becomes one spec file,
written with the project's spec template and black, named by our
`domain.db.slug` convention. The SQL is copied into the spec, so the spec is
what is reviewed from then on; the scripts' own transaction statements are
dropped, as every migration already runs in one transaction. What cannot be
expressed (Sqitch conflicts, cross-project dependencies, Flyway repeatable
scripts...) is reported, never silently lost. Nothing is written unless
every spec can be, and the result loads and fits the project's graph.

Then `contractspec build --all`, and either `migrate up` (a new database) or
`migrate baseline --all` (a database the old tool migrated).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from ..config import load_config
from ..errors import SpecError, UsageError
from ..sql import Dialect, parse
from . import open_project
from .create import Step, default_owner, render_spec

# Statements that open or close the whole transaction (not savepoints, which
# stay for build to refuse where a person sees them): contractspec owns it.
_WHOLE_TRANSACTION = re.compile(
    r"(BEGIN|START|COMMIT|END|ROLLBACK|ABORT)\b(?!\s+TO\b)", re.IGNORECASE
)


@dataclass
class Imported:
    keys: list[str] = field(default_factory=list)
    paths: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # reported, not imported


@dataclass
class _Migration:
    """One spec to write."""

    file_stem: str
    name: str
    version: int
    title: str
    description: str
    up: list[Step]
    down: list[Step] | None
    dependencies: list[str]
    header: str
    tags: list[str] = field(default_factory=list)
    down_reason: str | None = None  # why there is no down plan, as its comment

    @property
    def key(self) -> str:
        return f"{self.name}.v{self.version}"


def strip_transaction(sql: str, dialect: Dialect) -> str:
    """The script without its own BEGIN/COMMIT/ROLLBACK statements, found by
    the dialect's parser (a `COMMIT;` inside a string or a function body stays)."""
    kept, last = [], 0
    for statement in parse(sql, dialect).statements:
        if statement.transaction_control and _WHOLE_TRANSACTION.match(statement.text):
            end = statement.end + (sql[statement.end : statement.end + 1] == ";")
            kept.append(sql[last : statement.start])
            last = end
    kept.append(sql[last:])
    return re.sub(r"\n\s*\n(\s*\n)+", "\n\n", "".join(kept)).strip() + "\n"


def verify_steps(sql: str, dialect: Dialect, label: str) -> list[Step]:
    """A verify script as validation steps that pass when its queries run.

    Each query becomes `SELECT COUNT(*) >= 0 FROM (query) AS verify`: one
    read-only statement whose verdict is true whatever rows the query finds,
    and which fails when the query does (a missing column, a division by
    zero). A script of anything but queries runs as written, then SELECT 1."""
    parsed = parse(sql, dialect)
    queries = [s for s in parsed.statements if not s.transaction_control]
    if parsed.error is not None or not queries or not all(s.read_only for s in queries):
        script = strip_transaction(sql, dialect).rstrip().rstrip(";")
        return [
            Step("validation", f"{script};\nSELECT 1\n", f"sqitch verify {label} runs")
        ]
    return [
        Step(
            "validation",
            f"SELECT COUNT(*) >= 0 FROM (\n{query.text.rstrip().rstrip(';')}\n) AS verify\n",
            f"sqitch verify {label} runs"
            + (f" ({number}/{len(queries)})" if len(queries) > 1 else ""),
        )
        for number, query in enumerate(queries, start=1)
    ]


def slug(text: str) -> str:
    """A name segment: lower case letters, digits and single underscores."""
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_") or "change"


def _read(path: Path, shown: str) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UsageError(f"{shown}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"{shown}: cannot read: {exc}") from None


def _domain(value: str | None, fallback: str) -> str:
    domain = slug(value or fallback)
    if not domain[0].isalpha():
        domain = "m_" + domain
    return domain


# --- Sqitch ---------------------------------------------------------------------

# `name [deps] 2025-01-10T09:00:00Z Planner Name <planner@host> # note`
_SQITCH_CHANGE = re.compile(
    r"^(?P<name>[^\s\[\]@#%:][^\s\[\]@#:]*)\s*(?:\[(?P<deps>[^\]]*)\])?\s*(?P<rest>.*)$"
)
_SQITCH_TAG = re.compile(r"^@(?P<tag>\S+)\s*(?P<rest>.*)$")


@dataclass
class _PlanEntry:
    """One line of sqitch.plan: a change, or a tag (of the change before it)."""

    line: int
    name: str
    is_tag: bool = False
    requires: list[str] = field(default_factory=list)  # [deps], `!conflicts` too
    rest: str = ""  # `time planner <email> # note`


def _read_plan(plan_path: Path) -> tuple[str | None, list[_PlanEntry]]:
    """The %project name and the entries of a sqitch.plan, in order."""
    project_name, entries = None, []
    text = _read(plan_path, str(plan_path))
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("%"):
            key, _, value = line[1:].partition("=")
            if key.strip() == "project":
                project_name = value.strip()
            continue
        tag = _SQITCH_TAG.match(line)
        if tag:
            entries.append(_PlanEntry(number, tag["tag"], is_tag=True))
            continue
        change = _SQITCH_CHANGE.match(line.lstrip("+"))
        if change is None or line.startswith("-"):
            raise UsageError(f"{plan_path}:{number}:1: cannot read this plan line")
        requires = (change["deps"] or "").split()
        entries.append(
            _PlanEntry(number, change["name"], False, requires, change["rest"])
        )
    return project_name, entries


def import_sqitch(
    directory: Path,
    project_dir: Path | None = None,
    *,
    domain: str | None = None,
    owners: list[str] | None = None,
) -> Imported:
    """Import a Sqitch project: DIR/sqitch.plan with deploy/, revert/, verify/."""
    plan_path = directory / "sqitch.plan"
    project_name, entries = _read_plan(plan_path)
    dialect = load_config(project_dir).dialect
    result = Imported()
    domain = _domain(domain, project_name or "app")
    owners = owners or [default_owner()]
    ordinal: dict[str, int] = {}  # change -> its place among the plan's changes
    for entry in entries:
        if not entry.is_tag:
            ordinal.setdefault(entry.name, len(ordinal) + 1)

    def spec_name(change: str) -> str:
        return f"{domain}.db.{ordinal[change]:04d}_{slug(change)}"

    versions: dict[str, int] = {}  # change -> versions seen so far
    at_tag: dict[str, dict[str, int]] = {}  # tag -> change -> version current then
    migrations: list[_Migration] = []
    for index, entry in enumerate(entries):
        if entry.is_tag:
            at_tag[entry.name] = dict(versions)
            if migrations:
                migrations[-1].tags.append(entry.name)
            continue
        change, number, after = entry.name, entry.line, entries[index + 1 :]
        version = versions[change] = versions.get(change, 0) + 1
        # A reworked change's earlier versions keep their scripts as
        # `<name>@<the first tag after it>.sql`.
        script = change
        if any(e.name == change and not e.is_tag for e in after):
            tags = [e.name for e in after if e.is_tag]
            if not tags:
                raise UsageError(
                    f"{plan_path}:{number}:1: {change} is reworked later but no tag follows it"
                )
            script = f"{change}@{tags[0]}"
        name = spec_name(change)
        dependencies = []
        for dep in entry.requires:
            if dep.startswith("!"):
                result.notes.append(
                    f"sqitch.plan:{number}: {change} conflicts with {dep[1:]}: reported, not"
                    " enforced (contractspec has no conflicts)"
                )
                continue
            if ":" in dep:
                result.notes.append(
                    f"sqitch.plan:{number}: {change} requires {dep} from another project:"
                    " not imported"
                )
                continue
            dep_name, _, dep_tag = dep.partition("@")
            known = at_tag.get(dep_tag) if dep_tag else versions
            if known is None or dep_name not in known:
                raise UsageError(
                    f"{plan_path}:{number}:1: {change} requires {dep}, which is not"
                    " earlier in the plan"
                )
            if dep_name != change:  # a version depends on the one before it anyway
                dependencies.append(f"{spec_name(dep_name)}.v{known[dep_name]}")
        when, _, note = (part.strip() for part in entry.rest.partition(" #"))
        deploy = _sqitch_file(directory, "deploy", script)
        if deploy is None:
            raise UsageError(f"{directory / 'deploy' / script}.sql: no such file")
        up = [Step("schema", strip_transaction(deploy, dialect), f"deploy {change}")]
        verify = _sqitch_file(directory, "verify", script)
        if verify is not None:
            up += verify_steps(verify, dialect, script)
        revert = _sqitch_file(directory, "revert", script)
        if revert is None:
            result.notes.append(
                f"{change}: no revert script, so {name}.v{version} is irreversible"
            )
        migrations.append(
            _Migration(
                file_stem=name.split(".")[-1] + (f"_v{version}" if version > 1 else ""),
                name=name,
                version=version,
                title=note or change,
                description=f"Sqitch change {change} of project {project_name or '?'} ({when})",
                up=up,
                down=(
                    None
                    if revert is None
                    else [
                        Step(
                            "schema",
                            strip_transaction(revert, dialect),
                            f"revert {change}",
                        )
                    ]
                ),
                dependencies=dependencies,
                header=f"Imported from Sqitch: {plan_path.name} line {number}, change {script}.",
                down_reason=f"Sqitch has no revert/{script}.sql",
            )
        )
    _write(migrations, project_dir, domain, owners, result)
    return result


def _sqitch_file(directory: Path, kind: str, script: str) -> str | None:
    """The text of deploy/, revert/ or verify/<script>.sql, None when there is none."""
    path = directory / kind / f"{script}.sql"
    return _read(path, str(path)) if path.is_file() else None


# --- Flyway ---------------------------------------------------------------------

_FLYWAY = re.compile(
    r"^(?P<prefix>[VU])(?P<version>[0-9]+(?:[._][0-9]+)*)__(?P<desc>.+)\.sql$"
)


def _flyway_version(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.split(r"[._]", text))


def import_flyway(
    directory: Path,
    project_dir: Path | None = None,
    *,
    domain: str | None = None,
    owners: list[str] | None = None,
) -> Imported:
    """Import a Flyway folder: V<version>__<desc>.sql in version order, U... as undo."""
    if not directory.is_dir():
        raise UsageError(f"{directory}: no such folder")
    result = Imported()
    forward: dict[tuple[int, ...], Path] = {}
    undo: dict[tuple[int, ...], Path] = {}
    for path in sorted(directory.rglob("*.sql")):
        shown = path.relative_to(directory).as_posix()
        match = _FLYWAY.match(path.name)
        if path.name.startswith("R__"):
            result.notes.append(
                f"{shown}: a repeatable migration, not imported (write it as a"
                " migration of its own, or keep it outside contractspec)"
            )
            continue
        if match is None:
            result.notes.append(f"{shown}: not a Flyway migration name, not imported")
            continue
        version = _flyway_version(match["version"])
        target = forward if match["prefix"] == "V" else undo
        if version in target:
            raise UsageError(
                f"{shown}: version {match['version']} appears twice"
                f" (also {target[version].relative_to(directory).as_posix()})"
            )
        target[version] = path
    for version in sorted(set(undo) - set(forward)):
        result.notes.append(
            f"{undo[version].name}: an undo script without its V script, not imported"
        )
    domain = _domain(domain, "app")
    owners = owners or [default_owner()]
    dialect = load_config(project_dir).dialect
    migrations: list[_Migration] = []
    for version in sorted(forward):
        path = forward[version]
        match = _FLYWAY.match(path.name)
        assert match is not None
        dotted = ".".join(str(part) for part in version)
        stem = f"v{'_'.join(str(part) for part in version)}_{slug(match['desc'])}"
        sql = strip_transaction(_read(path, str(path)), dialect)
        down = None
        if version in undo:
            down = [
                Step(
                    "schema",
                    strip_transaction(
                        _read(undo[version], str(undo[version])), dialect
                    ),
                    f"undo {dotted}",
                )
            ]
        else:
            result.notes.append(
                f"{path.name}: no undo script, so version {dotted} is irreversible"
            )
        migrations.append(
            _Migration(
                file_stem=stem,
                name=f"{domain}.db.{stem}",
                version=1,
                title=match["desc"].replace("_", " ").strip().capitalize(),
                description=f"Flyway version {dotted} ({path.name})",
                up=[Step("schema", sql, f"Flyway V{dotted}")],
                down=down,
                dependencies=[migrations[-1].key] if migrations else [],
                header=f"Imported from Flyway: {path.relative_to(directory).as_posix()}.",
                down_reason=f"Flyway has no undo script for version {dotted}",
            )
        )
    if not migrations:
        raise UsageError(f"{directory}: no V<version>__<description>.sql scripts")
    _write(migrations, project_dir, domain, owners, result)
    return result


# --- writing ---------------------------------------------------------------------


def _write(
    migrations: list[_Migration],
    project_dir: Path | None,
    domain: str,
    owners: list[str],
    result: Imported,
) -> None:
    """Write every spec, or none: refused when a file or a name exists already,
    removed again when the result does not load."""
    project = open_project(project_dir)
    folder = project.config.specs_dir / domain
    taken = [
        m.key
        for m in migrations
        if m.name in {spec.name for spec in project.registry.list()}
    ]
    existing = [
        project.config.relative(folder / f"{m.file_stem}.py")
        for m in migrations
        if (folder / f"{m.file_stem}.py").exists()
    ]
    if taken or existing:
        raise UsageError(
            "nothing imported: "
            + "; ".join(
                ([f"already registered: {', '.join(taken)}"] if taken else [])
                + ([f"already there: {', '.join(existing)}"] if existing else [])
            )
            + " (import into a fresh --domain, or remove them first)"
        )
    sources = [
        render_spec(
            name=m.name,
            version=m.version,
            title=m.title,
            description=m.description,
            domain=domain,
            owners=owners,
            tags=m.tags,
            stability="stable",
            up=m.up,
            down=m.down,
            dependencies=m.dependencies,
            header=m.header,
            down_reason=m.down_reason,
        )
        for m in migrations
    ]
    folder.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    try:
        for migration, source in zip(migrations, sources, strict=True):
            path = folder / f"{migration.file_stem}.py"
            path.write_text(source, encoding="utf-8")
            written.append(path)
        open_project(project_dir)  # every spec loads, validates, fits the graph
    except (SpecError, OSError):
        for path in written:
            path.unlink(missing_ok=True)
        raise
    result.keys = [m.key for m in migrations]
    result.paths = [project.config.relative(p) for p in written]
