"""The documentation's Markdown tables: every row has the header's cells, so
each renders as the table it means to be (a row with a cell too few or too
many is what broke docs/testing.md's options table). `.ci/run` builds the site
with `mkdocs build --strict` for links and anchors."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PAGES = sorted((REPO / "docs").glob("*.md")) + [REPO / "README.md"]
# A code span (its pipes are text), an escaped pipe, or a cell separator.
_PIECE = re.compile(r"(`+).*?\1|\\\||\|")


def cells(row: str) -> int:
    """The cells of a table row: its separators outside code spans, less the outer two."""
    return sum(1 for piece in _PIECE.finditer(row.strip()) if piece[0] == "|") - 1


def tables(text: str) -> list[list[tuple[int, str]]]:
    """Each table outside code fences: its (line number, row) pairs."""
    found: list[list[tuple[int, str]]] = []
    fenced, current = False, []
    for number, line in enumerate(text.splitlines(), start=1):
        if line.startswith("```"):
            fenced = not fenced
        if not fenced and line.startswith("|"):
            current.append((number, line))
            continue
        if current:
            found.append(current)
        current = []
    return found + ([current] if current else [])


def misshapen(text: str) -> list[int]:
    """Line numbers of rows whose cells differ from their table's header."""
    return [
        number
        for table in tables(text)
        for number, row in table
        if cells(row) != cells(table[0][1])
    ]


@pytest.mark.parametrize("page", PAGES, ids=lambda page: page.name)
def test_every_table_row_has_the_headers_cells(page):
    assert misshapen(page.read_text(encoding="utf-8")) == []


def test_a_row_with_a_cell_too_few_is_found():
    table = (
        "| option | ini key | what |\n| --- | --- | --- |\n"
        "| `--a` | `a = true` | collect |\n"
        "| `b` | the folder |\n"  # two cells: renders shifted
        "| `--c URL` | `c` | `x|y` and a \\| pipe |\n"
    )
    assert misshapen(table) == [4]
    assert misshapen("```\n| a | b |\n| c |\n```\n") == []  # code, not a table


def test_build_md_gives_the_runtimes_real_size():
    """The figure a reader weighs the committed runtime folder by."""
    runtime = (
        REPO / "generated_examples" / "shop" / "harnesses" / "_contractspec_runtime"
    )
    modules = sorted(runtime.glob("*.py"))
    lines = sum(
        len(module.read_text(encoding="utf-8").splitlines()) for module in modules
    )
    text = (REPO / "docs" / "build.md").read_text(encoding="utf-8")
    stated = re.search(r"the runtime, once: (\d+) files, ~([\d,]+) lines", text)
    assert stated, "docs/build.md no longer states the runtime's size"
    assert int(stated[1]) == len(modules)
    assert abs(int(stated[2].replace(",", "")) - lines) <= 100, lines
