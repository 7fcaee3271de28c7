"""The spec model and its validation rules (contractspec.spec, standard library only)."""

from __future__ import annotations

import dataclasses
import json

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
from contractspec.spec import (
    STABILITIES,
    Problem,
    from_dict,
    migration_key,
    split_key,
    to_dict,
    validate,
)


def make_spec(
    meta: dict | None = None, up=None, down=None, dependencies=None
) -> MigrationSpec:
    """A valid spec, with the given parts replaced."""
    base_meta = dict(
        name="core.db.2025_01_add_users",
        version=1,
        title="Add users",
        owners=["team-core"],
    )
    base_meta.update(meta or {})
    return MigrationSpec(
        meta=MigrationMeta(**base_meta),
        plan=MigrationPlan(
            up=(
                [SchemaStep("CREATE TABLE users (id INTEGER PRIMARY KEY)")]
                if up is None
                else up
            ),
            down=down,
        ),
        dependencies=[] if dependencies is None else dependencies,
    )


def problems(spec: MigrationSpec) -> list[tuple[tuple, str]]:
    return [(p.path, p.message) for p in validate(spec)]


def test_a_valid_spec_has_no_problems():
    assert validate(make_spec()) == []


def test_full_example_spec_is_valid():
    spec = MigrationSpec(
        meta=MigrationMeta(
            name="billing.db.2025_02_add_orders",
            version=2,
            title="Add orders",
            description="Orders with a status.",
            domain="billing",
            owners=["team-billing", "alice@example.com"],
            tags=["schema"],
            stability="beta",
        ),
        plan=MigrationPlan(
            up=[
                SchemaStep(
                    "CREATE TABLE orders (id INTEGER)",
                    description="create",
                    timeout_ms=1,
                    retries=0,
                    pre_checks=[MigrationCheck("users exists", "SELECT 1")],
                    post_checks=[
                        MigrationCheck(
                            "orders empty", "SELECT COUNT(*) = 0 FROM orders"
                        )
                    ],
                ),
                DataStep(script="backfill.sql", retries=3),
                ValidationStep(assertion="SELECT 1", timeout_ms=10_000),
            ],
            down=[SchemaStep("DROP TABLE orders")],
        ),
        dependencies=["core.db.2025_01_add_users", "billing.db.2025_02_add_orders.v1"],
    )
    assert validate(spec) == []
    assert spec.key == "billing.db.2025_02_add_orders.v2"
    assert spec.name == "billing.db.2025_02_add_orders"
    assert spec.version == 2


def test_defaults():
    meta = MigrationMeta(name="a.b", version=1, title="t")
    assert (meta.description, meta.domain, meta.owners, meta.tags, meta.stability) == (
        "",
        "",
        [],
        [],
        "experimental",
    )
    step = SchemaStep("SELECT 1")
    assert (
        step.description,
        step.timeout_ms,
        step.retries,
        step.pre_checks,
        step.post_checks,
    ) == (None, None, 0, [], [])
    assert MigrationPlan(up=[step]).down is None
    assert MigrationSpec(meta, MigrationPlan([step])).dependencies == []
    # Mutable defaults are not shared between instances.
    assert SchemaStep("x").pre_checks is not SchemaStep("y").pre_checks


def test_step_kinds_and_payloads():
    assert [
        (cls.kind, cls.payload_name) for cls in (SchemaStep, DataStep, ValidationStep)
    ] == [
        ("schema", "sql"),
        ("data", "script"),
        ("validation", "assertion"),
    ]
    assert DataStep(script="x.sql").payload == "x.sql"
    manual = DataStep(instructions="Ask finance for the export")
    assert (manual.payload_field, manual.payload) == (
        "instructions",
        "Ask finance for the export",
    )
    with pytest.raises(TypeError):
        SchemaStep("SELECT 1", "positional description is not allowed")  # type: ignore[misc]


def test_keys():
    assert migration_key("core.db.x", 3) == "core.db.x.v3"
    assert split_key("core.db.x.v12") == ("core.db.x", 12)
    assert split_key("core.db.x") == ("core.db.x", None)
    assert split_key("core.db.v") == ("core.db.v", None)


# -- name ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "name, message",
    [
        ("", "name must not be empty"),
        ("   ", "name must not be empty"),
        (
            "users",
            "malformed name 'users': expected dotted segments of letters, digits and underscores, like 'core.db.2025_01_add_users'",
        ),
        (
            "core db.users",
            "malformed name 'core db.users': expected dotted segments of letters, digits and underscores, like 'core.db.2025_01_add_users'",
        ),
        (
            "core..users",
            "malformed name 'core..users': expected dotted segments of letters, digits and underscores, like 'core.db.2025_01_add_users'",
        ),
        (
            "core.db.",
            "malformed name 'core.db.': expected dotted segments of letters, digits and underscores, like 'core.db.2025_01_add_users'",
        ),
        (
            "1core.db.x",
            "malformed name '1core.db.x': expected dotted segments of letters, digits and underscores, like 'core.db.2025_01_add_users'",
        ),
        (
            "core.db-x.y",
            "malformed name 'core.db-x.y': expected dotted segments of letters, digits and underscores, like 'core.db.2025_01_add_users'",
        ),
        (
            "core.db.x.v2",
            "name 'core.db.x.v2' must not end in '.vN': the version goes in 'version'",
        ),
        (
            "core.db.x.v0",
            "name 'core.db.x.v0' must not end in '.vN': the version goes in 'version'",
        ),
        (None, "name must be a string, got None"),
        (7, "name must be a string, got 7"),
    ],
)
def test_bad_names(name, message):
    assert problems(make_spec(meta={"name": name})) == [(("meta", "name"), message)]


@pytest.mark.parametrize(
    "name",
    [
        "core.db.2025_01_add_users",
        "a.b",
        "Core.DB.x_1",
        "a.1.2",
        "core.db.v2x",
        "core.db.version2",
    ],
)
def test_good_names(name):
    assert problems(make_spec(meta={"name": name})) == []


# -- version --------------------------------------------------------------------


@pytest.mark.parametrize("version", [0, -1, "1", True, False, 1.5, 1.0, None, [1]])
def test_bad_versions(version):
    assert problems(make_spec(meta={"version": version})) == [
        (
            ("meta", "version"),
            f"version must be an integer from 1 to 2147483647, got {version!r}",
        )
    ]


@pytest.mark.parametrize("version", [1, 2, 10, 10**6])
def test_good_versions(version):
    assert problems(make_spec(meta={"version": version})) == []


# -- meta fields ---------------------------------------------------------------------


@pytest.mark.parametrize("stability", STABILITIES)
def test_the_six_stabilities_pass(stability):
    assert problems(make_spec(meta={"stability": stability})) == []


def test_exactly_six_stabilities():
    assert STABILITIES == (
        "idea",
        "in_creation",
        "experimental",
        "beta",
        "stable",
        "deprecated",
    )


@pytest.mark.parametrize("stability", ["production", "Stable", "", "in-creation", None])
def test_unknown_stability(stability):
    assert problems(make_spec(meta={"stability": stability})) == [
        (
            ("meta", "stability"),
            f"unknown stability {stability!r}: expected one of idea, in_creation, experimental, beta, stable, deprecated",
        )
    ]


def test_owners():
    assert problems(make_spec(meta={"owners": []})) == [
        (("meta", "owners"), "owners must name at least one owner")
    ]
    assert problems(make_spec(meta={"owners": ["team", " "]})) == [
        (("meta", "owners", 1), "an owner must be a non-empty string")
    ]
    assert problems(make_spec(meta={"owners": ["team", 3]})) == [
        (("meta", "owners", 1), "an owner must be a non-empty string")
    ]
    # A bare string is not a list of owners (it would silently become one owner per character).
    assert problems(make_spec(meta={"owners": "team-core"})) == [
        (("meta", "owners"), "owners must be a list of strings, got 'team-core'")
    ]
    assert problems(make_spec(meta={"owners": None})) == [
        (("meta", "owners"), "owners must be a list of strings, got None")
    ]


def test_title_tags_description_domain():
    assert problems(make_spec(meta={"title": ""})) == [
        (("meta", "title"), "title must not be empty")
    ]
    assert problems(make_spec(meta={"title": 5})) == [
        (("meta", "title"), "title must be a string, got 5")
    ]
    assert problems(make_spec(meta={"tags": ["ok", ""]})) == [
        (("meta", "tags", 1), "a tag must be a non-empty string")
    ]
    assert problems(make_spec(meta={"tags": "schema"})) == [
        (("meta", "tags"), "tags must be a list of strings, got 'schema'")
    ]
    assert problems(make_spec(meta={"description": None})) == [
        (("meta", "description"), "description must be a string, got None")
    ]
    assert problems(make_spec(meta={"domain": 1})) == [
        (("meta", "domain"), "domain must be a string, got 1")
    ]


# -- plan and steps -------------------------------------------------------------------


def test_empty_up_plan():
    assert problems(make_spec(up=[])) == [
        (("plan", "up"), "the up plan must have at least one step")
    ]


def test_down_none_and_empty_are_both_valid():
    assert problems(make_spec(down=None)) == []
    assert problems(make_spec(down=[])) == []


@pytest.mark.parametrize(
    "step, message",
    [
        (SchemaStep(""), "schema step needs a non-empty sql"),
        (SchemaStep("  \n\t"), "schema step needs a non-empty sql"),
        (SchemaStep(None), "schema step needs a non-empty sql"),  # type: ignore[arg-type]
        (DataStep(script=""), "data step needs a non-empty script (or instructions"),
        (DataStep(script=3), "data step needs a non-empty script (or instructions"),  # type: ignore[arg-type]
        (DataStep(), "data step needs a non-empty script (or instructions"),
        (DataStep(instructions=" "), "data step needs a non-empty instructions"),
        (ValidationStep(assertion=" "), "validation step needs a non-empty assertion"),
    ],
)
def test_missing_or_empty_payload_per_kind(step, message):
    field = step.payload_field
    [(where, text)] = problems(make_spec(up=[step]))
    assert where == ("plan", "up", 0, field) and text.startswith(message)
    # The same rules apply to the down plan.
    [(where, text)] = problems(make_spec(down=[SchemaStep("SELECT 1"), step]))
    assert where == ("plan", "down", 1, field) and text.startswith(message)


@pytest.mark.parametrize("timeout", [0, -1, -5000, 1.5, "100", True])
def test_bad_timeouts(timeout):
    assert problems(make_spec(up=[SchemaStep("SELECT 1", timeout_ms=timeout)])) == [
        (
            ("plan", "up", 0, "timeout_ms"),
            f"timeout_ms must be an integer from 1 to 2147483647, got {timeout!r}",
        )
    ]


@pytest.mark.parametrize("timeout", [None, 1, 30_000])
def test_good_timeouts(timeout):
    assert problems(make_spec(up=[SchemaStep("SELECT 1", timeout_ms=timeout)])) == []


@pytest.mark.parametrize("retries", [-1, -10, 1.0, "2", None, False])
def test_bad_retries(retries):
    assert problems(make_spec(up=[DataStep(script="x.sql", retries=retries)])) == [
        (
            ("plan", "up", 0, "retries"),
            f"retries must be an integer from 0 to 2147483647, got {retries!r}",
        )
    ]


@pytest.mark.parametrize("retries", [0, 1, 5])
def test_good_retries(retries):
    assert problems(make_spec(up=[DataStep(script="x.sql", retries=retries)])) == []


def test_checks_need_expression_and_description():
    step = ValidationStep(
        "SELECT 1",
        pre_checks=[
            MigrationCheck("ok", "SELECT 1"),
            MigrationCheck("no expression", ""),
        ],
        post_checks=[MigrationCheck("", "SELECT 1"), MigrationCheck(" ", " ")],
    )
    assert problems(make_spec(up=[step])) == [
        (
            ("plan", "up", 0, "pre_checks", 1, "expression"),
            "a check needs an expression",
        ),
        (
            ("plan", "up", 0, "post_checks", 0, "description"),
            "a check needs a description",
        ),
        (
            ("plan", "up", 0, "post_checks", 1, "expression"),
            "a check needs an expression",
        ),
        (
            ("plan", "up", 0, "post_checks", 1, "description"),
            "a check needs a description",
        ),
    ]


def test_wrong_things_in_lists_are_problems_not_crashes():
    assert problems(make_spec(up=["CREATE TABLE t"])) == [
        (
            ("plan", "up", 0),
            "up must hold SchemaStep / DataStep / ValidationStep, got 'CREATE TABLE t'",
        )
    ]
    assert problems(make_spec(up=[SchemaStep("x", pre_checks=["SELECT 1"])])) == [
        (
            ("plan", "up", 0, "pre_checks", 0),
            "pre_checks must hold MigrationCheck, got 'SELECT 1'",
        )
    ]
    assert problems(make_spec(up=[SchemaStep("x", description=5)])) == [
        (("plan", "up", 0, "description"), "description must be a string, got 5")
    ]


# -- dependencies ---------------------------------------------------------------------


def test_dependencies():
    ok = make_spec(
        dependencies=["core.db.a", "core.db.b.v2", "core.db.2025_01_add_users.v0"]
    )
    assert problems(ok) == []
    assert problems(
        make_spec(dependencies=["core.db.a", "core.db.b", "core.db.a"])
    ) == [(("dependencies", 2), "duplicate dependency 'core.db.a'")]
    assert problems(make_spec(dependencies=["", "not a name"])) == [
        (("dependencies", 0), "a dependency must be a non-empty string"),
        (("dependencies", 1), "malformed dependency 'not a name'"),
    ]
    assert problems(make_spec(dependencies="core.db.a")) == [
        (("dependencies",), "dependencies must be a list of strings, got 'core.db.a'")
    ]


def test_self_dependency_bare_and_exact():
    name = "core.db.2025_01_add_users"
    assert problems(make_spec(meta={"version": 2}, dependencies=[name])) == [
        (("dependencies", 0), f"migration {name}.v2 depends on itself")
    ]
    assert problems(make_spec(meta={"version": 2}, dependencies=[f"{name}.v2"])) == [
        (("dependencies", 0), f"migration {name}.v2 depends on itself")
    ]
    # An explicit dependency on an earlier version of the same name is fine.
    assert problems(make_spec(meta={"version": 2}, dependencies=[f"{name}.v1"])) == []


def test_all_problems_are_reported_together_in_field_order():
    spec = make_spec(
        meta={"name": "", "version": 0, "title": "", "stability": "gold", "owners": []},
        up=[],
        dependencies=["x.y", "x.y"],
    )
    assert [p.path for p in validate(spec)] == [
        ("meta", "name"),
        ("meta", "version"),
        ("meta", "title"),
        ("meta", "stability"),
        ("meta", "owners"),
        ("plan", "up"),
        ("dependencies", 1),
    ]
    assert all(isinstance(p, Problem) for p in validate(spec))


# -- plain data and the TypeScript names ---------------------------------------------------


def _rich_spec() -> MigrationSpec:
    return MigrationSpec(
        meta=MigrationMeta(
            name="core.db.2025_01_add_users",
            version=3,
            title="Add users — with ünïcode",
            description="d",
            domain="core",
            owners=["a", "b"],
            tags=["t"],
            stability="stable",
        ),
        plan=MigrationPlan(
            up=[
                SchemaStep(
                    "CREATE TABLE u (id INT)",
                    description="c",
                    timeout_ms=5,
                    retries=2,
                    pre_checks=[MigrationCheck("p", "SELECT 1")],
                    post_checks=[MigrationCheck("q", "SELECT 2")],
                ),
                DataStep(script="fix.py:run"),
                ValidationStep(assertion="SELECT 1"),
            ],
            down=[SchemaStep("DROP TABLE u")],
        ),
        dependencies=["core.db.x", "core.db.y.v2"],
    )


def test_to_dict_shape():
    data = to_dict(_rich_spec())
    assert data["meta"] == {
        "name": "core.db.2025_01_add_users",
        "version": 3,
        "title": "Add users — with ünïcode",
        "description": "d",
        "domain": "core",
        "owners": ["a", "b"],
        "tags": ["t"],
        "stability": "stable",
    }
    assert data["plan"]["up"][0] == {
        "kind": "schema",
        "sql": "CREATE TABLE u (id INT)",
        "description": "c",
        "timeout_ms": 5,
        "retries": 2,
        "pre_checks": [{"description": "p", "expression": "SELECT 1"}],
        "post_checks": [{"description": "q", "expression": "SELECT 2"}],
    }
    assert data["plan"]["up"][1]["script"] == "fix.py:run"
    assert data["plan"]["up"][2]["assertion"] == "SELECT 1"
    assert data["dependencies"] == ["core.db.x", "core.db.y.v2"]
    json.dumps(data)  # plain data


def test_to_dict_typescript_names():
    step = to_dict(_rich_spec(), typescript=True)["plan"]["up"][0]
    assert set(step) == {
        "kind",
        "sql",
        "description",
        "timeoutMs",
        "retries",
        "preChecks",
        "postChecks",
    }
    assert step["timeoutMs"] == 5
    assert step["preChecks"] == [{"description": "p", "expression": "SELECT 1"}]
    assert step["postChecks"] == [{"description": "q", "expression": "SELECT 2"}]


@pytest.mark.parametrize("typescript", [False, True])
def test_round_trip(typescript):
    spec = _rich_spec()
    data = json.loads(json.dumps(to_dict(spec, typescript=typescript)))
    assert from_dict(data) == spec


def test_round_trip_keeps_down_none_apart_from_empty():
    irreversible = make_spec(down=None)
    noop = make_spec(down=[])
    assert to_dict(irreversible)["plan"]["down"] is None
    assert to_dict(noop)["plan"]["down"] == []
    assert from_dict(to_dict(irreversible)).plan.down is None
    assert from_dict(to_dict(noop)).plan.down == []


def test_from_dict_accepts_typescript_json():
    data = {
        "meta": {"name": "core.db.a", "version": 1, "title": "A", "owners": ["o"]},
        "plan": {
            "up": [
                {
                    "kind": "data",
                    "script": "a.sql",
                    "timeoutMs": 100,
                    "retries": None,
                    "preChecks": [{"description": "d", "expression": "SELECT 1"}],
                }
            ]
        },
    }
    spec = from_dict(data)
    step = spec.plan.up[0]
    assert isinstance(step, DataStep)
    assert (step.timeout_ms, step.retries, step.post_checks) == (100, 0, [])
    assert step.pre_checks == [MigrationCheck("d", "SELECT 1")]
    assert spec.plan.down is None and spec.dependencies == []
    assert validate(spec) == []


def test_dataclass_equality_is_structural():
    assert make_spec() == make_spec()
    assert make_spec() != dataclasses.replace(make_spec(), dependencies=["a.b"])


# --- steps outside the transaction and batched steps (issue 12) -------------------


def test_outside_and_batched_steps_are_valid_and_round_trip():
    up = [
        SchemaStep(
            "CREATE INDEX CONCURRENTLY i ON t (x)",
            transactional=False,
            reconcile="DROP INDEX IF EXISTS i",
        ),
        DataStep("UPDATE t SET x = 1", batch_size=500, pause_ms=0, max_batches=10),
    ]
    spec = make_spec(up=up)
    assert problems(spec) == []
    data = to_dict(spec)
    assert data["plan"]["up"][0]["transactional"] is False
    assert data["plan"]["up"][1]["batch_size"] == 500
    assert from_dict(data) == spec
    assert to_dict(spec, typescript=True)["plan"]["up"][1]["batchSize"] == 500
    assert from_dict(to_dict(spec, typescript=True)) == spec


def test_default_fields_stay_out_of_the_plain_data():
    """So that the fingerprint of every spec written before them is unchanged."""
    data = to_dict(make_spec(up=[SchemaStep("SELECT 1", transactional=True)]))
    assert set(data["plan"]["up"][0]) == {
        "kind",
        "sql",
        "description",
        "timeout_ms",
        "retries",
        "pre_checks",
        "post_checks",
    }


@pytest.mark.parametrize(
    "step, field, message",
    [
        (
            SchemaStep("VACUUM", transactional="no"),
            "transactional",
            "transactional must be True or False, got 'no'",
        ),
        (
            SchemaStep("CREATE INDEX i ON t (x)", reconcile="DROP INDEX i"),
            "reconcile",
            "reconcile is for steps outside a transaction: add transactional=False"
            " (a transactional step is rolled back, never left half done)",
        ),
        (
            SchemaStep("VACUUM", transactional=False, reconcile=" "),
            "reconcile",
            "reconcile must be a non-empty SQL string",
        ),
        (
            DataStep("UPDATE t SET x = 1", batch_size=0),
            "batch_size",
            "batch_size must be an integer from 1 to 2147483647, got 0",
        ),
        (
            DataStep("UPDATE t SET x = 1", batch_size=10, max_batches=True),
            "max_batches",
            "max_batches must be an integer from 1 to 2147483647, got True",
        ),
        (
            DataStep("UPDATE t SET x = 1", batch_size=10, pause_ms=-1),
            "pause_ms",
            "pause_ms must be an integer from 0 to 2147483647, got -1",
        ),
        (
            DataStep("UPDATE t SET x = 1", pause_ms=10),
            "pause_ms",
            "pause_ms needs batch_size",
        ),
        (
            DataStep("UPDATE t SET x = 1", batch_size=10, transactional=False),
            "transactional",
            "a batched step already commits each batch in its own short"
            " transaction: drop transactional=False",
        ),
    ],
)
def test_bad_outside_and_batch_fields(step, field, message):
    assert problems(make_spec(up=[step])) == [(("plan", "up", 0, field), message)]


def test_validation_steps_have_no_transactional_field():
    with pytest.raises(TypeError):
        ValidationStep("SELECT 1", transactional=False)  # type: ignore[call-arg]


# --- numbers are bounded at load: nothing a spec holds fails at run time ---------

MAX = 2_147_483_647  # PostgreSQL's integer: statement_timeout's most, the history's version


def _with(field: str, value):
    if field == "version":
        return make_spec(meta={"version": value})
    options = {field: value}
    if field in ("pause_ms", "max_batches"):
        options["batch_size"] = 10
    return make_spec(up=[DataStep("UPDATE t SET x = 1", **options)])


@pytest.mark.parametrize(
    "field, least",
    [
        ("version", 1),
        ("timeout_ms", 1),
        ("retries", 0),
        ("batch_size", 1),
        ("max_batches", 1),
        ("pause_ms", 0),
    ],
)
def test_every_number_is_bounded(field, least):
    where = ("meta", "version") if field == "version" else ("plan", "up", 0, field)
    bound = f"{field} must be an integer from {least} to {MAX}"
    assert problems(_with(field, MAX)) == []  # the bound itself is fine
    assert problems(_with(field, least)) == []
    assert problems(_with(field, MAX + 1)) == [(where, f"{bound}, got {MAX + 1}")]
    assert problems(_with(field, 10**399)) == [
        (where, f"{bound}, got a 400-digit integer")
    ]
    assert problems(_with(field, -(10**399))) == [
        (where, f"{bound}, got a negative 400-digit integer")
    ]
    # Past Python's 4300-digit limit a number can't even be printed: still a problem.
    assert problems(_with(field, 16**4000)) == [
        (where, f"{bound}, got an integer of more than 4300 digits")
    ]
