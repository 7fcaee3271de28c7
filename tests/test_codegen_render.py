"""Templates and the render layer: the raw-value guard, the runtime contract, template lookup."""

from __future__ import annotations

import pytest

from contractspec.codegen.generate import HEAD_CONTEXT
from contractspec.codegen.literals import Code
from contractspec.codegen.render import (
    make_environment,
    render_tail,
    runtime_facts,
    templates_dir,
)
from contractspec.format import format_in_context, format_source, is_black_stable

RUNTIME = """import os
import sys


def run_migration(migration, command, database, **options):
    return {"status": "ok", "base_dir": options.get("base_dir")}


def runtime_main(migration, argv=None{extra}):
    return 0
"""


def test_templates_are_found():
    assert (templates_dir() / "harness.py.j2").is_file()
    assert (templates_dir() / "harness_tail.py.j2").is_file()


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


@pytest.mark.parametrize(
    "extra, explicit", [("", False), (", base_dir=None", True), (", **options", True)]
)
def test_main_passes_base_dir_when_the_runtime_takes_it(extra, explicit):
    runtime = RUNTIME.replace("{extra}", extra)
    assert runtime_facts(runtime) == {"main_takes_base_dir": explicit}
    tail = format_in_context(HEAD_CONTEXT, render_tail(runtime), None)
    whole = HEAD_CONTEXT + tail
    assert is_black_stable(whole)
    assert (
        "base_dir=os.path.dirname(os.path.abspath(__file__))"
        in tail.split("def main")[1]
    ) is explicit
    namespace: dict = {"__file__": "/somewhere/h.py"}
    exec(compile(whole, "h.py", "exec"), namespace)
    assert namespace["run"]("up", "sqlite:///:memory:")["base_dir"] == "/somewhere"
    assert namespace["main"]([]) == 0


@pytest.mark.parametrize(
    "runtime, problem",
    [
        (
            "from __future__ import annotations\n" + RUNTIME.replace("{extra}", ""),
            "__future__",
        ),
        (RUNTIME.replace("{extra}", "").replace("import sys\n", ""), "lacks sys"),
        (
            RUNTIME.replace("{extra}", "") + "\n\ndef main():\n    pass\n",
            "defines main",
        ),
        (RUNTIME.replace("{extra}", "") + "\nMIGRATION = {}\n", "defines MIGRATION"),
    ],
)
def test_a_runtime_that_can_not_be_embedded_is_refused(runtime, problem):
    with pytest.raises(RuntimeError, match=problem):
        runtime_facts(runtime)


def test_format_source_uses_black_defaults_not_project_config(tmp_path, monkeypatch):
    (tmp_path / "pyproject.toml").write_text(
        "[tool.black]\nline-length = 20\nskip-string-normalization = true\n"
    )
    monkeypatch.chdir(tmp_path)
    source = "x = {'a': 'bbbbbbbbbbbbbbbbbbbbbbbbbbbbbb'}\n"
    assert format_source(source) == 'x = {"a": "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"}\n'
