"""Every spec file in the repository survives libcst byte for byte, and so does an
edit that turns out to be a no-op."""

from __future__ import annotations

import ast
from pathlib import Path

import libcst as cst
import pytest

from contractspec.edit import BumpVersion, SetField, edit_source
from contractspec.errors import SpecError
from contractspec.loader import load_source

REPO = Path(__file__).resolve().parents[1]


def _corpus() -> list[Path]:
    files = sorted(REPO.glob("generated_examples/**/migrations/**/*.py"))
    files += sorted((REPO / "tests" / "data").rglob("*.py"))
    out = []
    for path in files:
        if any(part.startswith(".") for part in path.relative_to(REPO).parts):
            continue  # caches and other hidden folders
        try:
            ast.parse(path.read_bytes())
        except (SyntaxError, ValueError):
            continue  # fixtures that are broken on purpose
        out.append(path)
    return out


CORPUS = _corpus()


def _loads(path: Path) -> bool:
    try:
        load_source(path.read_text(encoding="utf-8"), path.as_posix())
        return True
    except (SpecError, UnicodeDecodeError):
        return False


LOADABLE = [path for path in CORPUS if _loads(path)]


def test_corpus_is_not_empty():
    assert len([p for p in CORPUS if "generated_examples" in p.parts]) >= 6
    assert len([p for p in CORPUS if "edit" in p.parts]) >= 4


@pytest.mark.parametrize("path", CORPUS, ids=lambda p: p.relative_to(REPO).as_posix())
def test_libcst_round_trip_is_byte_identical(path: Path):
    data = path.read_bytes()
    module = cst.parse_module(data)
    assert module.bytes == data
    text = data.decode("utf-8")
    assert cst.parse_module(text).code == text


@pytest.mark.parametrize("path", LOADABLE, ids=lambda p: p.relative_to(REPO).as_posix())
def test_noop_edits_leave_every_byte(path: Path):
    text = path.read_text(encoding="utf-8")
    display = path.relative_to(REPO).as_posix()
    meta = load_source(text, display).spec.meta
    for operation in (
        SetField("title", meta.title),
        SetField("owners", list(meta.owners)),
        SetField("tags", list(meta.tags)),
        SetField("stability", meta.stability),
        BumpVersion(to=meta.version),
    ):
        result = edit_source(text, display, operation)
        assert not result.changed, operation
        assert result.new_source is text or result.new_source == text
        assert result.message.startswith("already applied: ")
