"""Data-step script classification and harness file names."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from contractspec.codegen.naming import check_collisions, harness_path, module_name
from contractspec.codegen.scripts import classify_script
from contractspec.errors import SpecError


@pytest.mark.parametrize(
    "script, kind",
    [
        ("backfill.sql", "sql_file"),
        ("sql/nested/backfill.sql", "sql_file"),
        ("../shared/backfill.sql", "sql_file"),
        ("_normalize_emails.py:normalize", "python_file"),
        ("scripts/fix.py:run_it", "python_file"),
        ("pkg.module:func", "python_module"),
        ("builtins:repr", "python_module"),
        ("a.b.c.d:_private", "python_module"),
        ("UPDATE users SET x = 1", "inline_sql"),
        ("UPDATE users SET x = 1;\nDELETE FROM y", "inline_sql"),
        ("SELECT 'a.sql'", "inline_sql"),
        (" backfill.sql", "inline_sql"),  # surrounding whitespace: not a path
        ("backfill.sql\n", "inline_sql"),
        ("pkg/module:func", "inline_sql"),  # a slash but not .py
        ("pkg.module:func()", "inline_sql"),
        ("pkg.class:func", "inline_sql"),  # a keyword is not a module name
        ("pkg.module:", "inline_sql"),
        (":func", "inline_sql"),
        (".py:func", "inline_sql"),
        ("x.py:1func", "inline_sql"),
        ("", "inline_sql"),
    ],
)
def test_classify(script, kind):
    assert classify_script(script) == kind


def test_module_names():
    assert (
        module_name("core.db.2025_01_add_users.v1") == "core__db__2025_01_add_users__v1"
    )
    config = SimpleNamespace(harness_dir=Path("/p/harnesses"))
    assert harness_path(config, "a.b.v10").as_posix() == "/p/harnesses/a__b__v10.py"
    with pytest.raises(SpecError):
        module_name("1a.b.v1")
    with pytest.raises(SpecError):
        module_name("a-b.c.v1")


def test_collisions_including_case():
    check_collisions(["a.b.v1", "a.b.v2", "a.c.v1"])
    with pytest.raises(SpecError, match="would share the harness file a__b__c__v1.py"):
        check_collisions(["a.b__c.v1", "a__b.c.v1"])
    with pytest.raises(SpecError, match="A.b.v1 and a.b.v1"):
        check_collisions(["a.b.v1", "A.b.v1"])
