"""The spec cache (loader.SpecCache): a hit loads exactly what parsing would."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from contractspec import loader
from contractspec.errors import SpecError
from contractspec.loader import SpecCache, load_specs

EXAMPLE = Path(__file__).resolve().parents[1] / "generated_examples" / "shop"


@pytest.fixture
def project(tmp_path) -> Path:
    shutil.copytree(EXAMPLE / "migrations", tmp_path / "migrations")
    return tmp_path


def _load(project: Path, cache: SpecCache | None):
    return load_specs(project / "migrations", project, cache)


def test_a_cache_hit_equals_a_fresh_parse(project, monkeypatch):
    path = project / "cache" / "specs.marshal"
    fresh = _load(project, None)
    _load(project, SpecCache(path))  # fills the cache

    def no_parsing(*args):
        raise AssertionError("a cached spec was parsed again")

    monkeypatch.setattr(loader, "load_bytes", no_parsing)
    cached = _load(project, SpecCache(path))
    assert len(fresh) == len(cached) == 6
    for a, b in zip(fresh, cached, strict=False):
        assert (a.spec, a.path, a.line, a.col, a.variable, a.positions) == (
            b.spec,
            b.path,
            b.line,
            b.col,
            b.variable,
            b.positions,
        )


def test_cached_fingerprints_are_the_specs_own_and_pinned_files_still_count(project):
    from contractspec.config import load_config
    from contractspec.fingerprint import spec_fingerprint
    from contractspec.project import fingerprint_loaded

    path = project / "cache" / "specs.marshal"
    (project / "pyproject.toml").write_text("[tool.contractspec]\n")
    config = load_config(project)
    _load(project, SpecCache(path))
    cached = {s.key: s for s in _load(project, SpecCache(path))}
    assert all(s.fingerprint == spec_fingerprint(s.spec) for s in cached.values())

    # The backfill runs a .sql file: its fingerprint pins the file's bytes, cache or not.
    backfill = cached["core.db.2025_03_backfill_display_names.v1"]
    before = fingerprint_loaded(backfill, config)
    assert before != backfill.fingerprint
    sql = next((project / "migrations").rglob("*.sql"))
    sql.write_text(sql.read_text() + "\n-- edited\n")
    assert fingerprint_loaded(backfill, config) != before
    assert fingerprint_loaded(
        cached["core.db.2025_01_add_accounts.v1"], config
    ) == spec_fingerprint(cached["core.db.2025_01_add_accounts.v1"].spec)


def test_a_changed_file_is_parsed_again_and_errors_are_never_cached(project):
    path = project / "cache" / "specs.marshal"
    _load(project, SpecCache(path))
    spec = project / "migrations" / "core" / "2025_01_add_accounts.py"
    spec.write_text(
        spec.read_text().replace('title="Add accounts table"', 'title="Accounts"')
    )
    loaded = {s.key: s for s in _load(project, SpecCache(path))}
    assert loaded["core.db.2025_01_add_accounts.v1"].spec.meta.title == "Accounts"

    spec.write_text(spec.read_text().replace("version=1", "version=0"))
    for _ in range(2):  # the error is reported every time, cache or not
        with pytest.raises(
            SpecError, match="version must be an integer from 1 to 2147483647"
        ):
            _load(project, SpecCache(path))


def test_a_corrupt_or_foreign_cache_is_ignored(project):
    path = project / "cache" / "specs.marshal"
    path.parent.mkdir()
    for text in ("not marshal", '{"schema": "someone else", "specs": {"x": 1}}'):
        path.write_text(text)
        assert len(_load(project, SpecCache(path))) == 6
