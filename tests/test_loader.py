"""The static spec loader, on the corpus under tests/data/specs.

Every invalid file states what the loader must report, exactly, in
`# expect: <path>:<line>:<col>: <message>` lines at its top (the path is
relative to tests/data/specs). Columns are 1-based characters.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from contractspec import (
    DataStep,
    MigrationCheck,
    MigrationMeta,
    MigrationPlan,
    MigrationSpec,
    SchemaStep,
    ValidationStep,
)
from contractspec.errors import Diagnostic, SpecError
from contractspec.loader import discover, load_file, load_source, load_specs

DATA = Path(__file__).parent / "data" / "specs"
VALID = DATA / "valid"
INVALID = DATA / "invalid"
EXPECT = re.compile(r"^# expect: (.*?)\r?$", re.MULTILINE)
HEADER = "from contractspec import DataStep, MigrationCheck, MigrationMeta, MigrationPlan, MigrationSpec, SchemaStep, ValidationStep\n"


def display(path: Path) -> str:
    return path.relative_to(DATA).as_posix()


def expected_lines(path: Path) -> list[str]:
    # latin-1 reads every file, including the one that is deliberately not UTF-8.
    text = (
        path.read_bytes().decode("latin-1").encode("latin-1").decode("utf-8", "replace")
    )
    return EXPECT.findall(text)


def reported(path: Path) -> list[str]:
    with pytest.raises(SpecError) as caught:
        load_file(path, display(path))
    return [str(d) for d in caught.value.diagnostics]


INVALID_FILES = discover(INVALID)


def test_corpus_is_big_enough():
    assert len(INVALID_FILES) >= 15
    assert all(expected_lines(p) for p in INVALID_FILES), [
        p.name for p in INVALID_FILES if not expected_lines(p)
    ]


@pytest.mark.parametrize("path", INVALID_FILES, ids=lambda p: p.name)
def test_invalid_file_reports_exactly(path):
    assert reported(path) == expected_lines(path)


def test_every_invalid_file_in_one_run():
    """load_specs reports every problem of every file together, sorted by path, line, col."""
    expected = [line for path in INVALID_FILES for line in expected_lines(path)]
    with pytest.raises(SpecError) as caught:
        load_specs(INVALID, root=DATA)
    got = [str(d) for d in caught.value.diagnostics]
    assert got == sorted(expected, key=lambda s: _sort_key(s))
    assert str(caught.value) == "\n".join(got)
    assert len({d.path for d in caught.value.diagnostics}) == len(INVALID_FILES)


def _sort_key(line: str):
    path, row, col, message = re.match(r"^(.*?):(\d+):(\d+): (.*)$", line).groups()
    return path, int(row), int(col), message


def test_problems_in_several_files_are_reported_together(tmp_path):
    (tmp_path / "b.py").write_text(
        HEADER + _spec_text("t.b", version="0"), encoding="utf-8"
    )
    (tmp_path / "a.py").write_text(
        HEADER + _spec_text("t.a", stability='"gold"'), encoding="utf-8"
    )
    (tmp_path / "c.py").write_text(HEADER + _spec_text("t.c"), encoding="utf-8")  # fine
    with pytest.raises(SpecError) as caught:
        load_specs(tmp_path, root=tmp_path)
    assert [str(d) for d in caught.value.diagnostics] == [
        "a.py:3:99: unknown stability 'gold': expected one of idea, in_creation, experimental, beta, stable, deprecated",
        "b.py:3:61: version must be an integer from 1 to 2147483647, got 0",
    ]


def _spec_text(
    name: str,
    version: str = "1",
    stability: str = '"beta"',
    up: str = '[SchemaStep("SELECT 1")]',
) -> str:
    return (
        "\n"
        f'spec = MigrationSpec(meta=MigrationMeta(name="{name}", version={version}, title="T", owners=["o"], stability={stability}),'
        f" plan=MigrationPlan(up={up}))\n"
    )


# -- discovery -----------------------------------------------------------------------------


def test_discovery_is_sorted_and_skips_underscore_and_non_python_files():
    assert [display(p) for p in discover(VALID)] == [
        "valid/billing/2025_03_orders.py",
        "valid/billing/2025_03_orders_v2.py",
        "valid/core/2025_01_add_accounts.py",
        "valid/core/2025_01_add_users.py",
        "valid/core/2025_02_positional.py",
        "valid/side_effects.py",
    ]
    # They exist, and would fail to load: proof that they are skipped, not merely absent.
    assert (VALID / "billing" / "_totals.py").is_file()
    assert (VALID / "_private" / "ignored.py").is_file()
    assert (INVALID / "_skipped.py").is_file()
    assert "invalid/_skipped.py" not in [display(p) for p in discover(INVALID)]


def test_discovery_order_does_not_depend_on_creation_order(tmp_path):
    for name in [
        "z.py",
        "a/b.py",
        "m.py",
        "a/a.py",
        "_x.py",
        ".hidden.py",
        "b/__init__.py",
        "__pycache__/m.py",
    ]:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("", encoding="utf-8")
    assert [p.relative_to(tmp_path).as_posix() for p in discover(tmp_path)] == [
        "a/a.py",
        "a/b.py",
        "m.py",
        "z.py",
    ]


def test_missing_folder_discovers_nothing(tmp_path):
    assert discover(tmp_path / "nope") == []
    assert load_specs(tmp_path / "nope") == []


# -- the valid corpus -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def valid():
    return {loaded.path: loaded for loaded in load_specs(VALID, root=DATA)}


def test_valid_corpus_loads(valid):
    assert list(valid) == [display(p) for p in discover(VALID)]
    assert [(v.key, v.line, v.col, v.variable) for v in valid.values()] == [
        ("billing.db.2025_03_orders.v1", 23, 10, "orders"),
        ("billing.db.2025_03_orders.v2", 4, 13, "orders_v2"),
        ("core.db.2025_01_add_accounts.v1", 10, 16, "add_accounts"),
        ("core.db.2025_01_add_users.v1", 4, 21, "AddUsersMigration"),
        ("core.db.2025_02_positional.v1", 4, 8, "spec"),
        ("tests.valid.side_effects.v1", 16, 8, "spec"),
    ]


def test_keywords_comments_and_triple_quoted_sql(valid):
    spec = valid["valid/core/2025_01_add_accounts.py"].spec
    assert spec == MigrationSpec(
        meta=MigrationMeta(
            name="core.db.2025_01_add_accounts",
            version=1,
            title="Add accounts table",
            description="Every user belongs to an account.",
            domain="core",
            owners=["team-core"],
            tags=["schema", "accounts"],
            stability="stable",
        ),
        plan=MigrationPlan(
            up=[
                SchemaStep(
                    sql="\nCREATE TABLE accounts (\n    id INTEGER PRIMARY KEY,\n"
                    '    slug TEXT NOT NULL UNIQUE  -- a "quoted" comment inside SQL\n)\n',
                    description="Create accounts",
                    timeout_ms=5000,
                    retries=2,
                    pre_checks=[],
                    post_checks=[
                        MigrationCheck(
                            "accounts starts empty", "SELECT COUNT(*) = 0 FROM accounts"
                        )
                    ],
                )
            ],
            down=[SchemaStep(sql="DROP TABLE accounts", description="Drop accounts")],
        ),
        dependencies=[],
    )


def test_module_alias(valid):
    spec = valid["valid/core/2025_01_add_users.py"].spec
    assert spec.meta.owners == ["team-core", "alice@example.com"]
    assert spec.plan.up == [
        SchemaStep(
            "CREATE TABLE users (id INTEGER PRIMARY KEY, account_id INTEGER NOT NULL, email TEXT NOT NULL)",
            description="Create users",
        ),
        ValidationStep(
            assertion="SELECT COUNT(*) = 0 FROM users", description="users starts empty"
        ),
    ]
    assert spec.plan.down == []  # reversible no-op, distinct from None
    assert spec.dependencies == ["core.db.2025_01_add_accounts"]


@pytest.mark.parametrize(
    "imports, prefix",
    [
        (
            "from contractspec.spec import MigrationMeta, MigrationPlan, MigrationSpec, SchemaStep",
            "",
        ),
        ("import contractspec.spec as cs", "cs."),
    ],
)
def test_the_model_may_come_from_its_module_too(imports, prefix):
    source = (
        f"{imports}\n\nspec = {prefix}MigrationSpec(meta={prefix}MigrationMeta(name='x.db.a', version=1,"
        f" title='a', owners=['qa']), plan={prefix}MigrationPlan(up=[{prefix}SchemaStep('SELECT 1')]))\n"
    )
    assert load_source(source, "a.py").spec.plan.up == [SchemaStep("SELECT 1")]


def test_a_relative_import_of_the_same_names_is_not_the_model():
    source = "from .contractspec import MigrationSpec\n\nspec = MigrationSpec()\n"
    with pytest.raises(SpecError, match="no module-level `NAME = MigrationSpec"):
        load_source(source, "a.py")


def test_positional_arguments_and_tuples(valid):
    assert valid["valid/core/2025_02_positional.py"].spec == MigrationSpec(
        MigrationMeta(
            "core.db.2025_02_positional",
            1,
            "Positional form",
            "All positional.",
            "core",
            ["team-core"],
            ["x"],
            "idea",
        ),
        MigrationPlan(
            [
                SchemaStep(
                    "CREATE INDEX users_email ON users (email)",
                    pre_checks=[MigrationCheck("users exists", "SELECT 1")],
                ),
                ValidationStep("SELECT 1"),
            ],
            [SchemaStep("DROP INDEX users_email")],
        ),
        ["core.db.2025_01_add_users.v1"],
    )


def test_aliases_bindings_concatenation_and_signed_numbers(valid):
    assert valid["valid/billing/2025_03_orders.py"].spec == MigrationSpec(
        meta=MigrationMeta(
            name="billing.db.2025_03_orders",
            version=1,
            title="Add orders",
            owners=["team-billing"],
            tags=["schema"],
            stability="experimental",
        ),
        plan=MigrationPlan(
            up=[
                SchemaStep(
                    "CREATE TABLE orders ( id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL)",
                    timeout_ms=30000,
                    retries=0,
                ),
                SchemaStep(
                    "ALTER TABLE orders ADD COLUMN status TEXT",
                    post_checks=[
                        MigrationCheck(
                            "no order lacks a status",
                            "SELECT COUNT(*) = 0 FROM orders WHERE status IS NULL",
                        )
                    ],
                ),
                DataStep(script="UPDATE orders SET status = 'open'"),
            ],
            down=None,
        ),
        dependencies=["core.db.2025_01_add_users"],
    )


def test_non_ascii_and_data_step_pointers(valid):
    spec = valid["valid/billing/2025_03_orders_v2.py"].spec
    assert spec.meta.title == "Orders: résumé of totals → cents"
    assert spec.meta.owners == ["team-billing", "zoë@example.com"]
    assert [s.script for s in spec.plan.up] == [
        "sql/backfill_totals.sql",
        "_totals.py:recompute",
        "billing_tools.totals:recompute",
    ]
    assert spec.plan.down is None  # omitted: irreversible


def test_positions_point_at_fields(valid):
    loaded = valid["valid/core/2025_01_add_accounts.py"]
    assert loaded.position(("meta",)) == (11, 10)
    assert loaded.position(("meta", "version")) == (13, 17)
    assert loaded.position(("plan", "up", 0, "timeout_ms")) == (32, 28)
    assert loaded.position(("plan", "up", 0, "post_checks", 0, "expression")) == (
        38,
        36,
    )
    # A field that was never written falls back to its nearest written parent.
    assert loaded.position(("meta", "nothing", 3)) == (11, 10)
    assert loaded.diagnostic(("meta", "version"), "m") == Diagnostic(
        "valid/core/2025_01_add_accounts.py", 13, 17, "m"
    )


# -- no execution ---------------------------------------------------------------------------


def _run_python(path: Path, marker: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, CONTRACTSPEC_TEST_MARKER=str(marker))
    return subprocess.run(
        [sys.executable, str(path)], env=env, capture_output=True, text=True
    )


@pytest.mark.parametrize(
    "name", ["valid/side_effects.py", "invalid/side_effects_invalid.py"]
)
def test_the_side_effect_files_really_have_side_effects(tmp_path, name):
    """Control: executed by Python, these files write the marker and exit non-zero."""
    marker = tmp_path / "marker"
    done = _run_python(DATA / name, marker)
    assert done.returncode == 1 and "spec file was executed" in done.stderr
    assert marker.read_text() == "executed"


def test_loader_never_executes_a_spec_file(tmp_path, monkeypatch):
    marker = tmp_path / "marker"
    monkeypatch.setenv("CONTRACTSPEC_TEST_MARKER", str(marker))
    modules = set(sys.modules)
    loaded = load_file(
        VALID / "side_effects.py", "valid/side_effects.py"
    )  # no SystemExit
    assert loaded.key == "tests.valid.side_effects.v1"
    assert reported(INVALID / "side_effects_invalid.py") == expected_lines(
        INVALID / "side_effects_invalid.py"
    )
    load_specs(VALID, root=DATA)
    with pytest.raises(SpecError):
        load_specs(INVALID, root=DATA)
    assert not marker.exists()
    assert (
        set(sys.modules) - modules == set()
    )  # nothing imported, the _totals.py helper included


# -- details ----------------------------------------------------------------------------------


def test_line_endings_crlf(tmp_path):
    """CRLF files: lines and columns as an editor shows them (non-ASCII before the value)."""
    text = HEADER + _spec_text("t.crlf", up='[SchemaStep("→ é", timeout_ms=0)]')
    path = tmp_path / "crlf.py"
    path.write_bytes(text.replace("\n", "\r\n").encode("utf-8"))
    with pytest.raises(SpecError) as caught:
        load_file(path, "crlf.py")
    line = text.splitlines()[2]
    assert [str(d) for d in caught.value.diagnostics] == [
        f"crlf.py:3:{line.index('0)]') + 1}: timeout_ms must be an integer from 1 to 2147483647, got 0"
    ]
    assert line.index("0)]") + 1 == 163  # characters; the UTF-8 byte offset is 166


def test_utf8_bom_is_accepted(tmp_path):
    path = tmp_path / "bom.py"
    path.write_bytes(
        b"\xef\xbb\xbf" + (HEADER + _spec_text("t.bom", version="0")).encode("utf-8")
    )
    with pytest.raises(SpecError) as caught:
        load_file(path, "bom.py")
    assert [str(d) for d in caught.value.diagnostics] == [
        "bom.py:3:63: version must be an integer from 1 to 2147483647, got 0"
    ]


def test_invalid_escape_sequences_in_sql_are_not_warned_about(recwarn):
    loaded = load_source(
        HEADER + _spec_text("t.esc", up="[SchemaStep(\"SELECT '\\d'\")]"), "esc.py"
    )
    assert loaded.spec.plan.up[0].sql == "SELECT '\\d'"
    assert len(recwarn) == 0


def test_null_byte_is_a_diagnostic(tmp_path):
    path = tmp_path / "nul.py"
    path.write_bytes(b"x = 1\n\x00\n")
    with pytest.raises(SpecError) as caught:
        load_file(path, "nul.py")
    [diagnostic] = caught.value.diagnostics
    assert (diagnostic.path, diagnostic.line, diagnostic.col) == ("nul.py", 1, 1)
    assert "null bytes" in diagnostic.message


def test_unreadable_path_is_a_diagnostic(tmp_path):
    with pytest.raises(SpecError) as caught:
        load_file(tmp_path / "missing.py", "missing.py")
    assert [str(d) for d in caught.value.diagnostics] == [
        "missing.py:1:1: spec file cannot be read: No such file or directory"
    ]


def test_load_source_returns_positions_and_variable():
    loaded = load_source(HEADER + _spec_text("t.src"), "src.py")
    assert (loaded.path, loaded.line, loaded.col, loaded.variable, loaded.key) == (
        "src.py",
        3,
        8,
        "spec",
        "t.src.v1",
    )


def test_binding_used_in_two_places_builds_two_values():
    source = (
        HEADER
        + 'CHECK = MigrationCheck("c", "SELECT 1")\n'
        + _spec_text(
            "t.twice",
            up='[SchemaStep("a", pre_checks=[CHECK]), SchemaStep("b", post_checks=[CHECK])]',
        )
    )
    up = load_source(source, "twice.py").spec.plan.up
    assert up[0].pre_checks == up[1].post_checks == [MigrationCheck("c", "SELECT 1")]
    assert up[0].pre_checks[0] is not up[1].post_checks[0]


def test_error_inside_a_binding_points_at_the_binding():
    source = (
        HEADER
        + 'OWNERS = ["ok", ""]\n'
        + _spec_text("t.own").replace('owners=["o"]', "owners=OWNERS")
    )
    with pytest.raises(SpecError) as caught:
        load_source(source, "own.py")
    assert [str(d) for d in caught.value.diagnostics] == [
        "own.py:2:17: an owner must be a non-empty string"
    ]


def test_nested_bad_values_report_only_the_real_problem():
    source = HEADER + _spec_text("t.nest").replace(
        'owners=["o"]', 'owners=["o"], tags=[["x", make()]]'
    )
    with pytest.raises(SpecError) as caught:
        load_source(source, "nest.py")
    assert [d.message.split(":")[0] for d in caught.value.diagnostics] == [
        "call to unknown function 'make'"
    ]
