"""Fingerprints follow what a spec means, not how its file is written."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from contractspec.codegen.fingerprint import (
    canonical_json,
    fingerprint_loaded,
    spec_fingerprint,
)
from contractspec.commands import open_project
from contractspec.errors import SpecError
from contractspec.loader import load_source
from contractspec.spec import to_dict

REPO = Path(__file__).resolve().parents[1]
SHOP = REPO / "generated_examples" / "shop"

COMPACT = """from contractspec import MigrationMeta, MigrationPlan, MigrationSpec, SchemaStep
s = MigrationSpec(meta=MigrationMeta(name="a.b.c", version=1, title="T", owners=["o"]), plan=MigrationPlan(up=[SchemaStep("SELECT 1")]))
"""
SPREAD = """# A comment that changes nothing.
from contractspec import (
    MigrationMeta,
    MigrationPlan,
    MigrationSpec,
    SchemaStep,
)

SQL = "SELECT 1"  # moved into a constant

s = MigrationSpec(
    plan=MigrationPlan(up=[SchemaStep(sql=SQL)]),  # keyword order differs too
    meta=MigrationMeta(
        owners=["o"],
        title="T",
        version=1,
        name="a.b.c",
    ),
)
"""


def test_formatting_comments_and_constants_do_not_change_the_fingerprint():
    one = load_source(COMPACT, "one.py")
    two = load_source(SPREAD, "two.py")
    assert spec_fingerprint(one) == spec_fingerprint(two)
    assert spec_fingerprint(one) == spec_fingerprint(one.spec)


def test_the_canonical_form_is_documented_json():
    loaded = load_source(COMPACT, "one.py")
    text = json.dumps(
        to_dict(loaded.spec), sort_keys=True, separators=(",", ":"), ensure_ascii=True
    )
    assert canonical_json(loaded.spec) == text
    assert (
        spec_fingerprint(loaded)
        == "sha256:" + hashlib.sha256(text.encode()).hexdigest()
    )


def test_meaning_changes_the_fingerprint():
    base = spec_fingerprint(load_source(COMPACT, "x.py"))
    for old, new in (
        ("SELECT 1", "SELECT 2"),
        ('title="T"', 'title="U"'),
        ('["o"]', '["o", "p"]'),
    ):
        assert spec_fingerprint(load_source(COMPACT.replace(old, new), "x.py")) != base


def test_pins_are_part_of_the_fingerprint_in_any_order():
    spec = load_source(COMPACT, "x.py")
    assert spec_fingerprint(spec, {"up.0": "aa"}) != spec_fingerprint(spec)
    assert spec_fingerprint(spec, {"up.0": "aa"}) != spec_fingerprint(
        spec, {"up.0": "ab"}
    )
    assert spec_fingerprint(spec, {"up.0": "a", "up.1": "b"}) == spec_fingerprint(
        spec, [("up.1", "b"), ("up.0", "a")]
    )


def test_nul_is_fine_and_surrogates_never_reach_the_fingerprint():
    spec = load_source(COMPACT.replace("SELECT 1", "SELECT '\\x00'"), "x.py")
    assert spec_fingerprint(spec).startswith("sha256:")
    # A lone surrogate is not text a database can store: refused at load.
    with pytest.raises(SpecError, match="lone surrogate"):
        load_source(COMPACT.replace("SELECT 1", "SELECT '\\ud800'"), "x.py")


def test_fingerprint_loaded_reads_pinned_files(tmp_path, copy_tracked):
    shop = copy_tracked(SHOP, tmp_path / "shop", skip=("harnesses",))
    key = "core.db.2025_03_backfill_display_names.v1"
    project = open_project(shop)
    before = fingerprint_loaded(project.specs[key], project.config)
    assert before != spec_fingerprint(project.specs[key])  # the files count
    # The header of the committed harness says the same.
    committed = (
        SHOP / "harnesses" / "core__db__2025_03_backfill_display_names__v1.py"
    ).read_text()
    assert f"# contractspec-fingerprint: {before} MIGRATION=sha256:" in committed
    (shop / "migrations" / "core" / "backfill_display_names.sql").write_text(
        "UPDATE users SET display_name = 'x';\n"
    )
    project = open_project(shop)
    assert fingerprint_loaded(project.specs[key], project.config) != before
