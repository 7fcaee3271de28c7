"""The one safe literal emitter: every spec value reaches generated source through here.

Generated code never interpolates spec text. Templates receive spec values
only through the filters below, each of which returns `Code`: source text
that is known to be safe at the place it is used. The jinja environment
refuses to print anything that is not `Code` (see `render.py`), so a raw
string can't slip into a harness by accident.

- `py_literal(value)`: a Python literal (str, int, bool, None, list, dict)
  that evaluates to exactly `value`. Strings that span lines become real
  triple-quoted strings when that reproduces the text exactly; everything
  else is a one-line literal with escapes. Non-printable characters
  (controls, NUL, lone surrogates, bidi overrides such as U+202E, line
  separators such as U+2028, non-breaking spaces) are always escaped, so
  what a reviewer sees is what runs. The output is already in black's
  normal form (quote choice, lowercase hex escapes).
- `migration_literal(data)`: a harness's MIGRATION in the layout build
  writes (see there).
- `doc_text(value)`: one line of docstring text that *shows* a value:
  whitespace collapsed, non-printable characters shown as escapes,
  backslashes and double quotes escaped. It can't end the docstring.
- `comment_text(value)`: the same idea for the few comments we generate
  (file paths in the header); a comment can't be broken out of because it
  never contains a line break.
"""

from __future__ import annotations

import ast
import functools
from collections.abc import Callable, Mapping
from typing import Any

__all__ = [
    "Code",
    "py_literal",
    "py_str",
    "migration_literal",
    "doc_text",
    "comment_text",
    "string_literal",
]


class Code(str):
    """Python source produced by an emitter in this module (or a fixed, trusted text)."""

    __slots__ = ()


_SIMPLE_ESCAPES = {"\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def escape_char(char: str) -> str:
    """A non-printable character as a Python escape sequence (lowercase hex, as black writes it)."""
    code = ord(char)
    if code < 0x100:
        return f"\\x{code:02x}"
    if code < 0x10000:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


def string_literal(text: str, quote: str = '"', *, multiline: bool = False) -> str:
    """Source text that evaluates to exactly `text`, for codegen and the editor alike.

    One line with escapes; or, with multiline=True and a line break in `text`, a
    triple-quoted string whose lines are the text's lines. `quote` is the quote
    character the surrounding code prefers: a one-line literal takes the other
    one when that needs fewer escapes (black's rule).
    """
    if multiline and "\n" in text:
        return _triple_quoted(text, quote)
    return _one_line(text, quote)


def _one_line(text: str, preferred: str = '"') -> str:
    other = "'" if preferred == '"' else '"'
    quote = other if text.count(preferred) > text.count(other) else preferred
    out = []
    for char in text:
        if char in _SIMPLE_ESCAPES:
            out.append(_SIMPLE_ESCAPES[char])
        elif char == quote:
            out.append("\\" + char)
        elif char.isprintable():
            out.append(char)
        else:
            out.append(escape_char(char))
    return quote + "".join(out) + quote


def _triple_quoted(text: str, quote: str = '"') -> str:
    """Triple-quoted with real line breaks; escapes only what must be escaped."""
    out = []
    index = 0
    length = len(text)
    while index < length:
        char = text[index]
        if char == quote:
            end = index
            while end < length and text[end] == quote:
                end += 1
            run = end - index
            # A run of three quotes would end the string; a run at the very end
            # would merge with the closing quotes. Escape those runs whole.
            if run >= 3 or end == length:
                out.append(("\\" + quote) * run)
            else:
                out.append(quote * run)
            index = end
            continue
        if char == "\n" or char == "\t":
            out.append(char)
        elif char == "\\":
            out.append("\\\\")
        elif char == "\r":
            out.append("\\r")
        elif char.isprintable():
            out.append(char)
        else:
            out.append(escape_char(char))
        index += 1
    return quote * 3 + "".join(out) + quote * 3


def _plain(text: str) -> bool:
    """Printable ASCII without backslashes: the common case, emitted without a per-character loop."""
    return text.isascii() and text.isprintable() and "\\" not in text


def py_str(text: str) -> Code:
    """A string literal that evaluates to exactly `text`."""
    if not isinstance(text, str):
        raise TypeError(f"py_str expects str, got {type(text).__name__}")
    if _plain(text):
        if '"' not in text:
            return Code('"' + text + '"')
        if "'" not in text:
            return Code("'" + text + "'")
    elif (
        "\n" in text
        and "\r" not in text
        and '"' not in text
        and _plain(text.replace("\n", ""))
    ):
        return Code('"""' + text + '"""')
    if "\n" in text:
        source = _triple_quoted(text)
        # Belt and braces: the construction above is exact, but the cost of
        # checking is tiny next to the cost of ever emitting the wrong SQL.
        try:
            if ast.literal_eval(source) == text:
                return Code(source)
        except (SyntaxError, ValueError):  # pragma: no cover - defensive
            pass
    return Code(_one_line(text))


def py_literal(value: Any) -> Code:
    """A Python literal for plain data: None, bool, int, str, list, tuple (as list), dict."""
    if isinstance(value, str):  # first: by far the most common
        return py_str(value)
    if value is None or isinstance(value, bool):
        return Code(repr(value))
    if isinstance(value, int):
        return Code(str(int(value)))
    if isinstance(value, (list, tuple)):
        return Code("[" + ", ".join(py_literal(v) for v in value) + "]")
    if isinstance(value, dict):
        items = []
        for key, item in value.items():
            if not isinstance(key, str):
                raise TypeError(f"dict keys must be str, got {type(key).__name__}")
            items.append(f"{py_str(key)}: {py_literal(item)}")
        return Code("{" + ", ".join(items) + "}")
    raise TypeError(f"cannot emit a literal for a {type(value).__name__} value")


_CHECK_LISTS = ("pre_checks", "post_checks")
_key = functools.cache(py_str)  # MIGRATION's keys: a few dozen names, printed often


def migration_literal(
    migration: Mapping[str, Any], literal: Callable[[Any], str] = py_literal
) -> Code:
    """A harness's MIGRATION, laid out as black keeps it: the dict, its lists,
    each step and each check one entry a line, every line ending in a comma (the
    "magic trailing comma": black leaves such a literal alone). Empty lists and
    step options stay inline. So a one-line change in a spec is a one-line
    change in the harness, and `migrate` can check a harness by printing what
    its spec generates and comparing bytes. `literal` prints the values (tests
    pass a broken one to prove the property tests bite)."""
    lines = ["{"]
    for key, value in migration.items():
        if not (isinstance(value, list) and value):
            lines.append(f"    {_key(key)}: {literal(value)},")
            continue
        lines.append(f"    {_key(key)}: [")
        for item in value:
            if isinstance(item, dict):  # a step
                lines.append("        {")
                for name, entry in item.items():
                    if name in _CHECK_LISTS and entry:
                        lines.append(f"            {_key(name)}: [")
                        for check in entry:
                            lines.append("                {")
                            lines += [
                                f"                    {_key(k)}: {literal(v)},"
                                for k, v in check.items()
                            ]
                            lines.append("                },")
                        lines.append("            ],")
                    else:
                        lines.append(f"            {_key(name)}: {literal(entry)},")
                lines.append("        },")
            else:
                lines.append(f"        {literal(item)},")
        lines.append("    ],")
    lines.append("}")
    return Code("\n".join(lines))


def _shown(text: str, extra: dict[str, str], prefix: str) -> str:
    out = []
    for char in text:
        if char in extra:
            out.append(extra[char])
        elif char.isprintable():
            out.append(char)
        else:
            out.append(prefix + escape_char(char))
    return "".join(out)


def doc_text(value: Any) -> Code:
    """A value shown on one docstring line (inside a `\"\"\"` docstring).

    Whitespace runs (including line breaks of every kind) become one space,
    and an empty value shows as `-`;
    other non-printable characters appear as `\\uXXXX` text; backslashes and
    double quotes are escaped, so the docstring can't end early and black
    leaves it alone.
    """
    if isinstance(value, (list, tuple)):
        text = ", ".join(str(v) for v in value)
    else:
        text = "" if value is None else str(value)
    text = " ".join(text.split()) or "-"  # never an empty (trailing-space) line
    if _plain(text) and '"' not in text:
        return Code(text)
    # Inside a string literal the escape is shown, not interpreted: its
    # backslash is itself escaped.
    return Code(_shown(text, {"\\": "\\\\", '"': '\\"'}, "\\"))


def comment_text(value: str) -> Code:
    """Text for a generated comment: one line, printable, escapes shown literally."""
    return Code(_shown(str(value), {"\\": "\\\\"}, ""))
