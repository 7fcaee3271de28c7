"""docs/completion.md: the generated scripts load and complete, in a real bash."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ENV = dict(
    os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"
)


@pytest.mark.parametrize(
    "words, expected",
    [
        ("contractspec migrate ''", "baseline confirm create down status up"),
        ("contractspec build --ch", "--check"),
    ],
)
def test_bash_completes_subcommands_and_options(tmp_path, words, expected):
    script = tmp_path / "complete.bash"
    # The documented command, then what bash does on TAB.
    subprocess.run(
        f"_CONTRACTSPEC_COMPLETE=bash_source contractspec > {script}",
        shell=True,
        check=True,
        env=ENV,
    )
    probe = (
        f". {script}; COMP_WORDS=({words}); COMP_CWORD=$((${{#COMP_WORDS[@]}} - 1));"
        ' _contractspec_completion contractspec; echo "${COMPREPLY[*]}"'
    )
    out = subprocess.run(
        ["bash", "-c", probe], capture_output=True, text=True, check=True, env=ENV
    ).stdout
    assert out.strip() == expected


@pytest.mark.parametrize(
    "shell, start",
    [("zsh", "#compdef contractspec"), ("fish", "function _contractspec_completion")],
)
def test_zsh_and_fish_scripts_are_generated(shell, start):
    out = subprocess.run(
        ["contractspec"],
        env=dict(ENV, _CONTRACTSPEC_COMPLETE=f"{shell}_source"),
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert out.startswith(start)
    assert f"_CONTRACTSPEC_COMPLETE={shell}_complete" in out
