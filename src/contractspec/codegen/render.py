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
from typing import TYPE_CHECKING, Any

from .literals import Code, comment_text, doc_text, migration_literal, py_literal

if TYPE_CHECKING:
    import jinja2

HEAD_TEMPLATE = "harness.py.j2"


def templates_dir() -> Path:
    # The package's own folder, not importlib.resources: that import costs
    # more than the rest of a `migrate` run's template work.
    packaged = Path(__file__).resolve().parents[1] / "templates"
    if packaged.is_dir():
        return packaged
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


def make_environment(literal: Callable[[Any], str] = py_literal) -> jinja2.Environment:
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

    def strict(emit: Callable[[Any], str]) -> Callable[[Any], Code]:
        def apply(value: Any) -> Code:
            if isinstance(value, jinja2.Undefined):
                str(value)  # StrictUndefined raises UndefinedError, naming the variable
            return Code(emit(value))

        return apply

    env.filters["lit"] = strict(literal)
    env.filters["migration"] = strict(lambda data: migration_literal(data, literal))
    env.filters["doc"] = strict(doc_text)
    env.filters["comment"] = strict(comment_text)
    return env


@cache
def environment() -> jinja2.Environment:
    return make_environment()


def render_head(view: dict[str, Any], env: jinja2.Environment | None = None) -> str:
    """Header, docstring and MIGRATION for one spec (not yet formatted)."""
    template = (env or environment()).get_template(HEAD_TEMPLATE)
    return str(template.render(**view))


# The shared runtime package beside the harnesses, a folder: a name no user
# module takes (templates/harness_tail.py, the harnesses' entry points, loads
# it by this name).
RUNTIME_NAME = "_contractspec_runtime"
