"""`migrate create` / `create --type migration`: scaffold a new spec file.

The new spec depends on the current heads of the graph (the migrations
nothing depends on yet) unless told otherwise, and it is loaded, validated
and placed in the graph before the command returns: a scaffold that would
not build is removed again and the problem reported.
"""

from __future__ import annotations

import getpass
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..config import Config
from ..errors import SpecError, UsageError
from ..loader import load_file
from ..spec import EXPECT_TRUTHY, NAME_RE, PLACEHOLDER_UP, STABILITIES
from . import open_project


@dataclass
class Created:
    key: str
    path: str  # relative to the project root
    dependencies: list[str]


def default_owner() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no user name in this environment
        return "unknown"


def spec_file_for(specs_dir: Path, name: str) -> Path:
    """`core.db.2025_05_add_invoices` → `<specs>/core/2025_05_add_invoices.py`."""
    parts = name.split(".")
    return specs_dir / parts[0] / f"{parts[-1]}.py"


def create(
    name: str,
    project_dir: Path | None = None,
    *,
    title: str | None = None,
    description: str = "",
    domain: str | None = None,
    owners: list[str] | None = None,
    tags: list[str] | None = None,
    stability: str = "in_creation",
    up_sql: str | None = None,
    down_sql: str | None = None,
    depends_on: list[str] | None = None,
    no_dependencies: bool = False,
    needed_by: list[str] | None = None,
    path: Path | None = None,
) -> Created:
    if not NAME_RE.match(name):
        raise UsageError(
            f"malformed migration name {name!r}: expected dotted segments like core.db.2025_05_add_invoices"
        )
    if stability not in STABILITIES:
        raise UsageError(
            f"unknown stability {stability!r}: expected one of {', '.join(STABILITIES)}"
        )
    project = open_project(project_dir)
    registry = project.registry
    if registry.versions(name):
        raise UsageError(
            f"{name} already exists ({project.specs[registry.get(name).key].path}); to rework it,"
            " add a new version: contractspec spec new-version " + name
        )
    if no_dependencies:
        dependencies: list[str] = []
    elif depends_on:
        dependencies = list(dict.fromkeys(depends_on))
        for ref in dependencies:
            registry.lookup(ref)  # unknown → error now, not after writing
    else:
        # The heads, except those the new spec is to be a dependency of.
        dependents = {registry.lookup(ref).key for ref in needed_by or []}
        dependencies = [
            registry.lookup(key).meta.name
            for key in registry.heads()
            if key not in dependents
        ]

    target = path if path is not None else spec_file_for(project.config.specs_dir, name)
    if not target.is_absolute():
        target = project.config.root / target
    if target.exists():
        raise UsageError(f"{project.config.relative(target)} already exists")

    slug = name.split(".")[-1]
    words = slug.split("_")
    while words and words[0].isdigit():
        words.pop(0)
    source = render_spec(
        name=name,
        title=title or (" ".join(words).capitalize() or slug),
        description=description,
        domain=domain if domain is not None else name.split(".")[0],
        owners=owners or [default_owner()],
        tags=tags or [],
        stability=stability,
        up=[Step("schema", up_sql or PLACEHOLDER_UP, title or "Forward change")],
        down=(
            None
            if down_sql is None
            else [Step("schema", down_sql, "Undo the forward change")]
        ),
        dependencies=dependencies,
    )
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(source, encoding="utf-8")
    try:
        loaded = load_file(
            target, project.config.relative(target), project.config.files
        )
        open_project(config=project.config)  # the new spec takes its place in the graph
        _add_as_dependency(name, needed_by or [], project.config)
    except (SpecError, UsageError):
        target.unlink()
        raise
    return Created(loaded.key, loaded.path, dependencies)


def _add_as_dependency(name: str, needed_by: list[str], config: Config) -> None:
    """Make each spec in needed_by depend on the new one, through the libcst editor.

    Every edit is checked (loads, validates, no cycle) before any file is written.
    """
    from ..edit import AddDependency
    from .spec import edit_spec

    for reference in needed_by:
        edit_spec(reference, AddDependency(name), config=config, write=False)
    for reference in needed_by:
        edit_spec(reference, AddDependency(name), config=config)


@dataclass(frozen=True)
class Step:
    """One step of a spec file to write: kind schema or validation."""

    kind: str
    payload: str
    description: str
    transactional: bool = True  # a schema step: False runs it outside the transaction
    expect: str = EXPECT_TRUTHY  # a validation step: "no_error" passes when it runs


def render_spec(
    *,
    up: list[Step],
    down: list[Step] | None,
    version: int = 1,
    header: str | None = None,
    down_reason: str | None = None,
    **values: Any,
) -> str:
    """The text of a new spec file: the spec template, formatted by black."""
    from ..codegen.render import make_environment
    from ..format import format_source

    template = make_environment().get_template("spec.py.j2")
    text = template.render(
        up=up,
        down=down,
        version=version,
        header=header,
        down_reason=down_reason,
        **values,
    )
    return format_source(text)
