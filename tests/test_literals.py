"""The literal emitter: exact round trips, black's normal form, no escape from comments/docstrings."""

from __future__ import annotations

import ast
import io
import tokenize

import black
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from support import examples

from contractspec.codegen.literals import (
    Code,
    comment_text,
    doc_text,
    py_literal,
    py_str,
)

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
    "\u2029",
    "\u202e",
    "\ufeff",
    "\ud800",
    "\udfff",
    "\x0c",
    "\x1c",
    "\x85",
    '"',
    "'",
    "'); import os; ('",
    '"); import os; ("',
    "\\N{BULLET}",
    "\\x41",
    "\t",
    "# fmt: off",
    "{{",
    "}}",
    "{% raw %}",
]

# Every code point, lone surrogates included, mixed with the troublemakers.
any_char = st.characters(codec=None, exclude_categories=())
nasty_text = st.lists(
    st.one_of(st.text(any_char, max_size=8), st.sampled_from(NASTY)), max_size=12
).map("".join)


def _black_stable(source: str) -> bool:
    return black.format_str(source, mode=MODE) == source


@pytest.mark.parametrize(
    "text, literal",
    [
        ("abc", '"abc"'),
        ('say "hi"', "'say \"hi\"'"),
        ("it's", '"it\'s"'),
        ("a\nb", '"""a\nb"""'),
        ('x\n"', '"""x\n\\""""'),
        ('a\n"""b', '"""a\n\\"\\"\\"b"""'),
        ("a\\b", '"a\\\\b"'),
        ("\u202e", '"\\u202e"'),
        ("\ud800", '"\\ud800"'),
        ("\x00", '"\\x00"'),
        ("\U0001f600", '"\U0001f600"'),  # printable: kept as is
        ("\U000e0001", '"\\U000e0001"'),  # a tag character: escaped
        ("\r\n", '"""\\r\n"""'),
    ],
)
def test_known_literals(text, literal):
    assert py_str(text) == literal
    assert ast.literal_eval(literal) == text


def test_multiline_sql_is_a_real_multiline_string():
    sql = "\nCREATE TABLE users (\n    id INTEGER PRIMARY KEY\n);\n"
    assert py_str(sql) == '"""' + sql + '"""'


def test_literal_types():
    assert py_literal(None) == "None"
    assert py_literal(True) == "True"
    assert py_literal(12) == "12"
    assert py_literal(["a", 1, None]) == '["a", 1, None]'
    assert py_literal({"k": ["v"]}) == '{"k": ["v"]}'
    assert isinstance(py_literal("x"), Code)
    with pytest.raises(TypeError):
        py_literal(1.5)
    with pytest.raises(TypeError):
        py_literal({1: 2})
    with pytest.raises(TypeError):
        py_str(b"bytes")  # type: ignore[arg-type]


@settings(max_examples=examples(1000), deadline=None)
@given(nasty_text)
@example("\n" + '"' * 7 + "\n")
@example("x\\\n")
def test_str_literal_round_trips_and_is_black_normal(text):
    literal = py_str(text)
    assert ast.literal_eval(literal) == text
    # Where harnesses put literals: dict values and list items (black never
    # wraps those; a long `name = "..."` assignment it would parenthesize).
    source = f'VALUE = {{\n    "key": {literal},\n    "items": [\n        {literal},\n    ],\n}}\n'
    source.encode("utf-8")  # no lone surrogate ever reaches the file
    assert _black_stable(source)
    # The literal is one token: nothing of the text can become code.
    tokens = [
        t
        for t in tokenize.generate_tokens(io.StringIO(literal).readline)
        if t.type not in (tokenize.NEWLINE, tokenize.NL, tokenize.ENDMARKER)
    ]
    assert [t.type for t in tokens] == [tokenize.STRING]


@settings(max_examples=examples(300), deadline=None)
@given(
    st.one_of(
        nasty_text,
        st.text(st.characters(max_codepoint=127)),
        st.text(st.sampled_from("ab '\"\n\t\\")),
    )
)
def test_fast_paths_agree_with_the_general_construction(text):
    from contractspec.codegen.literals import _one_line, _triple_quoted

    assert py_str(text) == (_triple_quoted(text) if "\n" in text else _one_line(text))


@settings(max_examples=examples(500), deadline=None)
@given(nasty_text, nasty_text)
def test_doc_text_stays_inside_a_black_stable_docstring(first, second):
    source = f'"""Title {doc_text(first)}.\n\nOwners:  {doc_text([first, second])}\n"""\n\nX = 1\n'
    source.encode("utf-8")
    namespace: dict = {}
    exec(compile(source, "<doc>", "exec"), namespace)
    assert set(namespace) - {"__builtins__"} == {"__doc__", "X"}
    assert _black_stable(source)
    assert namespace["__doc__"].count("\n") == 3  # the text never adds a line


@settings(max_examples=examples(500), deadline=None)
@given(nasty_text)
def test_comment_text_never_leaves_its_comment(text):
    source = f"# from {comment_text(text)}. DO NOT EDIT.\nX = 1\n"
    source.encode("utf-8")
    tokens = list(tokenize.generate_tokens(io.StringIO(source).readline))
    assert [t.string for t in tokens if t.type == tokenize.NAME] == ["X"]
    assert sum(1 for t in tokens if t.type == tokenize.COMMENT) == 1
    assert _black_stable(source)
