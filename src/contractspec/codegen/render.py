"""jinja2 rendering of harness templates (StrictUndefined, autoescape off).

The environment's `finalize` refuses to print any value that is not `Code`
from the literal emitter: a template that forgets a filter fails loudly
instead of pasting spec text into a module.

Templates live in the top-level `templates/` folder of the repository and
ship inside the wheel as `contractspec/templates`; an installed package uses
its own copy, an editable install falls back to the repository's.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

from .literals import Code, comment_text, doc_text, py_literal

HEAD_TEMPLATE = "harness.py.j2"
TAIL_TEMPLATE = "harness_tail.py.j2"


def templates_dir() -> Path:
    from importlib.resources import files

    packaged = files("contractspec") / "templates"
    if packaged.is_dir():
        return Path(str(packaged))
    repository = Path(__file__).resolve().parents[3] / "templates"
    if repository.is_dir():
        return repository
    raise FileNotFoundError(
        f"contractspec templates not found (looked in {packaged} and {repository})"
    )


def _only_code(value: Any) -> Any:
    if isinstance(value, Code):
        return value
    raise TypeError(
        f"template printed a raw {type(value).__name__} value; pass it through"
        " | lit, | doc or | comment"
    )


def make_environment(literal: Callable[[Any], str] = py_literal):
    """A fresh environment; tests pass another `literal` emitter to prove the property test bites."""
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(templates_dir())),
        undefined=jinja2.StrictUndefined,
        autoescape=False,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        finalize=_only_code,
    )

    def strict(emit):
        def apply(value):
            if isinstance(value, jinja2.Undefined):
                str(value)  # StrictUndefined raises UndefinedError, naming the variable
            return Code(emit(value))

        return apply

    env.filters["lit"] = strict(literal)
    env.filters["doc"] = strict(doc_text)
    env.filters["comment"] = strict(comment_text)
    return env


@cache
def environment():
    return make_environment()


def render_head(view: dict[str, Any], env=None) -> str:
    """Header, docstring and MIGRATION for one spec (not yet formatted)."""
    return (env or environment()).get_template(HEAD_TEMPLATE).render(**view)


# Names the entry points need from the runtime, and names they define themselves.
RUNTIME_NEEDS = ("os", "sys", "run_migration", "runtime_main")
ENTRY_POINTS = ("MIGRATION", "run", "main")


def runtime_facts(runtime: str) -> dict[str, Any]:
    """Check that the runtime can be embedded under MIGRATION; learn runtime_main's signature.

    Raises RuntimeError (a contractspec bug, not a spec problem) when the
    runtime can't work in a harness: a `from __future__` import (only legal
    at the top of a module), a missing name the entry points call, or a
    top-level name the harness defines itself.
    """
    import ast

    tree = ast.parse(runtime)
    defined: set[str] = set()
    takes_base_dir = False
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.module == "__future__":
            raise RuntimeError(
                "the harness runtime must not use `from __future__` imports"
            )
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            defined.add(node.name)
            if node.name == "runtime_main" and not isinstance(node, ast.ClassDef):
                arguments = node.args
                names = [
                    a.arg
                    for a in arguments.posonlyargs
                    + arguments.args
                    + arguments.kwonlyargs
                ]
                takes_base_dir = "base_dir" in names or arguments.kwarg is not None
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            defined.update(t.id for t in targets if isinstance(t, ast.Name))
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            defined.update((a.asname or a.name).split(".")[0] for a in node.names)
    missing = [name for name in RUNTIME_NEEDS if name not in defined]
    clashing = [name for name in ENTRY_POINTS if name in defined]
    if missing or clashing:
        raise RuntimeError(
            "the harness runtime can't be embedded:"
            + (f" it lacks {', '.join(missing)}" if missing else "")
            + (
                f" it defines {', '.join(clashing)}, which the harness defines"
                if clashing
                else ""
            )
        )
    return {"main_takes_base_dir": takes_base_dir}


def render_tail(runtime: str, env=None) -> str:
    """The runtime and the entry points (not yet formatted): identical in every harness."""
    facts = runtime_facts(runtime)
    template = (env or environment()).get_template(TAIL_TEMPLATE)
    return template.render(runtime=Code(runtime), **facts)
