"""The fleets a project declares: `[tool.contractspec.fleets.NAME]`, the
targets (databases, or schemas of one PostgreSQL database) that one
`migrate ... --fleet NAME` runs over, and the waves it runs them in.

Only their shape is read here, with the config (docs/fleets.md): which
targets they are is asked when a command runs one (commands/fleet/targets.py),
since a fleet may name variables or query a database. Secrets never sit in
the config: a URL written in it with a password is refused; `env:VAR` reads a
URL from the environment, and libpq reads PGPASSWORD and ~/.pgpass.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from . import runtime

FLEETS = "fleets"  # [tool.contractspec.fleets.<name>]
# What lists the targets, one of: a key, or a key and the one it needs.
SOURCES = {"urls": None, "urls_file": None, "query": "catalog", "schemas": "database"}
FLEET_KEYS = (
    *("urls", "urls_file", "query", "catalog", "database", "schemas"),
    *("waves", "groups"),
)
ENV_PREFIX = "env:"  # env:VAR: the URL is in the variable VAR
REST = "rest"  # the wave of every target no earlier wave took
_PERCENT = re.compile(r"([1-9][0-9]?|100)%")
_COUNT = re.compile(r"[1-9][0-9]*")


@dataclass(frozen=True)
class FleetSpec:
    """One fleet as the config declares it. Exactly one way to list its
    targets: urls, urls_file, query on catalog, or schemas of database
    (a list of names, or a query returning them)."""

    name: str
    urls: tuple[str, ...] = ()
    urls_file: str | None = None
    query: str | None = None
    catalog: str | None = None
    database: str | None = None
    schemas: tuple[str, ...] | str | None = None
    # "canary" (a group), "10%" (of the fleet), "100" (targets), "rest".
    waves: tuple[str, ...] = (REST,)
    groups: dict[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def source(self) -> str:
        """How the targets are listed: urls, urls_file, query or schemas."""
        return next(key for key in SOURCES if getattr(self, key))


# A problem: (the table's header, the key in it, the message), placed by config.
Problem = tuple[str, str, str]


def wave_kind(wave: str) -> str:
    """percent, count, rest or group."""
    if _PERCENT.fullmatch(wave):
        return "percent"
    if _COUNT.fullmatch(wave):
        return "count"
    return REST if wave == REST else "group"


def fleet_problems(value: object) -> list[Problem]:
    """Everything wrong with [tool.contractspec.fleets], each at its key."""
    top = "[tool.contractspec]"
    if not isinstance(value, dict):
        return [(top, FLEETS, "fleets must be a table of fleets")]
    problems: list[Problem] = []
    for name, table in value.items():
        header = f"[tool.contractspec.{FLEETS}.{name}]"
        if not isinstance(table, dict):
            problems.append(
                (
                    f"[tool.contractspec.{FLEETS}]",
                    name,
                    f"fleet {name!r} must be a table",
                )
            )
            continue
        problems += [(header, *p) for p in _table_problems(name, table)]
    return problems


def _table_problems(name: str, table: dict[str, object]) -> list[tuple[str, str]]:
    problems: list[tuple[str, str]] = []
    for key, item in table.items():
        problem = _key_problem(key, item, table)
        if problem:
            problems.append((key, problem))
    given = [key for key in SOURCES if key in table]
    if len(given) != 1:
        ways = "urls, urls_file, query (with catalog) or schemas (with database)"
        found = f" (it has {', '.join(given)})" if given else ""
        problems.append(
            (
                given[-1] if given else name,
                f"fleet {name!r} lists its targets by exactly one of {ways}{found}",
            )
        )
    for key, needs in SOURCES.items():
        if needs and (key in table) != (needs in table):
            missing, present = (needs, key) if key in table else (key, needs)
            problems.append((present, f"{present} needs {missing} in fleet {name!r}"))
    return problems


def _key_problem(key: str, item: object, table: dict[str, object]) -> str | None:
    if key not in FLEET_KEYS:
        return f"unknown key {key!r}; known keys: {', '.join(FLEET_KEYS)}"
    if key in ("urls", "waves") or (key == "schemas" and not isinstance(item, str)):
        if (
            not isinstance(item, list)
            or not item
            or not all(isinstance(v, str) and v.strip() for v in item)
        ):
            return f"{key} must be a non-empty list of non-empty strings" + (
                ", or a query returning schema names" if key == "schemas" else ""
            )
        if len(set(item)) != len(item):
            return f"{key} lists the same entry twice"
        if key == "urls":
            return next(filter(None, map(_secret_problem, item)), None)
        if key == "waves":
            return _waves_problem(item, table.get("groups"))
        return None
    if key == "groups":
        if not isinstance(item, dict) or not all(
            isinstance(v, list)
            and v
            and all(isinstance(t, str) and t.strip() for t in v)
            for v in item.values()
        ):
            return "groups must be a table of names, each a non-empty list of targets"
        clash = [g for g in item if wave_kind(g) != "group"]
        if clash:
            return f"group {clash[0]!r} is named like a wave size; give it a name"
        return None
    if not isinstance(item, str) or not item.strip():
        return f"{key} must be a non-empty string"
    if key in ("catalog", "database"):
        return _secret_problem(item)
    return None


def _secret_problem(url: str) -> str | None:
    """A URL written in the config must hold no password."""
    if url.startswith(ENV_PREFIX) or not runtime.database_secrets(url):
        return None
    shown = runtime.redact_url(url, runtime.database_secrets(url))
    return (
        f"{shown} holds a password: keep secrets out of the config; write"
        " env:VARIABLE (a variable holding the URL), or let libpq read"
        " PGPASSWORD or ~/.pgpass"
    )


def _waves_problem(waves: list[str], groups: object) -> str | None:
    named = groups if isinstance(groups, dict) else {}
    for index, wave in enumerate(waves):
        kind = wave_kind(wave)
        if kind == REST and index != len(waves) - 1:
            return "rest takes every target left: it can only be the last wave"
        if kind == "group" and wave not in named:
            return (
                f"wave {wave!r} is not a group of this fleet, a percentage (10%),"
                " a count (100) or rest"
            )
    return None


def parse_fleets(value: dict[str, dict[str, object]]) -> dict[str, FleetSpec]:
    """The checked [tool.contractspec.fleets] table as FleetSpecs."""
    fleets = {}
    for name, table in value.items():
        schemas = table.get("schemas")
        groups = table.get("groups") or {}
        assert isinstance(groups, dict)
        fleets[name] = FleetSpec(
            name=name,
            urls=tuple(_strings(table.get("urls"))),
            urls_file=_text(table.get("urls_file")),
            query=_text(table.get("query")),
            catalog=_text(table.get("catalog")),
            database=_text(table.get("database")),
            schemas=(
                schemas
                if isinstance(schemas, str)
                else tuple(_strings(schemas)) or None
            ),
            waves=tuple(_strings(table.get("waves"))) or (REST,),
            groups={
                group: tuple(_strings(targets)) for group, targets in groups.items()
            },
        )
    return fleets


def _strings(value: object) -> list[str]:
    return [str(v) for v in value] if isinstance(value, list) else []


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None
