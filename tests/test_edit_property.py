"""Property tests: random sequences of edits on the example specs.

After every edit the file must still load, mean exactly what the edit says
(the loaded spec equals the old one with the edit applied to its plain data),
keep every comment (removals may only drop comments), touch no line outside
the part of the spec the edit is about, and stay black-formatted when it was.
The string literal emitter round-trips every code point.
"""

from __future__ import annotations

import ast
import copy
import difflib
from pathlib import Path
from typing import Any

import black
import libcst as cst
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from libcst.metadata import MetadataWrapper, PositionProvider
from support import examples

from contractspec import spec as model
from contractspec.codegen.literals import string_literal
from contractspec.edit import (
    AddCheck,
    AddDependency,
    AddStep,
    BumpVersion,
    EditRefused,
    RemoveDependency,
    RemoveStep,
    SetField,
    edit_source,
)
from contractspec.edit.layout import normalize_sql
from contractspec.errors import UsageError
from contractspec.loader import load_source

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = sorted(
    p
    for p in (REPO / "generated_examples").glob("*/migrations/**/*.py")
    if not p.name.startswith("_")
)
FIXTURES = sorted((REPO / "tests" / "data" / "edit").glob("*.py"))
LINE_LENGTH = 100

# -- strategies ----------------------------------------------------------------

words = st.text(
    alphabet="abcdefghij klmnop'\"\\éß😀\t", min_size=1, max_size=24
).filter(lambda s: s.strip())
names = st.from_regex(r"\A(core|billing)\.db\.[a-z][a-z0-9_]{0,12}\Z")
references = st.one_of(
    names, st.builds(lambda n, v: f"{n}.v{v}", names, st.integers(1, 4))
)
sql = st.one_of(
    st.sampled_from(
        [
            "SELECT 1",
            "SELECT COUNT(*) = 0 FROM t",
            "DROP TABLE t",
            "UPDATE t SET x = 'y'",
        ]
    ),
    st.lists(
        st.sampled_from(
            ["SELECT a,", "  b", "FROM t", 'WHERE x = \'"""\'', "-- note \\ here"]
        ),
        min_size=2,
        max_size=4,
    ).map("\n".join),
)
maybe_int = st.one_of(st.none(), st.integers(1, 60000))

operations = st.one_of(
    st.builds(BumpVersion),
    st.builds(SetField, st.sampled_from(["title", "description", "domain"]), words),
    st.builds(SetField, st.just("stability"), st.sampled_from(model.STABILITIES)),
    st.builds(
        SetField,
        st.sampled_from(["owners", "tags"]),
        st.lists(
            st.from_regex(r"\A[a-z][a-z-]{0,10}\Z"), min_size=1, max_size=4, unique=True
        ),
    ),
    st.builds(AddDependency, references),
    st.builds(
        RemoveDependency,
        st.sampled_from(["core.db.2025_01_add_users", "core.db.2025_01_add_accounts"]),
    ),
    st.builds(
        AddStep,
        st.sampled_from(["schema", "data", "validation"]),
        sql,
        down=st.booleans(),
        position=st.one_of(st.none(), st.integers(1, 3)),
        description=st.one_of(st.none(), words),
        timeout_ms=maybe_int,
        retries=st.one_of(st.none(), st.integers(0, 5)),
    ),
    st.builds(
        AddCheck,
        st.integers(1, 3),
        st.sampled_from(["pre", "post"]),
        words,
        sql,
        down=st.booleans(),
    ),
    st.builds(RemoveStep, st.integers(1, 3), down=st.booleans()),
)


# -- the meaning of an edit, on plain data ---------------------------------------


def expected(data: dict[str, Any], op) -> dict[str, Any]:
    data = copy.deepcopy(data)
    meta, plan = data["meta"], data["plan"]
    if isinstance(op, BumpVersion):
        meta["version"] += 1
    elif isinstance(op, SetField):
        meta[op.field] = list(op.value) if op.field in ("owners", "tags") else op.value
    elif isinstance(op, AddDependency):
        data["dependencies"].append(op.reference)
    elif isinstance(op, RemoveDependency):
        data["dependencies"].remove(op.reference)
    elif isinstance(op, AddStep):
        direction = "down" if op.down else "up"
        steps = plan[direction] if plan[direction] is not None else []
        step = model.step_to_dict(
            model.STEP_CLASSES[op.kind](
                normalize_sql(op.payload),
                description=op.description,
                timeout_ms=op.timeout_ms,
                retries=op.retries or 0,
            )
        )
        steps.insert(len(steps) if op.position is None else op.position - 1, step)
        plan[direction] = steps
    elif isinstance(op, AddCheck):
        step = plan["down" if op.down else "up"][op.step - 1]
        step[f"{op.when}_checks"].append(
            {"description": op.description, "expression": normalize_sql(op.expression)}
        )
    elif isinstance(op, RemoveStep):
        del plan["down" if op.down else "up"][op.step - 1]
    return data


# -- where an edit may touch -----------------------------------------------------


def allowed_lines(source: str, op) -> set[int]:
    """Lines of source an edit may change: the spec part it is about, imports and module-level names."""
    module = cst.parse_module(source)
    wrapper = MetadataWrapper(module, unsafe_skip_copy=True)
    positions = wrapper.resolve(PositionProvider)

    def lines(node: cst.CSTNode) -> set[int]:
        where = positions[node]
        return set(range(where.start.line, where.end.line + 1))

    variable = load_source(source, "spec.py").variable
    allowed: set[int] = set()
    spec_statement = None
    for statement in module.body:
        if isinstance(statement, cst.SimpleStatementLine):
            small = statement.body[0]
            if isinstance(small, (cst.ImportFrom, cst.Import)):
                allowed |= lines(statement)
            elif isinstance(small, (cst.Assign, cst.AnnAssign)):
                targets = small.targets if isinstance(small, cst.Assign) else [small]
                if any(getattr(t.target, "value", None) == variable for t in targets):
                    spec_statement = statement
                else:
                    allowed |= lines(
                        statement
                    )  # a module-level name the spec refers to
    assert spec_statement is not None
    call = spec_statement.body[0].value
    if positions[call].start.line == positions[call].end.line:
        return allowed | lines(
            spec_statement
        )  # a one-line spec is re-wrapped as a whole
    want = {
        BumpVersion: ("meta", 0),
        SetField: ("meta", 0),
        AddDependency: ("dependencies", 2),
        RemoveDependency: ("dependencies", 2),
    }.get(type(op), ("plan", 1))
    for index, arg in enumerate(call.args):
        if (arg.keyword is not None and arg.keyword.value == want[0]) or (
            arg.keyword is None and index == want[1]
        ):
            allowed |= lines(arg)
            if want[0] == "dependencies":
                # Removing the last argument takes the comma after the one before it, and
                # the comment lines above it.
                allowed |= set(
                    range(
                        positions[call.args[index - 1]].end.line,
                        positions[call].end.line + 1,
                    )
                )
            return allowed
    # The argument is absent: it goes after the last one, before the closing bracket.
    allowed |= lines(call.args[-1])
    allowed.add(positions[call].end.line)
    return allowed


def assert_local(old: str, new: str, op) -> None:
    allowed = allowed_lines(old, op)
    old_lines, new_lines = old.splitlines(), new.splitlines()
    matcher = difflib.SequenceMatcher(a=old_lines, b=new_lines, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        touched = set(range(i1 + 1, i2 + 1)) if i2 > i1 else {i1, i1 + 1}
        assert touched & allowed if i2 == i1 else touched <= allowed, (
            op,
            tag,
            old_lines[i1:i2],
            new_lines[j1:j2],
        )


def comments(source: str) -> list[str]:
    found: list[str] = []

    class Collect(cst.CSTVisitor):
        def visit_Comment(self, node: cst.Comment) -> None:
            found.append(node.value)

    cst.parse_module(source).visit(Collect())
    return sorted(found)


def black_stable(source: str) -> bool:
    return black.format_str(source, mode=black.Mode(line_length=LINE_LENGTH)) == source


REMOVALS = (RemoveStep, RemoveDependency, SetField)


@settings(
    max_examples=examples(60),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(
    path=st.sampled_from(EXAMPLES + FIXTURES),
    ops=st.lists(operations, min_size=1, max_size=6),
)
def test_random_edit_sequences(path: Path, ops):
    source = path.read_text(encoding="utf-8")
    display = path.relative_to(REPO).as_posix()
    was_black = black_stable(source)
    for op in ops:
        try:
            result = edit_source(source, display, op, line_length=LINE_LENGTH)
        except (EditRefused, UsageError):
            continue
        if not result.changed:
            assert result.new_source == source
            continue
        new = result.new_source
        before, after = load_source(source, display), load_source(new, display)
        assert model.to_dict(after.spec) == expected(model.to_dict(before.spec), op), op
        old_comments, new_comments = comments(source), comments(new)
        if isinstance(op, REMOVALS):
            assert not (set(new_comments) - set(old_comments))
            assert len(new_comments) <= len(old_comments)
        else:
            assert new_comments == old_comments
        assert_local(source, new, op)
        source = new
    if was_black:
        assert black_stable(source), source


@settings(max_examples=examples(300), deadline=None)
@given(
    value=st.text(alphabet=st.characters(codec=None, categories=None)),
    quote=st.sampled_from(['"', "'"]),
    multiline=st.booleans(),
)
def test_string_literal_round_trips_every_code_point(
    value: str, quote: str, multiline: bool
):
    literal = string_literal(value, quote, multiline=multiline)
    assert ast.literal_eval(literal) == value
    assert cst.parse_expression(literal).evaluated_value == value
    if not (multiline and "\n" in value):
        assert "\n" not in literal


@given(st.text(alphabet=" \t\r\nab;'\"", max_size=40))
def test_normalize_sql_is_idempotent(text: str):
    once = normalize_sql(text)
    assert normalize_sql(once) == once
    assert once.split() == text.split()
