"""The migration spec model (standard library only).

A spec file builds one ``MigrationSpec`` from these classes. The loader reads
spec files statically and constructs the same objects, so the model is the
single definition of what a spec is; ``validate`` is the single definition of
what a *valid* spec is.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, ClassVar, cast

STABILITIES = ("idea", "in_creation", "experimental", "beta", "stable", "deprecated")

# `boundedContext.namespace.timestamp_slug`: dotted segments of letters, digits
# and underscores; the first starts with a letter.
NAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_]*(\.[A-Za-z0-9_]+)+$")
# A dependency: a bare name, or an exact key `name.vN`.
KEY_RE = re.compile(r"^(?P<name>.+)\.v(?P<version>[0-9]+)$")
# A harness file is named `name__with__dots__vN.py`; file systems allow 255
# bytes a name, and Python's `__pycache__/<module>.cpython-3NN.pyc` needs
# 14 more than the `.py` name.
MAX_FILE_NAME = 255 - 14
# The largest number a spec may give: PostgreSQL's `integer`, which the history
# table's version and the events' attempt are, and the most statement_timeout
# and lock_timeout take (in ms). Checked at load, so that no number a spec
# holds fails at run time (a sleep, a timer or a column that can't take it).
MAX_NUMBER = 2_147_483_647

# What `migrate create` writes as the first step's SQL; `lint` finds it left in.
PLACEHOLDER_MARKER = "-- Write the forward SQL here"
PLACEHOLDER_UP = (
    f"\n{PLACEHOLDER_MARKER}; every statement runs in one transaction.\nSELECT 1\n"
)


# A data step's script that points at its SQL by URL: one line, `scheme://...`.
POINTER_RE = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://\S+$")
POINTER_SCHEMES = ("https", "file")
SHA256_RE = re.compile(r"^[0-9a-f]{64}$")


def is_pointer(script: object) -> bool:
    """Whether a data step's script is a URL (its scheme may still be refused)."""
    return isinstance(script, str) and bool(POINTER_RE.match(script))


# What a check's SQL (or a validation's assertion) must do to pass:
# "truthy": the first column of its first row is truthy (no row, a falsy
# value or an error fail); "no_error": its statements, run as written, raise
# nothing (Sqitch's verify scripts: `SELECT 1/COUNT(*) ...`, a DO block that
# RAISEs).
EXPECT_TRUTHY, EXPECT_NO_ERROR = "truthy", "no_error"
EXPECTATIONS = (EXPECT_TRUTHY, EXPECT_NO_ERROR)


@dataclass
class MigrationCheck:
    description: str
    expression: str
    expect: str = field(default=EXPECT_TRUTHY, kw_only=True)


@dataclass
class _Step:
    kind: ClassVar[str]
    payload_name: ClassVar[str]  # the field that holds a step of this kind's payload

    description: str | None = field(default=None, kw_only=True)
    timeout_ms: int | None = field(default=None, kw_only=True)
    retries: int = field(default=0, kw_only=True)
    pre_checks: list[MigrationCheck] = field(default_factory=list, kw_only=True)
    post_checks: list[MigrationCheck] = field(default_factory=list, kw_only=True)
    # Lint rules this step accepts, each with the reason: {"rule-name": "why"}.
    lint_ignore: dict[str, str] = field(default_factory=dict, kw_only=True)

    @property
    def payload_field(self) -> str:
        """The field that holds this step's payload (a data step's instructions,
        when it is a person's work)."""
        return self.payload_name

    @property
    def payload(self) -> str:
        payload: str = getattr(self, self.payload_field)
        return payload


@dataclass
class _WriteStep(_Step):
    """A step that changes the database: it may run outside the transaction.

    transactional=False: the migration's earlier steps commit first and this
    step runs in autocommit (CREATE INDEX CONCURRENTLY, VACUUM, ...). A rerun
    after a crash reconciles it with `reconcile` (SQL run before retrying)
    unless its SQL is safe to rerun (docs/runtime.md)."""

    transactional: bool = field(default=True, kw_only=True)
    reconcile: str | None = field(default=None, kw_only=True)


@dataclass
class SchemaStep(_WriteStep):
    """SQL run inside the migration's transaction (or outside: transactional=False)."""

    kind: ClassVar[str] = "schema"
    payload_name: ClassVar[str] = "sql"
    sql: str


@dataclass
class DataStep(_WriteStep):
    """A `.sql` file, a Python callable (`file.py:func`, `pkg.mod:func`), inline
    SQL, or a pointer: an `https://` or `file://` URL pinned by `sha256`.

    batch_size=N: the payload handles at most N rows a call and is repeated,
    each call in its own short transaction, until a call touches no row.

    instructions="...": instead of a script, work for a person. A run stops
    there; `migrate confirm` runs the post-checks and records who did it
    (one of `confirm_by`, when given); the next run continues after it."""

    kind: ClassVar[str] = "data"
    payload_name: ClassVar[str] = "script"
    script: str | None = None
    batch_size: int | None = field(default=None, kw_only=True)
    pause_ms: int | None = field(default=None, kw_only=True)
    max_batches: int | None = field(default=None, kw_only=True)
    sha256: str | None = field(default=None, kw_only=True)  # a pointer's pin
    instructions: str | None = field(default=None, kw_only=True)
    confirm_by: list[str] = field(default_factory=list, kw_only=True)

    @property
    def payload_field(self) -> str:
        return "script" if self.instructions is None else "instructions"


@dataclass
class ValidationStep(_Step):
    """SQL whose first column of the first row must be truthy (expect="truthy"),
    or whose statements must run without an error (expect="no_error")."""

    kind: ClassVar[str] = "validation"
    payload_name: ClassVar[str] = "assertion"
    assertion: str
    expect: str = field(default=EXPECT_TRUTHY, kw_only=True)


# Fields a step's plain data carries only when they differ from these defaults,
# so adding them changed no existing fingerprint or harness.
OPTIONAL_STEP_FIELDS: dict[str, Any] = {
    "transactional": True,
    "reconcile": None,
    "batch_size": None,
    "pause_ms": None,
    "max_batches": None,
    "expect": EXPECT_TRUTHY,
    "confirm_by": [],
}

MigrationStep = SchemaStep | DataStep | ValidationStep
STEP_CLASSES: dict[str, type[_Step]] = {
    cls.kind: cls for cls in (SchemaStep, DataStep, ValidationStep)
}


@dataclass
class MigrationMeta:
    name: str
    version: int
    title: str
    description: str = ""
    domain: str = ""
    owners: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    stability: str = "experimental"


@dataclass
class MigrationPlan:
    up: list[MigrationStep]
    down: list[MigrationStep] | None = None


@dataclass
class MigrationSpec:
    meta: MigrationMeta
    plan: MigrationPlan
    dependencies: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.meta.name

    @property
    def version(self) -> int:
        return self.meta.version

    @property
    def key(self) -> str:
        return migration_key(self.meta.name, self.meta.version)


def migration_key(name: str, version: int) -> str:
    return f"{name}.v{version}"


def split_key(reference: str) -> tuple[str, int | None]:
    """`core.db.x.v2` → ("core.db.x", 2); a bare name → (name, None)."""
    match = KEY_RE.match(reference)
    if match:
        return match["name"], int(match["version"])
    return reference, None


# --------------------------------------------------------------------------
# Validation. A problem names the field by its path inside the spec, e.g.
# ("plan", "up", 2, "timeout_ms"), so the loader can point at the source.

FieldPath = tuple[str | int, ...]


@dataclass(frozen=True)
class Problem:
    path: FieldPath
    message: str


def validate(spec: MigrationSpec) -> list[Problem]:
    return list(_problems(spec))


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _shown(value: Any) -> str:
    """A value as a message quotes it: repr, but a huge integer literal by its
    length (past 4300 digits, Python refuses to print one at all)."""
    try:
        text = repr(value)
    except ValueError:  # Python prints no integer of more than 4300 digits
        return "an integer of more than 4300 digits"
    if not _is_int(value) or len(text) <= 20:
        return text
    sign = "negative " if value < 0 else ""
    return f"a {sign}{len(text.lstrip('-'))}-digit integer"


def _number_problem(value: Any, name: str, least: int) -> str | None:
    """Why value is not an integer from least to MAX_NUMBER (None: it is)."""
    if _is_int(value) and least <= value <= MAX_NUMBER:
        return None
    return (
        f"{name} must be an integer from {least} to {MAX_NUMBER}, got {_shown(value)}"
    )


def _blank(value: Any) -> bool:
    return not isinstance(value, str) or not value.strip()


def _problems(spec: MigrationSpec) -> Iterator[Problem]:
    yield from _meta_problems(spec.meta)
    yield from _plan_problems(spec.plan)
    yield from _dependency_problems(spec)


def _meta_problems(meta: MigrationMeta) -> Iterator[Problem]:
    name, version = meta.name, _number_problem(meta.version, "version", 1)
    if not isinstance(name, str):
        yield Problem(("meta", "name"), f"name must be a string, got {_shown(name)}")
    elif _blank(name):
        yield Problem(("meta", "name"), "name must not be empty")
    elif not NAME_RE.match(name):
        yield Problem(
            ("meta", "name"),
            f"malformed name {name!r}: expected dotted segments of letters, digits and"
            " underscores, like 'core.db.2025_01_add_users'",
        )
    elif KEY_RE.match(name):
        yield Problem(
            ("meta", "name"),
            f"name {name!r} must not end in '.vN': the version goes in 'version'",
        )
    elif version is None and len(
        file_name := f"{name.replace('.', '__')}__v{meta.version}.py"
    ) > (MAX_FILE_NAME):
        yield Problem(
            ("meta", "name"),
            f"name is too long: its harness file name would be {len(file_name)}"
            f" characters, more than the {MAX_FILE_NAME} a file system allows",
        )
    if version:
        yield Problem(("meta", "version"), version)
    if not isinstance(meta.title, str):
        yield Problem(
            ("meta", "title"), f"title must be a string, got {_shown(meta.title)}"
        )
    elif _blank(meta.title):
        yield Problem(("meta", "title"), "title must not be empty")
    for text_field in ("description", "domain"):
        value = getattr(meta, text_field)
        if not isinstance(value, str):
            yield Problem(
                ("meta", text_field),
                f"{text_field} must be a string, got {_shown(value)}",
            )
    if meta.stability not in STABILITIES:
        yield Problem(
            ("meta", "stability"),
            f"unknown stability {_shown(meta.stability)}: expected one of {', '.join(STABILITIES)}",
        )
    if not isinstance(meta.owners, list):
        yield Problem(
            ("meta", "owners"),
            f"owners must be a list of strings, got {_shown(meta.owners)}",
        )
    elif not meta.owners:
        yield Problem(("meta", "owners"), "owners must name at least one owner")
    else:
        for index, owner in enumerate(meta.owners):
            if _blank(owner):
                yield Problem(
                    ("meta", "owners", index), "an owner must be a non-empty string"
                )
    if not isinstance(meta.tags, list):
        yield Problem(
            ("meta", "tags"), f"tags must be a list of strings, got {_shown(meta.tags)}"
        )
    else:
        for index, tag in enumerate(meta.tags):
            if _blank(tag):
                yield Problem(
                    ("meta", "tags", index), "a tag must be a non-empty string"
                )


def _plan_problems(plan: MigrationPlan) -> Iterator[Problem]:
    if not plan.up:
        yield Problem(("plan", "up"), "the up plan must have at least one step")
    for direction in ("up", "down"):
        for index, step in enumerate(getattr(plan, direction) or []):
            if not isinstance(step, _Step):
                yield Problem(
                    ("plan", direction, index),
                    f"{direction} must hold SchemaStep / DataStep / ValidationStep, got {_shown(step)}",
                )
                continue
            yield from _step_problems(step, ("plan", direction, index))


def _dependency_problems(spec: MigrationSpec) -> Iterator[Problem]:
    if not isinstance(spec.dependencies, list):
        yield Problem(
            ("dependencies",),
            f"dependencies must be a list of strings, got {_shown(spec.dependencies)}",
        )
        return
    seen: set[str] = set()
    for index, dependency in enumerate(spec.dependencies):
        where = ("dependencies", index)
        if _blank(dependency):
            yield Problem(where, "a dependency must be a non-empty string")
            continue
        dep_name, dep_version = split_key(dependency)
        if dep_name == spec.meta.name and dep_version in (None, spec.meta.version):
            yield Problem(where, f"migration {spec.key} depends on itself")
        elif dependency in seen:
            yield Problem(where, f"duplicate dependency {dependency!r}")
        elif not NAME_RE.match(dep_name):
            yield Problem(where, f"malformed dependency {dependency!r}")
        seen.add(dependency)


def _step_problems(step: _Step, where: FieldPath) -> Iterator[Problem]:
    payload = step.payload
    if _blank(payload):
        wanted = step.payload_field
        if isinstance(step, DataStep) and step.instructions is None:
            wanted = "script (or instructions for a person)"
        yield Problem(
            where + (step.payload_field,),
            f"{step.kind} step needs a non-empty {wanted}",
        )
    numbers = {"retries": _number_problem(step.retries, "retries", 0)}
    if step.timeout_ms is not None:
        numbers["timeout_ms"] = _number_problem(step.timeout_ms, "timeout_ms", 1)
    for name, problem in numbers.items():
        if problem:
            yield Problem(where + (name,), problem)
    if step.description is not None and not isinstance(step.description, str):
        yield Problem(
            where + ("description",),
            f"description must be a string, got {_shown(step.description)}",
        )
    if isinstance(step, _WriteStep):
        yield from _write_step_problems(step, where)
    if isinstance(step, ValidationStep):
        yield from _expect_problems(step.expect, where)
    if not isinstance(step.lint_ignore, dict):
        yield Problem(
            where + ("lint_ignore",),
            'lint_ignore must be a dict of rule names to reasons, like {"rule": "why"}',
        )
    else:
        for rule, reason in step.lint_ignore.items():
            if _blank(rule) or _blank(reason):
                yield Problem(
                    where + ("lint_ignore", rule),
                    f"lint_ignore needs a rule name and a reason, got {_shown(rule)}: {reason!r}",
                )
    for checks in ("pre_checks", "post_checks"):
        for index, check in enumerate(getattr(step, checks)):
            if not isinstance(check, MigrationCheck):
                yield Problem(
                    where + (checks, index),
                    f"{checks} must hold MigrationCheck, got {_shown(check)}",
                )
                continue
            if _blank(check.expression):
                yield Problem(
                    where + (checks, index, "expression"), "a check needs an expression"
                )
            if _blank(check.description):
                yield Problem(
                    where + (checks, index, "description"),
                    "a check needs a description",
                )
            yield from _expect_problems(check.expect, where + (checks, index))


def _expect_problems(expect: Any, where: FieldPath) -> Iterator[Problem]:
    if expect not in EXPECTATIONS:
        yield Problem(
            where + ("expect",),
            f"expect must be {' or '.join(map(repr, EXPECTATIONS))}, got {_shown(expect)}",
        )


def _write_step_problems(step: _WriteStep, where: FieldPath) -> Iterator[Problem]:
    if not isinstance(step.transactional, bool):
        yield Problem(
            where + ("transactional",),
            f"transactional must be True or False, got {_shown(step.transactional)}",
        )
    if step.reconcile is not None:
        if _blank(step.reconcile):
            yield Problem(
                where + ("reconcile",), "reconcile must be a non-empty SQL string"
            )
        elif step.transactional is not False:
            yield Problem(
                where + ("reconcile",),
                "reconcile is for steps outside a transaction: add transactional=False"
                " (a transactional step is rolled back, never left half done)",
            )
    if not isinstance(step, DataStep):
        return
    if step.instructions is not None:
        yield from _instructions_problems(step, where)
        return
    yield from _pointer_problems(step, where)
    if step.confirm_by:
        yield Problem(
            where + ("confirm_by",),
            "confirm_by names who may confirm a person's work: it needs instructions=",
        )
    for name, least in (("batch_size", 1), ("max_batches", 1), ("pause_ms", 0)):
        value = getattr(step, name)
        problem = None if value is None else _number_problem(value, name, least)
        if problem:
            yield Problem(where + (name,), problem)
    if step.batch_size is None:
        for name in ("pause_ms", "max_batches"):
            if getattr(step, name) is not None:
                yield Problem(where + (name,), f"{name} needs batch_size")
    elif step.transactional is False:
        yield Problem(
            where + ("transactional",),
            "a batched step already commits each batch in its own short transaction:"
            " drop transactional=False",
        )


# What an instructions step cannot have: a person does the work, once.
_NOT_FOR_INSTRUCTIONS = {
    "script": None,
    "sha256": None,
    "timeout_ms": None,
    "retries": 0,
    "transactional": True,
    "reconcile": None,
    "batch_size": None,
    "pause_ms": None,
    "max_batches": None,
}


def _instructions_problems(step: DataStep, where: FieldPath) -> Iterator[Problem]:
    for name, default in _NOT_FOR_INSTRUCTIONS.items():
        if getattr(step, name) != default:
            why = (
                "give a script or instructions, not both"
                if name == "script"
                else "a person does this step, once"
            )
            yield Problem(
                where + (name,), f"{name} has no meaning in an instructions step: {why}"
            )
    if not isinstance(step.confirm_by, list):
        yield Problem(
            where + ("confirm_by",),
            f"confirm_by must be a list of owner names, got {step.confirm_by!r}",
        )
        return
    for index, owner in enumerate(step.confirm_by):
        if _blank(owner):
            yield Problem(
                where + ("confirm_by", index), "confirm_by must name owners, not blanks"
            )


def _pointer_problems(step: DataStep, where: FieldPath) -> Iterator[Problem]:
    """A script that is a URL: https:// or file:// (absolute), with its sha256 pin."""
    script = step.script
    if not is_pointer(script):
        if step.sha256 is not None:
            yield Problem(
                where + ("sha256",),
                "sha256 pins a pointer (an https:// or file:// script); a file beside"
                " the spec is pinned by build",
            )
        return
    assert isinstance(script, str)
    scheme, _, rest = script.partition("://")
    if scheme.lower() not in POINTER_SCHEMES:
        yield Problem(
            where + ("script",),
            f"a pointer must be an https:// or file:// URL, not {scheme}://"
            " (the SQL it points at is verified by its sha256, and fetched over TLS)",
        )
    elif scheme.lower() == "file" and not rest.startswith("/"):
        yield Problem(
            where + ("script",),
            "a file:// pointer names an absolute path (file:///srv/scripts/fill.sql);"
            " a file beside the spec is named by its relative path instead",
        )
    if step.transactional is False:
        yield Problem(
            where + ("transactional",),
            "a pointer's SQL is fetched when it runs, so build can't split it into the"
            " statements a step outside the transaction runs: keep the file beside"
            " the spec (it is pinned by build) for transactional=False",
        )
    if step.sha256 is None:
        yield Problem(
            where + ("script",),
            'a pointer needs its pin: sha256="<64 hex digits>" (sha256sum of the'
            " file it points at); the run refuses anything else",
        )
    elif not isinstance(step.sha256, str) or not SHA256_RE.match(step.sha256):
        yield Problem(
            where + ("sha256",),
            f"sha256 must be 64 lower-case hex digits, got {step.sha256!r}",
        )


# --------------------------------------------------------------------------
# Plain-data form: the canonical form for fingerprints, and JSON interop with
# the TypeScript original (camelCase names).

_TS_NAMES = {
    "timeout_ms": "timeoutMs",
    "pre_checks": "preChecks",
    "post_checks": "postChecks",
    "batch_size": "batchSize",
    "pause_ms": "pauseMs",
    "max_batches": "maxBatches",
    "lint_ignore": "lintIgnore",
    "confirm_by": "confirmBy",
}
_PY_NAMES = {ts: py for py, ts in _TS_NAMES.items()}


def step_to_dict(step: _Step, typescript: bool = False) -> dict[str, Any]:
    data: dict[str, Any] = {
        "kind": step.kind,
        step.payload_field: step.payload,
        "description": step.description,
        "timeout_ms": step.timeout_ms,
        "retries": step.retries,
        "pre_checks": [check_to_dict(c) for c in step.pre_checks],
        "post_checks": [check_to_dict(c) for c in step.post_checks],
    }
    for name, default in OPTIONAL_STEP_FIELDS.items():
        value = getattr(step, name, default)
        if value != default:
            data[name] = value
    if step.lint_ignore:  # only when given: specs without it keep their fingerprints
        data["lint_ignore"] = dict(step.lint_ignore)
    pin = getattr(step, "sha256", None)
    if pin is not None:  # a pointer's pin: part of what it means
        data["sha256"] = pin
    if typescript:
        data = {_TS_NAMES.get(k, k): v for k, v in data.items()}
    return data


def check_to_dict(check: MigrationCheck) -> dict[str, str]:
    """A check as plain data; `expect` only when not the default, so that the
    specs written before it keep their fingerprints and harnesses."""
    data = {"description": check.description, "expression": check.expression}
    if check.expect != EXPECT_TRUTHY:
        data["expect"] = check.expect
    return data


def meta_to_dict(meta: MigrationMeta) -> dict[str, Any]:
    return {
        "name": meta.name,
        "version": meta.version,
        "title": meta.title,
        "description": meta.description,
        "domain": meta.domain,
        "owners": list(meta.owners),
        "tags": list(meta.tags),
        "stability": meta.stability,
    }


def to_dict(spec: MigrationSpec, typescript: bool = False) -> dict[str, Any]:
    down = spec.plan.down
    return {
        "meta": meta_to_dict(spec.meta),
        "plan": {
            "up": [step_to_dict(s, typescript) for s in spec.plan.up],
            "down": (
                None if down is None else [step_to_dict(s, typescript) for s in down]
            ),
        },
        "dependencies": list(spec.dependencies),
    }


def from_dict(data: dict[str, Any]) -> MigrationSpec:
    """Build a spec from plain data; accepts Python or TypeScript field names."""

    def step(raw: dict[str, Any]) -> MigrationStep:
        raw = {_PY_NAMES.get(k, k): v for k, v in raw.items()}
        cls = STEP_CLASSES[raw.pop("kind")]
        for checks in ("pre_checks", "post_checks"):
            raw[checks] = [MigrationCheck(**c) for c in raw.get(checks) or []]
        if raw.get("retries") is None:
            raw["retries"] = 0
        return cast(MigrationStep, cls(**raw))  # STEP_CLASSES holds only these

    plan = data["plan"]
    down = plan.get("down")
    return MigrationSpec(
        meta=MigrationMeta(**data["meta"]),
        plan=MigrationPlan(
            up=[step(s) for s in plan["up"]],
            down=None if down is None else [step(s) for s in down],
        ),
        dependencies=list(data.get("dependencies") or []),
    )
