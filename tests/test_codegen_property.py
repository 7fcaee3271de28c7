"""Property: any text in any string field of a spec survives codegen exactly.

For arbitrary text — every code point, lone surrogates, NUL, quotes of both
kinds, trailing backslashes, CR, U+2028, U+202E, attempted code injection —
in every string field, the generated harness:

- compiles, is exactly what black makes of it (codegen emits black's style
  and skips black: this is the proof, over-long lines and wide characters
  included), and has exactly the three header comments (spec text never
  lands in a comment);
- binds nothing but its docstring and MIGRATION, and MIGRATION is plain
  literal data (ast.literal_eval) that reproduces every field exactly.

The per-spec part is checked for 1,000 examples through the production
formatting path; whole modules (with the runtime) for a smaller sample. A
deliberately naive emitter runs through the same property to show it bites.
"""

from __future__ import annotations

import ast
import io
import json
import tokenize

import black
import pytest
from hypothesis import HealthCheck, Phase, find, given, settings
from hypothesis import strategies as st
from support import examples

from contractspec.codegen.generate import head_view, tail_source
from contractspec.codegen.literals import comment_text, migration_literal, py_literal
from contractspec.codegen.render import make_environment, render_head
from contractspec.codegen.scripts import (
    INLINE_SQL,
    Resolution,
    ResolvedScript,
    classify_script,
)
from contractspec.commands.migrate.harnesses import PLAIN_PREAMBLE
from contractspec.fingerprint import spec_fingerprint
from contractspec.format import black_form, format_cached
from contractspec.runtime import HARNESS_FORMAT, fingerprint_value
from contractspec.spec import (
    STABILITIES,
    DataStep,
    MigrationCheck,
    MigrationMeta,
    MigrationPlan,
    MigrationSpec,
    SchemaStep,
    ValidationStep,
    split_key,
)
from contractspec.writer import has_marker

MODE = black.Mode()
NASTY = [
    '"""',
    "'''",
    "\\",
    "\r",
    "\r\n",
    "\n",
    "\x00",
    "\u2028",
    "\u202e",
    "\ud800",
    "\udc00",
    '"',
    "'",
    "'); import os; ('",
    '"""); import os; ("""',
    "# DO NOT EDIT.",
    "\t",
    " ",
    "{{ m.key }}",
    "{% endfor %}",
]
any_char = st.characters(codec=None, exclude_categories=())
short_text = st.lists(
    st.one_of(st.text(any_char, max_size=6), st.sampled_from(NASTY)), max_size=8
).map("".join)
# One field in ten runs past black's 88 columns, in characters or in width (East
# Asian wide characters count two): black splits nothing codegen prints, and must not.
OVERLONG = st.text(st.sampled_from("ab =,()[]{}中文é'\"\\"), min_size=89, max_size=100)
text = st.integers(0, 9).flatmap(lambda n: OVERLONG if n == 0 else short_text)
# Real SQL is long and multi-line: readable triple-quoted strings get exercised too.
sql = st.one_of(text, st.lists(text, min_size=2, max_size=4).map("\n".join))

checks = st.lists(
    st.builds(MigrationCheck, description=text, expression=sql), max_size=1
)
common = dict(
    description=st.none() | text,
    timeout_ms=st.none() | st.integers(1, 10**9),
    retries=st.integers(0, 10),
    pre_checks=checks,
    post_checks=checks,
)
steps = st.lists(
    st.one_of(
        st.builds(SchemaStep, sql=sql, **common),
        st.builds(
            DataStep,
            script=sql.filter(lambda s: classify_script(s) == INLINE_SQL),
            **common,
        ),
        st.builds(ValidationStep, assertion=sql, **common),
    ),
    max_size=3,
)
specs = st.builds(
    MigrationSpec,
    meta=st.builds(
        MigrationMeta,
        name=st.just("core.db.2025_01_property"),
        version=st.integers(1, 10**6),
        title=text,
        description=text,
        domain=text,
        owners=st.lists(text, max_size=3),
        tags=st.lists(text, max_size=3),
        stability=st.sampled_from(STABILITIES),
    ),
    plan=st.builds(MigrationPlan, up=steps, down=st.none() | steps),
    dependencies=st.lists(text, max_size=2),
)
keys = st.one_of(
    text,
    st.builds(
        "{}.v{}".format, st.sampled_from(["a.b", "a.c", "a.b.v2"]), st.integers(0, 12)
    ),
)
cases = st.tuples(
    specs, text, st.lists(keys, max_size=4)
)  # spec, spec path, resolved dependencies


def inline_resolution(spec: MigrationSpec) -> Resolution:
    resolution = Resolution()
    for direction in ("up", "down"):
        for index, step in enumerate(getattr(spec.plan, direction) or []):
            if step.kind == "data":
                resolution.steps[(direction, index)] = ResolvedScript(
                    INLINE_SQL, None, None
                )
    return resolution


def expected_migration(
    spec: MigrationSpec, spec_path: str, dependencies: list[str]
) -> dict:
    """What MIGRATION must hold, built straight from the spec (not from the view model)."""

    def step(s) -> dict:
        # What the spec leaves at the runtime's default is not written.
        data: dict = {"kind": s.kind}
        if s.description is not None:
            data["description"] = s.description
        data[s.payload_field] = s.payload
        if s.timeout_ms is not None:
            data["timeout_ms"] = s.timeout_ms
        if s.retries:
            data["retries"] = s.retries
        for field in ("pre_checks", "post_checks"):
            if getattr(s, field):
                data[field] = [
                    {"description": c.description, "expression": c.expression}
                    for c in getattr(s, field)
                ]
        if s.kind == "data":
            data.update(script_type=INLINE_SQL, script_path=None, script_sha256=None)
        return data

    meta = spec.meta
    return {
        "key": spec.key,
        "name": meta.name,
        "version": meta.version,
        "title": meta.title,
        "description": meta.description,
        "domain": meta.domain,
        "owners": list(meta.owners),
        "tags": list(meta.tags),
        "stability": meta.stability,
        "spec_path": spec_path,
        # Resolved keys, deduplicated, sorted by name then numeric version.
        "dependencies": sorted(
            set(dependencies), key=lambda d: (split_key(d)[0], split_key(d)[1] or 0, d)
        ),
        "up": [step(s) for s in spec.plan.up],
        "down": None if spec.plan.down is None else [step(s) for s in spec.plan.down],
    }


HEAD_IMPORTS = ["import os", "import sys"]


def literal_module_data(source: str) -> tuple[str, dict]:
    """(docstring, MIGRATION) of a head, refusing anything but a docstring, the
    entry points' imports and one literal assignment."""
    tree = ast.parse(source)
    assert len(tree.body) == 2 + len(HEAD_IMPORTS), ast.dump(tree)
    doc, *imports, assign = tree.body
    assert [ast.unparse(node) for node in imports] == HEAD_IMPORTS
    assert isinstance(doc, ast.Expr) and isinstance(doc.value, ast.Constant)
    assert isinstance(assign, ast.Assign) and [
        ast.unparse(t) for t in assign.targets
    ] == ["MIGRATION"]
    return doc.value.value, ast.literal_eval(assign.value)


def comments(source: str) -> list[str]:
    return [
        t.string
        for t in tokenize.generate_tokens(io.StringIO(source).readline)
        if t.type == tokenize.COMMENT
    ]


def check_head(spec, spec_path, dependencies, env=None) -> None:
    view = head_view(
        spec,
        spec_path=spec_path,
        dependencies=dependencies,
        resolution=inline_resolution(spec),
    )
    # The production path (format.black_form: no black under the emitted series).
    head = black_form([render_head(view, env)], None, workers=1)[0]
    head.encode("utf-8")  # writable: no lone surrogate in the file
    compile(head, "<harness>", "exec")
    assert black.format_str(head, mode=MODE) == head, "not what black makes of it"
    assert has_marker(head.encode("utf-8"))
    assert comments(head) == [
        f"# Code generated by contractspec from {comment_text(spec_path)}. DO NOT EDIT.",
        "# contractspec-fingerprint: "
        + fingerprint_value(
            spec_fingerprint(spec), expected_migration(spec, spec_path, dependencies)
        ),
        f"# contractspec-format: {HARNESS_FORMAT}",
    ]
    doc, migration = literal_module_data(head)
    assert isinstance(doc, str) and doc.startswith(f"Migration harness for {spec.key}.")
    assert migration == expected_migration(spec, spec_path, dependencies)
    # What `migrate` compares a committed harness with: the same data, unrendered,
    # printed as the harness holds it after a preamble it reads without parsing.
    assert migration == view["migration"]
    printed = f"\nMIGRATION = {migration_literal(migration)}\n"
    assert head.endswith(printed), "black changed the printed MIGRATION"
    assert PLAIN_PREAMBLE.fullmatch(head[: -len(printed) + 1].encode("utf-8")) or (
        '"' in doc or "\\" in doc or "\r" in doc or "coding" in head.split("\n")[0]
    )


def holds(case, env=None) -> bool:
    try:
        check_head(*case, env=env)
    except Exception:
        return False
    return True


@settings(
    max_examples=examples(1000),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(cases)
def test_any_text_in_any_field_survives_exactly(case):
    check_head(*case)


@settings(
    max_examples=examples(25),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(cases)
def test_whole_modules_compile_and_are_black_stable(case):
    spec, spec_path, dependencies = case
    view = head_view(
        spec,
        spec_path=spec_path,
        dependencies=dependencies,
        resolution=inline_resolution(spec),
    )
    # The whole module as build assembles it: the formatted head, then the tail.
    source = format_cached([render_head(view)], None, workers=1)[0] + tail_source()
    code = compile(source, "<harness>", "exec")
    assert black.format_str(source, mode=MODE) == source
    namespace: dict = {"__name__": "harness_under_test"}
    exec(
        code, namespace
    )  # safe: check_head proved MIGRATION is literal data for this emitter
    assert namespace["MIGRATION"] == expected_migration(spec, spec_path, dependencies)
    assert callable(namespace["run"]) and callable(namespace["main"])


def _naive(value):  # the classic: breaks on quotes, backslashes, CR, surrogates, ...
    return '"""' + value + '"""' if isinstance(value, str) else py_literal(value)


def _json(value):  # plausible, and wrong: surrogate pairs for astral characters
    return json.dumps(value) if isinstance(value, str) else py_literal(value)


@pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::SyntaxWarning")
@pytest.mark.parametrize(
    "emitter", [_naive, _json], ids=["triple-quote-naive", "json-dumps"]
)
def test_the_property_catches_a_naive_emitter(emitter):
    env = make_environment(emitter)
    counterexample = find(
        cases,
        lambda case: not holds(case, env),
        # The first counterexample will do: shrinking it would only cost time.
        settings=settings(
            max_examples=2000,
            deadline=None,
            database=None,
            phases=[Phase.generate],
            suppress_health_check=list(HealthCheck),
        ),
    )
    assert not holds(counterexample, env)
    assert holds(counterexample)  # the real emitter handles the same case
