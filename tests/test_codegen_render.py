"""Templates and the render layer: the raw-value guard, the entry points, template lookup."""

from __future__ import annotations

import pytest

from contractspec.codegen.generate import HEAD_CONTEXT, tail_source
from contractspec.codegen.literals import Code
from contractspec.codegen.render import (
    RUNTIME_FILE,
    RUNTIME_NAME,
    make_environment,
    templates_dir,
)
from contractspec.format import format_in_context, format_source, is_black_stable

# A stand-in for the shared runtime module: records how the entry points call it.
RUNTIME = """
def run_migration(migration, command, database, **options):
    return {"command": command, **options}


def runtime_main(migration, argv=None, harness=None):
    return len(argv) if harness else -1
"""


def test_templates_are_found():
    assert (templates_dir() / "harness.py.j2").is_file()
    assert (templates_dir() / "harness_tail.py").is_file()


def test_a_raw_value_can_not_reach_the_output():
    env = make_environment()
    with pytest.raises(TypeError, match="raw str value"):
        env.from_string("x = {{ value }}").render(value="'); import os; ('")
    assert env.from_string("x = {{ value | lit }}").render(value="a'b") == 'x = "a\'b"'
    assert (
        env.from_string("x = {{ value }}").render(value=Code('"trusted"'))
        == 'x = "trusted"'
    )


def test_undefined_values_fail_loudly():
    import jinja2

    with pytest.raises(jinja2.UndefinedError):
        make_environment().from_string("{{ missing | lit }}").render()


def _entry_points(folder):
    """The formatted tail, executed as the harness `folder/h.py` would run it."""
    import importlib.util
    import os
    import sys

    tail = tail_source()
    assert format_in_context(HEAD_CONTEXT, tail, None) == tail  # as black leaves it
    assert is_black_stable(HEAD_CONTEXT + tail)
    assert f'name = "{RUNTIME_NAME}"' in tail
    namespace = {"__file__": str(folder / "h.py"), "MIGRATION": {}}
    namespace.update(os=os, sys=sys, importlib=importlib)
    exec(compile(tail, str(folder / "h.py"), "exec"), namespace)
    return namespace


def test_the_entry_points_call_the_runtime_module_beside_the_harness(tmp_path):
    (tmp_path / RUNTIME_FILE).write_text(RUNTIME)
    harness = _entry_points(tmp_path)
    result = harness["run"]("up", "sqlite:///:memory:")
    assert result == {"command": "up", "harness": str(tmp_path / "h.py")}
    assert harness["main"](["up", "--json"]) == 2


def test_a_missing_runtime_module_is_one_line_naming_build(tmp_path, capsys):
    harness = _entry_points(tmp_path)
    assert harness["main"](["up"]) == 3
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and "contractspec build" in error
    with pytest.raises(ImportError, match="is missing; run: contractspec build"):
        harness["run"]("plan", "sqlite:///:memory:")


def test_format_source_uses_black_defaults_not_project_config(tmp_path, monkeypatch):
    (tmp_path / "pyproject.toml").write_text(
        "[tool.black]\nline-length = 20\nskip-string-normalization = true\n"
    )
    monkeypatch.chdir(tmp_path)
    source = "x = {'a': 'bbbbbbbbbbbbbbbbbbbbbbbbbbbbbb'}\n"
    assert format_source(source) == 'x = {"a": "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"}\n'
