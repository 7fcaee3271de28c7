"""Before/after pairs for every `spec` edit (in the style of libcst's codemod tests).

Each case gives the source before, the operation, and the exact source after;
applying the operation again to the result must be a no-op ("already applied")
for every operation that names a state rather than a change.
"""

from __future__ import annotations

from textwrap import dedent

import pytest

from contractspec.edit import (
    AddCheck,
    AddDependency,
    AddStep,
    BumpVersion,
    EditRefused,
    RemoveDependency,
    RemoveStep,
    SetField,
    edit_source,
)
from contractspec.errors import UsageError
from contractspec.loader import load_source

PATH = "migrations/core/spec.py"

BASE = """\
from contractspec import MigrationMeta, MigrationPlan, MigrationSpec, SchemaStep

spec = MigrationSpec(
    meta=MigrationMeta(
        name="core.db.2025_01_base",
        version=1,
        title="Base",
        owners=["team-core"],
    ),
    plan=MigrationPlan(
        up=[
            SchemaStep(sql="CREATE TABLE t (id INTEGER)", description="Create t"),
        ],
    ),
)
"""


def edit(before: str, operation, line_length: int = 100):
    return edit_source(dedent(before), PATH, operation, line_length=line_length)


def assert_edit(
    before: str,
    operation,
    after: str,
    *,
    idempotent: bool = True,
    line_length: int = 100,
) -> None:
    result = edit(before, operation, line_length)
    assert result.changed, result.message
    assert result.new_source == dedent(after)
    load_source(result.new_source, PATH)  # still loads and validates
    if idempotent:
        again = edit_source(result.new_source, PATH, operation, line_length=line_length)
        assert not again.changed
        assert again.message.startswith("already applied: ")
        assert again.new_source == result.new_source


def assert_noop(before: str, operation, message: str) -> None:
    result = edit(before, operation)
    assert not result.changed
    assert result.new_source == dedent(before)
    assert result.message == f"already applied: {message}"


def assert_refused(before: str, operation, *diagnostics: str) -> None:
    with pytest.raises(EditRefused) as caught:
        edit(before, operation)
    assert [str(d) for d in caught.value.diagnostics] == list(diagnostics)
    assert caught.value.note.startswith("the file was not changed")


# ---------------------------------------------------------------------------
# bump-version


def test_bump_version():
    assert_edit(
        BASE, BumpVersion(), BASE.replace("version=1,", "version=2,"), idempotent=False
    )


def test_bump_version_to_and_already_there():
    after = BASE.replace("version=1,", "version=7,")
    assert_edit(BASE, BumpVersion(to=7), after)
    assert_noop(after, BumpVersion(to=7), "version is already 7")


def test_bump_version_never_lowers():
    with pytest.raises(
        UsageError, match="cannot set version to 1: it is 7, and versions only go up"
    ):
        edit(BASE.replace("version=1,", "version=7,"), BumpVersion(to=1))


def test_bump_version_positional_one_line_call():
    before = """\
    from contractspec import MigrationMeta, MigrationPlan, MigrationSpec, SchemaStep
    spec = MigrationSpec(MigrationMeta("core.db.x", 1, "X", owners=["me"]), MigrationPlan([SchemaStep("SELECT 1")]))
    """
    # The line was over the limit already and the edit does not make it longer: left alone.
    assert_edit(
        before,
        BumpVersion(),
        before.replace('"core.db.x", 1,', '"core.db.x", 2,'),
        idempotent=False,
    )
    # An edit that makes it longer re-wraps it, the way black would.
    after = """\
    from contractspec import MigrationMeta, MigrationPlan, MigrationSpec, SchemaStep
    spec = MigrationSpec(
        MigrationMeta("core.db.x", 1, "X", owners=["me"]),
        MigrationPlan([SchemaStep("SELECT 1")]),
        dependencies=["core.db.y"],
    )
    """
    assert_edit(before, AddDependency("core.db.y"), after)


def test_bump_version_through_a_module_level_name():
    before = """\
    from contractspec import MigrationMeta, MigrationPlan, MigrationSpec, SchemaStep

    VERSION = 4  # bumped by hand until now

    spec = MigrationSpec(
        meta=MigrationMeta(name="core.db.x", version=VERSION, title="X", owners=["me"]),
        plan=MigrationPlan(up=[SchemaStep("SELECT 1")]),
    )
    """
    after = before.replace("VERSION = 4  #", "VERSION = 5  #")
    assert_edit(before, BumpVersion(), after, idempotent=False)


# ---------------------------------------------------------------------------
# set


def test_set_title_keeps_quote_style():
    before = BASE.replace('title="Base"', "title='Base'")
    assert_edit(
        before,
        SetField("title", "Basis"),
        before.replace("title='Base'", "title='Basis'"),
    )


def test_set_title_with_a_quote_inside():
    assert_edit(
        BASE,
        SetField("title", 'Say "hi"'),
        BASE.replace('title="Base"', "title='Say \"hi\"'"),
    )


def test_set_title_already_applied():
    assert_noop(BASE, SetField("title", "Base"), "title is already 'Base'")


def test_set_description_inserted_in_field_order():
    after = BASE.replace(
        '        title="Base",\n',
        '        title="Base",\n        description="Why it exists",\n',
    )
    assert_edit(BASE, SetField("description", "Why it exists"), after)


def test_set_field_to_its_default_when_absent_is_a_noop():
    assert_noop(
        BASE, SetField("description", ""), "description is already '' (the default)"
    )
    assert_noop(
        BASE,
        SetField("stability", "experimental"),
        "stability is already 'experimental' (the default)",
    )
    assert_noop(BASE, SetField("tags", []), "tags is already [] (the default)")


def test_set_stability_goes_last():
    after = BASE.replace(
        '        owners=["team-core"],\n',
        '        owners=["team-core"],\n        stability="beta",\n',
    )
    assert_edit(BASE, SetField("stability", "beta"), after)


def test_set_tags_inserted_after_owners():
    after = BASE.replace(
        '        owners=["team-core"],\n',
        '        owners=["team-core"],\n        tags=["schema", "users"],\n',
    )
    assert_edit(BASE, SetField("tags", ["schema", "users"]), after)


def test_set_owners_edits_the_list_in_place():
    before = """\
    from contractspec import MigrationMeta, MigrationPlan, MigrationSpec, SchemaStep

    spec = MigrationSpec(
        meta=MigrationMeta(
            name="core.db.x",
            version=1,
            title="X",
            owners=[
                "team-core",  # approves schema changes
                # the on-call DBA
                "dba@example.com",
                "bob@example.com",
            ],
        ),
        plan=MigrationPlan(up=[SchemaStep("SELECT 1")]),
    )
    """
    after = """\
    from contractspec import MigrationMeta, MigrationPlan, MigrationSpec, SchemaStep

    spec = MigrationSpec(
        meta=MigrationMeta(
            name="core.db.x",
            version=1,
            title="X",
            owners=[
                "team-core",  # approves schema changes
                "alice@example.com",
                "bob@example.com",
            ],
        ),
        plan=MigrationPlan(up=[SchemaStep("SELECT 1")]),
    )
    """
    # The DBA goes with the comment above it; alice takes the free place.
    assert_edit(
        before,
        SetField("owners", ["team-core", "alice@example.com", "bob@example.com"]),
        after,
    )


def test_set_owners_append_and_remove():
    two = BASE.replace(
        'owners=["team-core"]', 'owners=["team-core", "alice@example.com"]'
    )
    assert_edit(BASE, SetField("owners", ["team-core", "alice@example.com"]), two)
    assert_edit(
        two,
        SetField("owners", ["alice@example.com"]),
        BASE.replace('["team-core"]', '["alice@example.com"]'),
    )


def test_set_tags_empty_keeps_an_explicit_empty_list():
    before = BASE.replace(
        'owners=["team-core"],', 'owners=["team-core"],\n        tags=["a"],'
    )
    after = BASE.replace(
        'owners=["team-core"],', 'owners=["team-core"],\n        tags=[],'
    )
    assert_edit(before, SetField("tags", []), after)


def test_set_tuple_keeps_a_tuple():
    before = BASE.replace('owners=["team-core"],', 'owners=("team-core", "bob"),')
    assert_edit(
        before,
        SetField("owners", ["bob"]),
        BASE.replace('owners=["team-core"],', 'owners=("bob",),'),
    )


def test_set_parenthesized_concatenated_string():
    before = """\
    from contractspec import MigrationMeta, MigrationPlan, MigrationSpec, SchemaStep

    spec = MigrationSpec(
        meta=MigrationMeta(
            name="core.db.x",
            version=1,
            title="X",
            description=(
                "A description that was long enough "
                "to be split over two lines."
            ),
            owners=["me"],
        ),
        plan=MigrationPlan(up=[SchemaStep("SELECT 1")]),
    )
    """
    before = dedent(before)
    short = before.replace(
        """description=(
            "A description that was long enough "
            "to be split over two lines."
        ),""",
        'description="Short again.",',
    )
    assert_edit(before, SetField("description", "Short again."), short)
    long_text = (
        "Still long: "
        + "every word of this sentence matters to somebody, " * 2
        + "so it wraps."
    )
    wrapped = before.replace(
        '''"A description that was long enough "
            "to be split over two lines."''',
        '''"Still long: every word of this sentence matters to somebody, every word of this "
            "sentence matters to somebody, so it wraps."''',
    )
    assert_edit(before, SetField("description", long_text), wrapped)


def test_set_implicitly_concatenated_string_on_one_line():
    before = BASE.replace('title="Base"', 'title="Ba" "se"')
    assert_noop(before, SetField("title", "Base"), "title is already 'Base'")
    assert_edit(
        before, SetField("title", "Top"), BASE.replace('title="Base"', 'title="Top"')
    )


def test_set_through_a_module_level_list():
    before = """\
    from contractspec import MigrationMeta, MigrationPlan, MigrationSpec, SchemaStep

    OWNERS = ["team-core"]

    spec = MigrationSpec(
        meta=MigrationMeta(name="core.db.x", version=1, title="X", owners=OWNERS),
        plan=MigrationPlan(up=[SchemaStep("SELECT 1")]),
    )
    """
    after = before.replace('OWNERS = ["team-core"]', 'OWNERS = ["team-core", "bob"]')
    assert_edit(before, SetField("owners", ["team-core", "bob"]), after)


def test_set_unknown_field_is_a_usage_error():
    with pytest.raises(UsageError, match="cannot set 'name'"):
        edit(BASE, SetField("name", "core.db.y"))


# ---------------------------------------------------------------------------
# dependencies


def test_add_dependency_creates_the_argument():
    after = BASE.replace(
        "    ),\n)\n", '    ),\n    dependencies=["core.db.2025_01_add_users"],\n)\n'
    )
    assert_edit(BASE, AddDependency("core.db.2025_01_add_users"), after)


def test_add_dependency_appends():
    before = BASE.replace("    ),\n)\n", '    ),\n    dependencies=["core.db.a"],\n)\n')
    after = BASE.replace(
        "    ),\n)\n", '    ),\n    dependencies=["core.db.a", "core.db.b.v2"],\n)\n'
    )
    assert_edit(before, AddDependency("core.db.b.v2"), after)


def test_add_dependency_wraps_a_list_that_grows_too_long():
    before = BASE.replace(
        "    ),\n)\n",
        '    ),\n    dependencies=["core.db.2025_01_add_accounts", "core.db.2025_01_add_users"],\n)\n',
    )
    after = BASE.replace(
        "    ),\n)\n",
        """    ),
    dependencies=[
        "core.db.2025_01_add_accounts",
        "core.db.2025_01_add_users",
        "billing.db.2025_02_add_orders",
    ],
)
""",
    )
    assert_edit(before, AddDependency("billing.db.2025_02_add_orders"), after)


def test_add_dependency_on_another_version_of_a_dependency_is_refused():
    before = BASE.replace(
        "    ),\n)\n", '    ),\n    dependencies=["core.db.a.v1"],\n)\n'
    )
    assert_refused(
        before,
        AddDependency("core.db.a"),
        f"{PATH}:15:19: cannot add dependency 'core.db.a': it already depends on 'core.db.a.v1';"
        " remove that dependency first",
    )


def test_remove_dependency():
    before = BASE.replace(
        "    ),\n)\n", '    ),\n    dependencies=["core.db.a", "core.db.b"],\n)\n'
    )
    after = BASE.replace("    ),\n)\n", '    ),\n    dependencies=["core.db.b"],\n)\n')
    assert_edit(before, RemoveDependency("core.db.a"), after)


def test_remove_last_dependency_removes_the_argument():
    before = BASE.replace(
        "    ),\n)\n",
        '    ),\n    dependencies=["core.db.a"],  # the accounts table\n)\n',
    )
    assert_edit(before, RemoveDependency("core.db.a"), BASE)


def test_remove_dependency_not_there():
    assert_noop(BASE, RemoveDependency("core.db.a"), "does not depend on 'core.db.a'")
    before = BASE.replace(
        "    ),\n)\n", '    ),\n    dependencies=["core.db.a.v2"],\n)\n'
    )
    assert_noop(
        before,
        RemoveDependency("core.db.a"),
        "does not depend on 'core.db.a' (it depends on 'core.db.a.v2')",
    )


def test_add_and_remove_dependency_round_trip_to_the_same_bytes():
    added = edit(BASE, AddDependency("core.db.a")).new_source
    assert edit_source(added, PATH, RemoveDependency("core.db.a")).new_source == BASE


def test_dependency_without_trailing_comma_and_with_comments():
    before = """\
    from contractspec import MigrationMeta, MigrationPlan, MigrationSpec, SchemaStep

    spec = MigrationSpec(
        meta=MigrationMeta(name="core.db.x", version=1, title="X", owners=["me"]),
        plan=MigrationPlan(up=[SchemaStep("SELECT 1")]),  # the whole plan

        # what must run first
        dependencies=[
            "core.db.a"  # accounts
        ]
    )
    """
    after = """\
    from contractspec import MigrationMeta, MigrationPlan, MigrationSpec, SchemaStep

    spec = MigrationSpec(
        meta=MigrationMeta(name="core.db.x", version=1, title="X", owners=["me"]),
        plan=MigrationPlan(up=[SchemaStep("SELECT 1")]),  # the whole plan

        # what must run first
        dependencies=[
            "core.db.a",  # accounts
            "core.db.b",
        ]
    )
    """
    assert_edit(before, AddDependency("core.db.b"), after)


# ---------------------------------------------------------------------------
# add-step


def test_add_step_appends_in_sibling_style():
    after = BASE.replace(
        '            SchemaStep(sql="CREATE TABLE t (id INTEGER)", description="Create t"),\n',
        '            SchemaStep(sql="CREATE TABLE t (id INTEGER)", description="Create t"),\n'
        '            SchemaStep(sql="CREATE INDEX t_id ON t (id)", description="Index t"),\n',
    )
    assert_edit(
        BASE,
        AddStep("schema", "CREATE INDEX t_id ON t (id)", description="Index t"),
        after,
    )


def test_add_step_at_position_one_with_timeout_and_retries():
    after = BASE.replace(
        "        up=[\n",
        '        up=[\n            SchemaStep(sql="SELECT 1", timeout_ms=500, retries=2),\n',
    )
    assert_edit(
        BASE,
        AddStep("schema", "SELECT 1", position=1, timeout_ms=500, retries=2),
        after,
    )


def test_add_step_multi_line_sql_is_triple_quoted():
    after = BASE.replace(
        '            SchemaStep(sql="CREATE TABLE t (id INTEGER)", description="Create t"),\n',
        '''            SchemaStep(sql="CREATE TABLE t (id INTEGER)", description="Create t"),
            SchemaStep(
                sql="""
CREATE TABLE u (
    id INTEGER PRIMARY KEY,
    t_id INTEGER REFERENCES t (id)
)
""",
                description="Create u",
            ),
''',
    )
    sql = "  CREATE TABLE u (\n    id INTEGER PRIMARY KEY,\n    t_id INTEGER REFERENCES t (id)\n)\n\n"
    assert_edit(
        BASE,
        AddStep("schema", sql.replace("  CREATE", "CREATE"), description="Create u"),
        after,
    )


def test_add_step_adds_the_class_to_the_import():
    after = BASE.replace(
        "from contractspec import MigrationMeta, MigrationPlan, MigrationSpec, SchemaStep",
        "from contractspec import DataStep, MigrationMeta, MigrationPlan, MigrationSpec, SchemaStep",
    ).replace(
        '            SchemaStep(sql="CREATE TABLE t (id INTEGER)", description="Create t"),\n',
        '            SchemaStep(sql="CREATE TABLE t (id INTEGER)", description="Create t"),\n'
        '            DataStep(script="backfill.sql"),\n',
    )
    assert_edit(BASE, AddStep("data", "backfill.sql"), after)


def test_add_step_down_when_there_is_no_down_plan():
    after = BASE.replace(
        "        ],\n    ),\n)",
        '        ],\n        down=[SchemaStep(sql="DROP TABLE t", description="Drop t")],\n    ),\n)',
    )
    assert_edit(
        BASE, AddStep("schema", "DROP TABLE t", down=True, description="Drop t"), after
    )


def test_add_step_down_into_an_empty_or_none_down_plan():
    for empty in ("[]", "None"):
        before = BASE.replace(
            "        ],\n    ),\n)", f"        ],\n        down={empty},\n    ),\n)"
        )
        after = BASE.replace(
            "        ],\n    ),\n)",
            '        ],\n        down=[SchemaStep(sql="DROP TABLE t")],\n    ),\n)',
        )
        assert_edit(before, AddStep("schema", "DROP TABLE t", down=True), after)


def test_add_step_already_there():
    assert_noop(
        BASE,
        AddStep("schema", "CREATE  TABLE t (id INTEGER)\n", description="Create t"),
        "the up plan already has this step (step 1)",
    )


def test_add_step_position_out_of_range():
    with pytest.raises(
        UsageError, match=r"the up plan has 1 step \(positions 1 to 2\)"
    ):
        edit(BASE, AddStep("schema", "SELECT 1", position=3))


def test_add_step_follows_positional_payloads_and_single_quotes():
    before = """\
    from contractspec import MigrationMeta, MigrationPlan, MigrationSpec, ValidationStep

    spec = MigrationSpec(
        meta=MigrationMeta(name='core.db.x', version=1, title='X', owners=['me']),
        plan=MigrationPlan(up=[ValidationStep('SELECT 1')]),
    )
    """
    after = """\
    from contractspec import MigrationMeta, MigrationPlan, MigrationSpec, ValidationStep

    spec = MigrationSpec(
        meta=MigrationMeta(name='core.db.x', version=1, title='X', owners=['me']),
        plan=MigrationPlan(up=[ValidationStep('SELECT 1'), ValidationStep("SELECT 'it''s'")]),
    )
    """
    assert_edit(before, AddStep("validation", "SELECT 'it''s'"), after)


def test_add_step_module_alias_and_renamed_imports():
    before = """\
    import contractspec as cs

    migration = cs.MigrationSpec(
        meta=cs.MigrationMeta(name="core.db.x", version=1, title="X", owners=["me"]),
        plan=cs.MigrationPlan(
            up=[cs.SchemaStep(sql="SELECT 1")],
        ),
    )
    """
    before = dedent(before)
    after = before.replace(
        '        up=[cs.SchemaStep(sql="SELECT 1")],\n',
        '        up=[cs.SchemaStep(sql="SELECT 1")],\n        down=[cs.DataStep(script="undo.py:run")],\n',
    )
    assert_edit(before, AddStep("data", "undo.py:run", down=True), after)

    renamed = """\
    from contractspec import MigrationMeta as Meta
    from contractspec import MigrationPlan as Plan
    from contractspec import MigrationSpec as Spec
    from contractspec import ValidationStep as Check

    SPEC = Spec(Meta("core.db.x", 1, "X", owners=["me"]), Plan([Check("SELECT 1")]))
    """
    renamed_after = """\
    from contractspec import MigrationMeta as Meta
    from contractspec import MigrationPlan as Plan
    from contractspec import MigrationSpec as Spec
    from contractspec import SchemaStep
    from contractspec import ValidationStep as Check

    SPEC = Spec(
        Meta("core.db.x", 1, "X", owners=["me"]), Plan([SchemaStep("SELECT 0"), Check("SELECT 1")])
    )
    """
    assert_edit(renamed, AddStep("schema", "SELECT 0", position=1), renamed_after)


def test_one_import_per_line_gains_lines_in_order_and_loses_them_again():
    from contractspec.edit import edit_source_many

    before = """\
# the model
from contractspec import MigrationMeta as Meta
from contractspec import MigrationPlan as Plan
from contractspec import MigrationSpec as Spec
from contractspec import SchemaStep

SPEC = Spec(Meta("core.db.x", 1, "X", owners=["me"]), Plan([SchemaStep("SELECT 1")]))
"""
    added = edit_source_many(
        before,
        PATH,
        [AddStep("data", "x.sql"), AddStep("validation", "SELECT 2")],
        line_length=100,
    ).new_source
    # Above the first line but under its comment, and below the last line.
    assert added.startswith(
        "# the model\n"
        "from contractspec import DataStep\n"
        "from contractspec import MigrationMeta as Meta\n"
        "from contractspec import MigrationPlan as Plan\n"
        "from contractspec import MigrationSpec as Spec\n"
        "from contractspec import SchemaStep\n"
        "from contractspec import ValidationStep\n\n"
    )
    removed = edit_source_many(
        added, PATH, [RemoveStep(3), RemoveStep(2)], line_length=100
    ).new_source
    assert removed.split("\n\n")[0] == before.split("\n\n")[0]


def test_add_step_to_one_line_plan_rewraps_that_line_only():
    before = """\
    from contractspec import MigrationMeta, MigrationPlan, MigrationSpec, SchemaStep

    spec = MigrationSpec(
        meta=MigrationMeta(name="core.db.x", version=1, title="X", owners=["me"]),  # who
        plan=MigrationPlan(up=[SchemaStep("CREATE TABLE x (id INTEGER)")]),  # what
    )
    """
    after = """\
    from contractspec import MigrationMeta, MigrationPlan, MigrationSpec, SchemaStep

    spec = MigrationSpec(
        meta=MigrationMeta(name="core.db.x", version=1, title="X", owners=["me"]),  # who
        plan=MigrationPlan(
            up=[
                SchemaStep("CREATE TABLE x (id INTEGER)"),
                SchemaStep("CREATE INDEX x_id ON x (id)", description="Index x by id"),
            ]
        ),  # what
    )
    """
    assert_edit(
        before,
        AddStep("schema", "CREATE INDEX x_id ON x (id)", description="Index x by id"),
        after,
    )


# ---------------------------------------------------------------------------
# add-check


def test_add_check_creates_the_list():
    after = BASE.replace(
        '            SchemaStep(sql="CREATE TABLE t (id INTEGER)", description="Create t"),\n',
        """            SchemaStep(
                sql="CREATE TABLE t (id INTEGER)",
                description="Create t",
                post_checks=[
                    MigrationCheck(
                        description="t is empty", expression="SELECT COUNT(*) = 0 FROM t"
                    )
                ],
            ),
""",
    ).replace("import MigrationMeta", "import MigrationCheck, MigrationMeta")
    assert_edit(
        BASE, AddCheck(1, "post", "t is empty", "SELECT COUNT(*) = 0 FROM t"), after
    )


def test_add_check_pre_goes_before_post_and_appends_to_a_list():
    before = """\
    from contractspec import MigrationCheck, MigrationMeta, MigrationPlan, MigrationSpec, SchemaStep

    spec = MigrationSpec(
        meta=MigrationMeta(name="core.db.x", version=1, title="X", owners=["me"]),
        plan=MigrationPlan(
            up=[
                SchemaStep(
                    sql="SELECT 1",
                    timeout_ms=100,
                    # runs after the payload
                    post_checks=[
                        MigrationCheck(
                            description="one",
                            expression="SELECT 1",
                        )
                    ],
                ),
            ],
        ),
    )
    """
    before = dedent(before)
    pre = before.replace(
        "                timeout_ms=100,\n",
        '                timeout_ms=100,\n                pre_checks=[MigrationCheck(description="ready", expression="SELECT 2")],\n',
    )
    assert_edit(before, AddCheck(1, "pre", "ready", "SELECT 2"), pre)
    post = before.replace(
        """                    )
                ],""",
        """                    ),
                    MigrationCheck(description="two", expression="SELECT 2"),
                ],""",
    )
    assert_edit(before, AddCheck(1, "post", "two", "SELECT 2"), post)


def test_add_check_already_there():
    before = BASE.replace(
        'description="Create t")',
        'description="Create t", post_checks=[MigrationCheck("t", "SELECT 1")])',
    ).replace("import MigrationMeta", "import MigrationCheck, MigrationMeta")
    assert_noop(
        before,
        AddCheck(1, "post", "t", "SELECT  1"),
        "up step 1 already has this post-check (check 1)",
    )


def test_add_check_to_a_missing_step():
    with pytest.raises(
        UsageError, match="cannot add a check to up step 2: the up plan has 1 step"
    ):
        edit(BASE, AddCheck(2, "post", "x", "SELECT 1"))
    with pytest.raises(
        UsageError, match="cannot add a check to down step 1: the spec has no down plan"
    ):
        edit(BASE, AddCheck(1, "post", "x", "SELECT 1", down=True))


# ---------------------------------------------------------------------------
# remove-step

TWO_STEPS = """\
from contractspec import MigrationMeta, MigrationPlan, MigrationSpec, SchemaStep

spec = MigrationSpec(
    meta=MigrationMeta(name="core.db.x", version=1, title="X", owners=["me"]),
    plan=MigrationPlan(
        up=[
            SchemaStep(sql="SELECT 1"),  # first

            # The second step: comments above a step go with it.
            SchemaStep(sql="SELECT 2"),
        ],
        down=[SchemaStep(sql="SELECT 3")],
    ),
)
"""


def test_remove_step_takes_its_comments():
    after = TWO_STEPS.replace(
        """  # first

            # The second step: comments above a step go with it.
            SchemaStep(sql="SELECT 2"),
""",
        "  # first\n",
    )
    assert_edit(TWO_STEPS, RemoveStep(2), after, idempotent=False)


def test_remove_first_step():
    after = TWO_STEPS.replace(
        """            SchemaStep(sql="SELECT 1"),  # first

""",
        "\n",
    ).replace("        up=[\n\n", "        up=[\n")
    assert_edit(TWO_STEPS, RemoveStep(1), after, idempotent=False)


def test_remove_last_down_step_leaves_an_empty_down_plan():
    after = TWO_STEPS.replace('down=[SchemaStep(sql="SELECT 3")]', "down=[]")
    assert_edit(TWO_STEPS, RemoveStep(1, down=True), after, idempotent=False)


def test_remove_the_only_up_step_is_refused_by_validation():
    assert_refused(
        TWO_STEPS.replace('            SchemaStep(sql="SELECT 1"),  # first\n', ""),
        RemoveStep(1),
        f"{PATH}:6:12: the up plan must have at least one step",
    )


# ---------------------------------------------------------------------------
# Refusals: a target that is not a literal, with its exact position.

REFUSE = """\
from contractspec import MigrationMeta, MigrationPlan, MigrationSpec, SchemaStep
from teams import CORE

VERSION = 1
TITLE = "Shared"

spec = MigrationSpec(
    meta=MigrationMeta(
        name="core.db.x",
        version={version},
        title={title},
        owners={owners},
    ),
    plan=MigrationPlan(up=[SchemaStep("SELECT 1")]),
)
OTHER_TITLE = TITLE
"""


def refuse_source(version="1", title='"X"', owners='["me"]') -> str:
    return REFUSE.format(version=version, title=title, owners=owners)


def test_refuse_call():
    assert_refused(
        refuse_source(version="compute()"),
        BumpVersion(),
        f"{PATH}:10:17: cannot edit version: it is a call to 'compute', not a literal",
    )


def test_refuse_f_string():
    assert_refused(
        refuse_source(title='f"{VERSION}"'),
        SetField("title", "Y"),
        f"{PATH}:11:15: cannot edit title: it is an f-string, not a literal",
    )


def test_refuse_operator_expression():
    assert_refused(
        refuse_source(version="VERSION + 1"),
        BumpVersion(),
        f"{PATH}:10:17: cannot edit version: it is an operator expression, not a literal",
    )


def test_refuse_imported_name():
    assert_refused(
        refuse_source(owners="CORE"),
        SetField("owners", ["a"]),
        f"{PATH}:12:16: cannot edit owners: 'CORE' is imported from 'teams', not bound to a literal in this file",
    )


def test_refuse_unbound_name():
    assert_refused(
        refuse_source(owners="NOBODY"),
        SetField("owners", ["a"]),
        f"{PATH}:12:16: cannot edit owners: name 'NOBODY' is not bound at module level",
    )


def test_refuse_name_used_twice():
    assert_refused(
        refuse_source(title="TITLE"),
        SetField("title", "Y"),
        f"{PATH}:11:15: cannot edit title: 'TITLE' is used 2 times in this file,"
        " so editing its value would change every use",
    )


def test_refuse_name_assigned_twice():
    source = refuse_source(version="VERSION") + "VERSION = 2\n"
    assert_refused(
        source,
        BumpVersion(),
        f"{PATH}:10:17: cannot edit version: 'VERSION' is assigned more than once in this file",
    )


def test_module_level_name_used_once_is_edited():
    source = refuse_source(version="VERSION")
    result = edit(source, BumpVersion())
    assert result.new_source == source.replace("VERSION = 1\n", "VERSION = 2\n")


def test_refuse_plan_that_is_not_a_plan():
    source = refuse_source().replace(
        'MigrationPlan(up=[SchemaStep("SELECT 1")])', "make_plan()"
    )
    assert_refused(
        source,
        AddStep("schema", "SELECT 2"),
        f"{PATH}:14:10: cannot edit plan: it is a call to 'make_plan', not a MigrationPlan(...) call",
    )


def test_refused_when_the_result_would_not_load():
    assert_refused(
        BASE,
        SetField("stability", "solid"),
        f"{PATH}:9:19: unknown stability 'solid': expected one of idea, in_creation, experimental,"
        " beta, stable, deprecated",
    )
    assert_refused(
        BASE,
        AddDependency("core.db.2025_01_base"),
        f"{PATH}:15:19: migration core.db.2025_01_base.v1 depends on itself",
    )


def test_refused_when_the_file_does_not_parse():
    assert_refused(
        "spec = MigrationSpec(\n",
        BumpVersion(),
        f"{PATH}:1:21: syntax error: '(' was never closed",
    )


def test_refused_when_there_is_no_spec():
    assert_refused(
        "x = 1\n",
        BumpVersion(),
        f"{PATH}:1:1: no module-level `NAME = MigrationSpec(...)` assignment"
        " (import it with `from contractspec import MigrationSpec`)",
    )


def test_an_unrelated_broken_field_refuses_the_edit_with_the_loader_message():
    source = BASE.replace('title="Base"', 'title=f"Base"')
    assert_refused(
        source,
        BumpVersion(),
        f"{PATH}:7:15: f-strings are not allowed; values must be literals (strings, numbers,"
        " True/False/None, lists) or names bound to literals at module level in this file",
    )


# ---------------------------------------------------------------------------
# Files with unusual bytes


def test_crlf_newlines_are_kept():
    before = BASE.replace("\n", "\r\n")
    result = edit_source(
        before, PATH, AddStep("schema", "SELECT 1\nFROM t"), line_length=100
    )
    assert "\r\n" in result.new_source and "\n" not in result.new_source.replace(
        "\r\n", ""
    )
    expected = edit_source(
        BASE, PATH, AddStep("schema", "SELECT 1\nFROM t"), line_length=100
    ).new_source
    assert result.new_source == expected.replace("\n", "\r\n")


def test_tab_indented_file():
    before = BASE.replace("    ", "\t")
    result = edit_source(before, PATH, AddDependency("core.db.a"), line_length=100)
    assert result.new_source == before.replace(
        "\t),\n)\n", '\t),\n\tdependencies=["core.db.a"],\n)\n'
    )


def test_non_ascii_and_escapes_round_trip():
    title = 'Zeichen: äöü — "quoted" \\ back\tslash \x00 \u2028 \U0001f600'
    result = edit(BASE, SetField("title", title))
    assert load_source(result.new_source, PATH).spec.meta.title == title


def test_remove_step_drops_an_import_nothing_else_uses():
    before = """\
from contractspec import MigrationMeta, MigrationPlan, MigrationSpec, SchemaStep, ValidationStep

spec = MigrationSpec(
    meta=MigrationMeta(name="core.db.x", version=1, title="X", owners=["me"]),
    plan=MigrationPlan(up=[SchemaStep("SELECT 1"), ValidationStep("SELECT 2")]),
)
"""
    after = """\
from contractspec import MigrationMeta, MigrationPlan, MigrationSpec, SchemaStep

spec = MigrationSpec(
    meta=MigrationMeta(name="core.db.x", version=1, title="X", owners=["me"]),
    plan=MigrationPlan(up=[SchemaStep("SELECT 1")]),
)
"""
    assert_edit(before, RemoveStep(2), after, idempotent=False)
    # Still used by another step: the import stays.
    three = before.replace(
        'ValidationStep("SELECT 2")]',
        'ValidationStep("SELECT 2"), ValidationStep("SELECT 3")]',
    )
    result = edit(three, RemoveStep(2))
    assert result.new_source.startswith(before.splitlines()[0])


def test_add_step_then_remove_it_gives_back_the_same_bytes():
    added = edit(BASE, AddStep("validation", "SELECT 1", position=1)).new_source
    assert "ValidationStep" in added
    assert edit_source(added, PATH, RemoveStep(1), line_length=100).new_source == BASE


def test_edit_source_many_applies_in_order():
    from contractspec.edit import edit_source_many

    result = edit_source_many(
        BASE,
        PATH,
        [BumpVersion(), SetField("title", "Basis"), BumpVersion(to=2)],
        line_length=100,
    )
    assert result.changed
    assert result.new_source == BASE.replace("version=1,", "version=2,").replace(
        '"Base"', '"Basis"'
    )
    assert (
        result.message
        == "version 1 -> 2; title 'Base' -> 'Basis'; already applied: version is already 2"
    )


def test_insert_into_an_empty_list_that_holds_only_comments():
    before = """\
from contractspec import MigrationMeta, MigrationPlan, MigrationSpec, SchemaStep

spec = MigrationSpec(
    meta=MigrationMeta(name="core.db.x", version=1, title="X", owners=["me"]),
    plan=MigrationPlan(
        up=[SchemaStep("SELECT 1")],
        down=[
            # nothing to undo yet
        ],
    ),
    dependencies=[
    ],
)
"""
    after = before.replace(
        "            # nothing to undo yet\n",
        '            # nothing to undo yet\n            SchemaStep("DROP TABLE x"),\n',
    )
    assert_edit(before, AddStep("schema", "DROP TABLE x", down=True), after)
    after = before.replace(
        "    dependencies=[\n    ],\n", '    dependencies=["core.db.y"],\n'
    )
    assert_edit(before, AddDependency("core.db.y"), after)
