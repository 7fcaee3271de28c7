"""Imports flow one way, as docs/architecture.md lists the layers: every import
of every module, at its top, inside a function (a lazy import) or under
`if TYPE_CHECKING:` (a type-only import), names a module of its own package
or of a layer below its own."""

from __future__ import annotations

import ast
import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PACKAGE = REPO / "src" / "contractspec"
ROOT = "contractspec"  # the package root: the model's names, __version__


def documented_layers(text: str) -> list[set[str]]:
    """The layers in the fenced block after "Imports flow one way", top first."""
    block = re.search(r"Imports flow one way.*?```\n(.*?)```", text, re.S)
    assert block, "docs/architecture.md lists no layers"
    return [
        {name.strip() for name in line.split("#")[0].split(",") if name.strip()}
        for line in block[1].splitlines()
        if line.split("#")[0].strip()
    ]


def modules(package: Path) -> dict[str, tuple[Path, bool]]:
    """Every module of the package by dotted name: its file, whether a package."""
    found = {}
    for path in sorted(package.rglob("*.py")):
        parts = [package.name, *path.relative_to(package).with_suffix("").parts]
        is_package = parts[-1] == "__init__"
        found[".".join(parts[:-1] if is_package else parts)] = (path, is_package)
    return found


def imports(module: str, path: Path, is_package: bool, known: set[str]):
    """(line, imported module) for every import statement anywhere in the file."""
    for node in ast.walk(ast.parse(path.read_bytes(), str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: from the module's package, or the package's
                parts = module.split(".")
                parts = parts[: len(parts) - node.level + is_package]
                base = ".".join(parts + ([node.module] if node.module else []))
            for alias in node.names:  # `from . import runtime` imports a module
                name = f"{base}.{alias.name}"
                yield node.lineno, name if name in known else base


def unit(module: str) -> str:
    """The top-level module or package a module belongs to (ROOT: the root itself)."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ROOT


def violations(package: Path, layers: list[set[str]]) -> list[str]:
    rank = {name: index for index, layer in enumerate(layers) for name in layer}
    found = modules(package)
    problems = []
    for module, (path, is_package) in found.items():
        own = unit(module)
        if own not in rank:
            problems.append(f"{own} is in no layer")
            continue
        for line, imported in imports(module, path, is_package, set(found)):
            if imported.split(".")[0] != package.name or unit(imported) == own:
                continue
            other = unit(imported)
            if rank.get(other, -1) <= rank[own]:
                where = path.relative_to(package.parent)
                problems.append(f"{where}:{line}: {own} imports {other}, not below it")
    return sorted(set(problems))


def test_every_import_flows_down_the_documented_layers():
    text = (REPO / "docs" / "architecture.md").read_text(encoding="utf-8")
    layers = documented_layers(text)
    assert {
        "cli",
        "commands",
        "project",
        "codegen",
        "loader",
        "runtime",
    } <= set().union(*layers)
    assert violations(PACKAGE, layers) == []


def test_a_lazy_or_type_only_import_upward_is_found(tmp_path):
    package = tmp_path / "contractspec"
    (package / "low").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "high.py").write_text("from .low import helper\n")
    (package / "low" / "__init__.py").write_text(
        "from typing import TYPE_CHECKING\n"
        "from . import helper\n"  # its own package: fine
        "if TYPE_CHECKING:\n"
        "    from ..high import Thing\n"
    )
    (package / "low" / "helper.py").write_text(
        "def later():\n    from contractspec import high\n"
    )
    (package / "side.py").write_text("import contractspec.other\n")
    (package / "other.py").write_text("")
    layers = [{"high"}, {"low"}, {"side", "other"}, {ROOT}]
    assert violations(package, layers) == [
        "contractspec/low/__init__.py:4: low imports high, not below it",
        "contractspec/low/helper.py:2: low imports high, not below it",
        "contractspec/side.py:1: side imports other, not below it",
    ]
    # A module the docs do not place is a problem too.
    unplaced = [p for p in violations(package, [{"high"}, {"low"}]) if ":" not in p]
    assert unplaced == [f"{name} is in no layer" for name in (ROOT, "other", "side")]
