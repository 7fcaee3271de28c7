"""`contractspec import sqitch DIR`: a Sqitch project's changes as specs.

Read as Sqitch reads it: sqitch.conf (`[core]`, then `[engine "<engine>"]`,
for the engine, top_dir, plan_file, deploy_dir, revert_dir, verify_dir and
extension), the plan's pragmas, changes, tags and dependencies, and a
reworked change's earlier scripts by App::Sqitch::Plan::Change's
`path_segments`: each of its `rework_tags` in turn, and the first whose
`deploy/<name>@<tag>.sql` exists names the deploy, revert and verify scripts
alike (none: the first tag's name, which then fails).
"""

from __future__ import annotations

import configparser
import re
from dataclasses import dataclass, field
from pathlib import Path

from ...config import load_config
from ...errors import ConfigError, UsageError
from ...sql import Dialect, parse
from ..create import Step
from .common import (
    Imported,
    Migration,
    SourceDialect,
    Sources,
    domain_name,
    project_dialect,
    slug,
)
from .scripts import script_steps, strip_transaction
from .writing import write_migrations

ENGINES: dict[str, Dialect] = {"pg": "postgresql", "sqlite": "sqlite"}

# sqitch-plan: `[+]name [deps] 2025-01-10T09:00:00Z Planner Name <p@host> # note`,
# `@tag 2025-01-10T09:00:00Z Planner Name <p@host> # note`.
_LINE = re.compile(
    r"^(?P<tag>@)?(?P<op>[+-])?\s*(?P<name>[^\s:@#\[\]]+)\s*"
    r"(?:\[(?P<deps>[^\]]*)\]\s*)?(?P<rest>.*)$"
)
# sqitch-dependency: `[!][project:](change[@tag] | @tag | id)`.
_DEPENDENCY = re.compile(
    r"^(?P<conflict>!)?(?:(?P<project>[^\s:@#]+):)?"
    r"(?:(?P<id>[0-9a-f]{40})|(?P<change>[^\s:@#]+)?(?:@(?P<tag>[^\s:@#]+))?)$"
)


def import_sqitch(
    directory: Path,
    project_dir: Path | None = None,
    *,
    domain: str | None = None,
    owners: list[str] | None = None,
) -> Imported:
    """Import a Sqitch project: DIR/sqitch.conf, its plan and deploy/revert/verify scripts."""
    config = load_config(project_dir)
    sources = Sources([directory], config, "the Sqitch project")
    layout = read_layout(directory, sources)
    dialect = project_dialect(config, layout.dialect, "Sqitch")
    plan = read_plan(layout.plan_file, sources)
    result = Imported()
    domain = domain_name(domain, plan.project or "app")
    importer = _Importer(plan, layout, sources, dialect, domain, result)
    migrations = [importer.migration(change) for change in plan.changes]
    write_migrations(migrations, config, domain, owners, result)
    return result


# --- sqitch.conf ------------------------------------------------------------------


@dataclass(frozen=True)
class Layout:
    """Where a Sqitch project keeps its plan and scripts, and its engine."""

    plan_file: Path
    dirs: dict[str, Path]  # deploy, revert, verify
    extension: str
    dialect: SourceDialect


def read_layout(directory: Path, sources: Sources) -> Layout:
    conf_path = directory / "sqitch.conf"
    conf = _read_conf(conf_path, sources) if conf_path.exists() else {}
    engine, said_by = _engine(conf)
    if engine is not None and engine not in ENGINES:
        raise ConfigError(
            f"{conf_path}: engine {engine!r} ({said_by}): contractspec migrates"
            " PostgreSQL (pg) and SQLite (sqlite) databases"
        )

    def setting(key: str, default: str) -> str:
        for section in (f"engine.{engine}", "core"):
            value = conf.get(section, {}).get(key)
            if value:
                return value
        return default

    top = directory / setting("top_dir", ".")
    return Layout(
        plan_file=directory / setting("plan_file", str(top / "sqitch.plan")),
        dirs={
            kind: directory / setting(f"{kind}_dir", str(top / kind))
            for kind in ("deploy", "revert", "verify")
        },
        extension=setting("extension", "sql"),
        dialect=SourceDialect(ENGINES.get(engine or ""), said_by),
    )


def _read_conf(path: Path, sources: Sources) -> dict[str, dict[str, str]]:
    """sqitch.conf, a Git-style config: `[section "sub"]` → "section.sub"."""
    parser = configparser.ConfigParser(
        interpolation=None,
        strict=False,
        allow_no_value=True,
        inline_comment_prefixes=("#", ";"),
        default_section="\0",
    )
    # Git indents keys with tabs, which configparser would read as continuations.
    text = "\n".join(line.strip() for line in sources.read(path).splitlines())
    try:
        parser.read_string(text, str(path))
    except configparser.Error as exc:
        raise UsageError(f"{path}: cannot read: {exc}") from None
    return {
        re.sub(r'\s+"(.*)"$', r".\1", section.strip()): {
            key: (value or "").strip().strip('"')
            for key, value in parser[section].items()
        }
        for section in parser.sections()
    }


def _engine(conf: dict[str, dict[str, str]]) -> tuple[str | None, str]:
    """The engine sqitch.conf names, and where: [core] engine, else the engine
    of [core] target's URI (`db:pg:...`), else the one [engine "..."] section."""
    core = conf.get("core", {})
    if core.get("engine"):
        return core["engine"], f"sqitch.conf [core] engine = {core['engine']}"
    target = core.get("target", "")
    uri = (
        target
        if target.startswith("db:")
        else conf.get(f"target.{target}", {}).get("uri", "")
    )
    if uri.startswith("db:") and uri.count(":") >= 2:
        return uri.split(":")[1], f"sqitch.conf [core] target {target}"
    engines = [s.removeprefix("engine.") for s in conf if s.startswith("engine.")]
    if len(engines) == 1:
        return engines[0], f'sqitch.conf [engine "{engines[0]}"]'
    if not conf:
        return None, "no sqitch.conf"
    return None, "sqitch.conf names no [core] engine"


# --- sqitch.plan ------------------------------------------------------------------


@dataclass(eq=False)  # one line of the plan each: compared by identity
class Change:
    """One change line of the plan (a reworked change has a line per version)."""

    line: int
    name: str
    version: int  # 1, then one more each time the change is reworked
    dependencies: list[str]  # [requires !conflicts], as written
    rest: str  # `timestamp planner <email>`
    note: str
    tags: list[str] = field(default_factory=list)  # the tags right after it
    rework_tags: list[str] = field(default_factory=list)  # in Sqitch's order
    reworked_at: int | None = None  # the line of the next version


@dataclass
class Plan:
    path: Path
    project: str | None
    changes: list[Change]
    tagged: dict[str, Change]  # tag → the change it tags


def read_plan(path: Path, sources: Sources) -> Plan:
    if not path.exists():
        raise UsageError(f"{path}: no such file (a Sqitch project has a sqitch.plan)")
    plan = Plan(path, None, [], {})
    since_tag: dict[str, int] = {}  # change → its line, since the last tag
    for number, raw in enumerate(sources.read(path).splitlines(), start=1):
        line, _, note = (part.strip() for part in raw.partition("#"))
        if not line:
            continue
        if line.startswith("%"):
            key, _, value = line[1:].partition("=")
            if key.strip() == "project":
                plan.project = value.strip()
            continue
        match = _LINE.match(line)
        if match is None or match["op"] == "-":
            raise UsageError(f"{path}:{number}:1: cannot read this plan line")
        if match["tag"]:
            _add_tag(plan, match["name"], path, number)
            since_tag.clear()
        else:
            _add_change(plan, match, note, number, since_tag)
    return plan


def _add_tag(plan: Plan, tag: str, path: Path, number: int) -> None:
    if not plan.changes:
        raise UsageError(f"{path}:{number}:1: tag @{tag} comes before any change")
    if tag in plan.tagged:
        raise UsageError(f"{path}:{number}:1: tag @{tag} is declared twice")
    plan.changes[-1].tags.append(tag)
    plan.tagged[tag] = plan.changes[-1]


def _add_change(
    plan: Plan, match: re.Match[str], note: str, number: int, since_tag: dict[str, int]
) -> None:
    name = match["name"]
    if name in since_tag:
        raise UsageError(
            f"{plan.path}:{number}:1: {name} is reworked without a tag since line"
            f" {since_tag[name]} (Sqitch needs a tag between a change and its rework)"
        )
    since_tag[name] = number
    earlier = [c for c in plan.changes if c.name == name]
    if earlier:
        _mark_reworked(plan, earlier[-1], number)
    change = Change(
        number,
        name,
        len(earlier) + 1,
        (match["deps"] or "").split(),
        match["rest"],
        note,
    )
    plan.changes.append(change)


def _mark_reworked(plan: Plan, previous: Change, number: int) -> None:
    """App::Sqitch::Plan::_parse: the tags of each change from the latest back
    to the reworked one, then the reworked change's own."""
    after = plan.changes[plan.changes.index(previous) + 1 :]
    for change in reversed(after):
        previous.rework_tags += change.tags
    previous.rework_tags += previous.tags
    previous.reworked_at = number


# --- changes as migrations ----------------------------------------------------------


class _Importer:
    def __init__(
        self,
        plan: Plan,
        layout: Layout,
        sources: Sources,
        dialect: Dialect,
        domain: str,
        result: Imported,
    ):
        self.plan, self.layout, self.sources = plan, layout, sources
        self.dialect, self.domain, self.result = dialect, domain, result
        self.ordinal: dict[str, int] = {}  # change → its place among the names
        for change in plan.changes:
            self.ordinal.setdefault(change.name, len(self.ordinal) + 1)

    def spec_name(self, change: str) -> str:
        return f"{self.domain}.db.{self.ordinal[change]:04d}_{slug(change)}"

    def migration(self, change: Change) -> Migration:
        segments = self.script_segments(change)
        shown = "/".join(segments)
        name = self.spec_name(change.name)
        up = self.deploy_steps(change, segments)
        up += self.verify_steps(change, segments)
        down = self.revert_steps(change, segments)
        if down is None:
            self.result.notes.append(
                f"{change.name}: no revert script, so {name}.v{change.version} is irreversible"
            )
        return Migration(
            file_stem=name.split(".")[-1]
            + (f"_v{change.version}" if change.version > 1 else ""),
            name=name,
            version=change.version,
            title=change.note or change.name,
            description=f"Sqitch change {change.name} of project"
            f" {self.plan.project or '?'}"
            + (f" ({change.rest.split()[0]})" if change.rest else ""),
            up=up,
            down=down,
            dependencies=self.dependencies(change),
            header=f"Imported from Sqitch: {self.plan.path.name} line {change.line},"
            f" change {change.name} ({shown}).",
            tags=change.tags,
            down_reason=f"Sqitch has no revert/{shown}",
        )

    def script_segments(self, change: Change) -> list[str]:
        """App::Sqitch::Plan::Change::path_segments: the change's path, and for a
        reworked change the first rework tag whose deploy script exists."""
        *folders, base = change.name.split("/")
        extension = "." + self.layout.extension
        if not change.rework_tags:
            return [*folders, base + extension]
        tried = [f"{base}@{tag}{extension}" for tag in change.rework_tags]
        deploy = self.layout.dirs["deploy"].joinpath(*folders)
        for name in tried:
            if (deploy / name).exists():
                return [*folders, name]
        raise UsageError(
            f"{self.plan.path}:{change.line}:1: {change.name} is reworked at line"
            f" {change.reworked_at}, but {deploy} has none of the scripts Sqitch"
            f" tries for it: {', '.join(tried)}"
        )

    def script(self, kind: str, segments: list[str]) -> tuple[str, str] | None:
        """(text, shown path) of deploy/, revert/ or verify/<segments>; None when absent."""
        path = self.layout.dirs[kind].joinpath(*segments)
        if not path.exists():
            return None
        return self.sources.read(path), f"{kind}/{'/'.join(segments)}"

    def deploy_steps(self, change: Change, segments: list[str]) -> list[Step]:
        found = self.script("deploy", segments)
        if found is None:
            path = self.layout.dirs["deploy"].joinpath(*segments)
            raise UsageError(
                f"{self.plan.path}:{change.line}:1: {change.name} has no deploy"
                f" script: {path} does not exist"
            )
        return self.steps(*found, f"deploy {change.name}")

    def revert_steps(self, change: Change, segments: list[str]) -> list[Step] | None:
        found = self.script("revert", segments)
        return None if found is None else self.steps(*found, f"revert {change.name}")

    def steps(self, text: str, shown: str, label: str) -> list[Step]:
        return script_steps(text, self.dialect, shown, label, self.result.notes)

    def verify_steps(self, change: Change, segments: list[str]) -> list[Step]:
        """The verify script as one validation that fails exactly when it does:
        its statements as written (less its BEGIN/ROLLBACK), expect="no_error"."""
        found = self.script("verify", segments)
        if found is None:
            self.result.notes.append(
                f"{change.name}: no verify script: nothing checks what"
                f" {self.spec_name(change.name)}.v{change.version} deployed"
            )
            return []
        text, shown = found
        sql = strip_transaction(text, self.dialect)
        if not _has_statements(sql, self.dialect):
            self.result.notes.append(
                f"{shown} has no statements (Sqitch's template): no verification imported"
            )
            return []
        return [
            Step("validation", sql, f"sqitch verify {change.name}", expect="no_error")
        ]

    def dependencies(self, change: Change) -> list[str]:
        keys = []
        for written in change.dependencies:
            key = self.dependency(change, written)
            if key is not None and key not in keys:
                keys.append(key)
        return keys

    def dependency(self, change: Change, written: str) -> str | None:
        """The exact key a `[dependency]` meant, when it is one we import."""
        where = f"sqitch.plan:{change.line}: {change.name}"
        match = _DEPENDENCY.match(written)
        if match is None or not (match["id"] or match["change"] or match["tag"]):
            raise UsageError(
                f"{self.plan.path}:{change.line}:1: {written!r} is not a Sqitch dependency"
            )
        if match["conflict"]:
            self.result.notes.append(
                f"{where} conflicts with {written[1:]}: reported, not enforced"
                " (contractspec has no conflicts)"
            )
            return None
        if match["project"] and match["project"] != self.plan.project:
            self.result.notes.append(
                f"{where} requires {written} from another project: not imported"
            )
            return None
        if match["id"]:
            self.result.notes.append(
                f"{where} requires change id {match['id']}: not imported"
            )
            return None
        target = self.resolve(change, match["change"], match["tag"])
        if target is None:
            raise UsageError(
                f"{self.plan.path}:{change.line}:1: {change.name} requires {written},"
                " which is not earlier in the plan"
            )
        if target.name == change.name:  # a version depends on the one before anyway
            return None
        return f"{self.spec_name(target.name)}.v{target.version}"

    def resolve(
        self, change: Change, name: str | None, tag: str | None
    ) -> Change | None:
        """The version of `name` current at `@tag` (the tagged change itself
        when no name is given), or just before `change`."""
        before = self.plan.changes[: self.plan.changes.index(change)]
        if tag is not None:
            tagged = self.plan.tagged.get(tag)
            if tagged is None or tagged not in before:
                return None
            before = before[: before.index(tagged) + 1]
            name = name or tagged.name
        return next((c for c in reversed(before) if c.name == name), None)


def _has_statements(sql: str, dialect: Dialect) -> bool:
    parsed = parse(sql, dialect)
    return bool(parsed.statements) or parsed.error is not None
