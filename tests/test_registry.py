"""MigrationRegistry: keys, versions, lookup, the dependency graph and its order."""

from __future__ import annotations

import pytest
from support import SHOP, SHOP_ORDER

from contractspec import MigrationMeta, MigrationPlan, MigrationSpec, SchemaStep
from contractspec.errors import EXIT_SPEC, RegistryError, SpecError
from contractspec.loader import load_source, load_specs
from contractspec.registry import MigrationRegistry

HEADER = (
    "from contractspec import MigrationMeta, MigrationPlan, MigrationSpec, SchemaStep\n"
)


def spec(name: str, version: int = 1, deps: list[str] | None = None) -> MigrationSpec:
    return MigrationSpec(
        meta=MigrationMeta(name=name, version=version, title=name, owners=["team"]),
        plan=MigrationPlan(up=[SchemaStep("SELECT 1")]),
        dependencies=list(deps or []),
    )


def registry(*specs: MigrationSpec) -> MigrationRegistry:
    reg = MigrationRegistry()
    for s in specs:
        reg.register(s)
    return reg


def keys(specs) -> list[str]:
    return [s.key for s in specs]


def loaded(
    name: str, version: int = 1, deps: list[str] | None = None, path: str | None = None
):
    """A spec read from source, so the registry can point at its file."""
    dependencies = "".join(f'\n        "{d}",' for d in deps or [])
    source = (
        HEADER
        + "\n"
        + "spec = MigrationSpec(\n"
        + f'    meta=MigrationMeta(name="{name}", version={version}, title="T", owners=["o"]),\n'
        + '    plan=MigrationPlan(up=[SchemaStep("SELECT 1")]),\n'
        + f"    dependencies=[{dependencies}\n    ],\n"
        + ")\n"
    )
    return load_source(source, path or f"migrations/{name}.v{version}.py")


def loaded_registry(*items) -> MigrationRegistry:
    reg = MigrationRegistry()
    for item in items:
        reg.register(item.spec, item)
    return reg


# -- registration and lookup ------------------------------------------------------------


def test_register_returns_itself_and_chains():
    reg = MigrationRegistry()
    assert reg.register(spec("core.db.a")) is reg
    reg.register(spec("core.db.b")).register(spec("core.db.c"))
    assert len(reg) == 3
    assert "core.db.b.v1" in reg and "core.db.b" not in reg


def test_duplicate_key():
    reg = registry(spec("core.db.x"))
    with pytest.raises(RegistryError) as caught:
        reg.register(spec("core.db.x"))
    assert str(caught.value) == "Duplicate migration core.db.x.v1"
    assert caught.value.exit_code == EXIT_SPEC
    assert isinstance(caught.value, SpecError)
    assert len(reg) == 1
    reg.register(
        spec("core.db.x", 2)
    )  # another version of the same name is not a duplicate
    assert reg.versions("core.db.x") == [1, 2]


def test_duplicate_key_from_files_names_both_files():
    reg = loaded_registry(loaded("core.db.x", path="migrations/a.py"))
    again = loaded("core.db.x", path="migrations/b.py")
    with pytest.raises(RegistryError) as caught:
        reg.register(again.spec, again)
    assert [str(d) for d in caught.value.diagnostics] == [
        "migrations/b.py:3:8: Duplicate migration core.db.x.v1 (migrations/b.py, already in migrations/a.py)"
    ]


def test_get_exact_and_highest():
    reg = registry(spec("core.db.x", 2), spec("core.db.x", 10), spec("core.db.x", 1))
    assert reg.get("core.db.x").version == 10
    assert reg.get("core.db.x", 2).version == 2
    assert reg.versions("core.db.x") == [1, 2, 10]
    with pytest.raises(RegistryError) as caught:
        reg.get("core.db.x", 3)
    assert (
        str(caught.value)
        == "unknown migration core.db.x.v3 (registered versions: v1, v2, v10)"
    )
    with pytest.raises(RegistryError) as caught:
        reg.get("core.db.y")
    assert (
        str(caught.value) == "unknown migration 'core.db.y' (did you mean 'core.db.x'?)"
    )
    with pytest.raises(RegistryError) as caught:
        reg.get("billing.totally.different")
    assert str(caught.value) == "unknown migration 'billing.totally.different'"


def test_lookup_name_and_exact_key():
    reg = registry(spec("core.db.x", 1), spec("core.db.x", 2), spec("core.db.y"))
    assert reg.lookup("core.db.x").key == "core.db.x.v2"
    assert reg.lookup("core.db.x.v1").key == "core.db.x.v1"
    assert reg.lookup("core.db.y.v1").key == "core.db.y.v1"
    with pytest.raises(RegistryError) as caught:
        reg.lookup("core.db.x.v3")
    assert (
        str(caught.value)
        == "unknown migration core.db.x.v3 (registered versions: v1, v2)"
    )
    with pytest.raises(RegistryError) as caught:
        registry(spec("core.db.2025_01_add_users")).lookup(
            "core.db.2025_01_add_user.v1"
        )
    assert (
        str(caught.value)
        == "unknown migration 'core.db.2025_01_add_user.v1' (did you mean 'core.db.2025_01_add_users'?)"
    )


def test_list_orders_by_name_then_numeric_version():
    reg = registry(
        spec("core.db.b", 10),
        spec("core.db.a"),
        spec("core.db.b", 2),
        spec("core.db.b", 1),
        spec("billing.db.z"),
    )
    assert keys(reg.list()) == [
        "billing.db.z.v1",
        "core.db.a.v1",
        "core.db.b.v1",
        "core.db.b.v2",  # v2 before v10: numeric, not string order
        "core.db.b.v10",
    ]


# -- dependencies --------------------------------------------------------------------------


def test_bare_name_resolves_to_highest_and_key_to_exact():
    reg = registry(
        spec("core.db.base", 1),
        spec("core.db.base", 3),
        spec("core.db.base", 2),
        spec("core.db.bare", deps=["core.db.base"]),
        spec("core.db.exact", deps=["core.db.base.v1"]),
    )
    assert reg.dependencies("core.db.bare.v1") == ["core.db.base.v3"]
    assert reg.dependencies("core.db.exact.v1") == ["core.db.base.v1"]


def test_implicit_previous_version_dependency():
    reg = registry(
        spec("core.db.x", 1),
        spec("core.db.x", 5),
        spec("core.db.x", 2, deps=["core.db.y"]),
        spec("core.db.y"),
    )
    assert reg.dependencies("core.db.x.v1") == []
    assert reg.dependencies("core.db.x.v2") == [
        "core.db.y.v1",
        "core.db.x.v1",
    ]  # explicit, then implicit
    assert reg.dependencies("core.db.x.v5") == [
        "core.db.x.v2"
    ]  # the highest below, not v4 or v1


def test_explicit_previous_version_is_not_listed_twice():
    reg = registry(spec("core.db.x", 1), spec("core.db.x", 2, deps=["core.db.x.v1"]))
    assert reg.dependencies("core.db.x.v2") == ["core.db.x.v1"]


def test_order_is_topological_with_ties_by_name_then_version():
    reg = registry(
        spec("zeta.db.first"),
        spec("core.db.users", 1, deps=["zeta.db.first"]),
        spec("core.db.users", 2),
        spec("core.db.users", 10),
        spec("billing.db.orders", deps=["core.db.users.v2"]),
        spec("alpha.db.free"),
        spec("core.db.audit"),
    )
    assert keys(reg.order()) == [
        "alpha.db.free.v1",
        "core.db.audit.v1",
        "zeta.db.first.v1",
        "core.db.users.v1",
        "core.db.users.v2",
        "billing.db.orders.v1",
        "core.db.users.v10",
    ]


def test_order_is_deterministic_whatever_the_registration_order():
    specs = [
        spec("a.b.c", deps=["a.b.d"]),
        spec("a.b.d"),
        spec("a.b.e", deps=["a.b.d"]),
        spec("a.b.d", 2),
        spec("x.y.z", deps=["a.b.c", "a.b.e"]),
        spec("a.b.f"),
    ]
    expected = ["a.b.d.v1", "a.b.d.v2", "a.b.c.v1", "a.b.e.v1", "a.b.f.v1", "x.y.z.v1"]
    assert keys(registry(*specs).order()) == expected
    assert keys(registry(*reversed(specs)).order()) == expected
    assert keys(registry(*specs[2:], *specs[:2]).order()) == expected


def test_order_with_targets_is_their_closure():
    reg = registry(
        spec("a.b.base"),
        spec("a.b.mid", deps=["a.b.base"]),
        spec("a.b.top", deps=["a.b.mid"]),
        spec("a.b.other"),
    )
    assert keys(reg.order(["a.b.mid.v1"])) == ["a.b.base.v1", "a.b.mid.v1"]
    assert keys(reg.order(["a.b.top.v1", "a.b.other.v1"])) == [
        "a.b.base.v1",
        "a.b.mid.v1",
        "a.b.other.v1",
        "a.b.top.v1",
    ]


def test_every_dependency_comes_first_in_a_big_graph():
    specs = [
        spec(
            f"d.n.m{i:03d}",
            deps=[f"d.n.m{j:03d}" for j in (i // 2, i // 3, i - 7) if 0 <= j < i],
        )
        for i in range(200)
    ]
    reg = registry(*reversed(specs))
    position = {s.key: n for n, s in enumerate(reg.order())}
    assert len(position) == 200
    for key, deps in reg.graph().items():
        assert all(position[d] < position[key] for d in deps)


def test_unknown_dependency_names_the_file_and_the_missing_key():
    reg = loaded_registry(
        loaded("core.db.users", deps=["core.db.acounts"]),
        loaded("core.db.accounts"),
        loaded("billing.db.orders", deps=["core.db.users.v2", "core.db.accounts"]),
    )
    with pytest.raises(RegistryError) as caught:
        reg.order()
    assert [str(d) for d in caught.value.diagnostics] == [
        "migrations/billing.db.orders.v1.py:7:9: billing.db.orders.v1 depends on unknown migration"
        " 'core.db.users.v2': registered versions of core.db.users: v1",
        "migrations/core.db.users.v1.py:7:9: core.db.users.v1 depends on unknown migration"
        " 'core.db.acounts': no migration named 'core.db.acounts' is registered (did you mean 'core.db.accounts'?)",
    ]
    assert caught.value.exit_code == EXIT_SPEC


def test_unknown_dependency_without_a_file():
    reg = registry(spec("core.db.x", deps=["nowhere.at.all"]))
    with pytest.raises(RegistryError) as caught:
        reg.graph()
    assert str(caught.value) == (
        "<core.db.x.v1>:1:1: core.db.x.v1 depends on unknown migration 'nowhere.at.all':"
        " no migration named 'nowhere.at.all' is registered"
    )


def test_three_cycle_is_reported_with_its_whole_path():
    reg = loaded_registry(
        loaded("cyc.db.a", deps=["cyc.db.b"]),
        loaded("cyc.db.b", deps=["cyc.db.c"]),
        loaded("cyc.db.c", deps=["cyc.db.a.v1"]),
        loaded("cyc.db.free"),
        loaded("cyc.db.after", deps=["cyc.db.free"]),
    )
    with pytest.raises(RegistryError) as caught:
        reg.order()
    assert [str(d) for d in caught.value.diagnostics] == [
        "migrations/cyc.db.a.v1.py:7:9: dependency cycle: cyc.db.a.v1 -> cyc.db.b.v1 -> cyc.db.c.v1 -> cyc.db.a.v1"
    ]


def test_cycle_through_the_implicit_previous_version():
    # v2 implicitly depends on v1; v1 depending on v2 closes a cycle.
    reg = registry(spec("a.b.x", 1, deps=["a.b.x.v2"]), spec("a.b.x", 2))
    with pytest.raises(RegistryError) as caught:
        reg.graph()
    assert (
        str(caught.value)
        == "<a.b.x.v1>:1:1: dependency cycle: a.b.x.v1 -> a.b.x.v2 -> a.b.x.v1"
    )


def test_bare_dependency_on_own_name_from_an_older_version_is_a_cycle():
    reg = registry(
        spec("a.b.x", 1),
        spec("a.b.y", deps=["a.b.x"]),
        spec("a.b.x", 2, deps=["a.b.y"]),
    )
    with pytest.raises(RegistryError) as caught:
        reg.graph()
    assert (
        str(caught.value)
        == "<a.b.x.v2>:1:1: dependency cycle: a.b.x.v2 -> a.b.y.v1 -> a.b.x.v2"
    )


def test_graph_is_recomputed_after_register():
    reg = registry(spec("a.b.x", deps=["a.b.y"]))
    with pytest.raises(RegistryError):
        reg.graph()
    reg.register(spec("a.b.y"))
    assert reg.graph() == {"a.b.x.v1": ["a.b.y.v1"], "a.b.y.v1": []}
    reg.register(spec("a.b.y", 2))
    assert reg.dependencies("a.b.x.v1") == ["a.b.y.v2"]


def test_heads_and_dependents():
    reg = registry(
        spec("a.b.base"),
        spec("a.b.left", deps=["a.b.base"]),
        spec("a.b.right", deps=["a.b.base"]),
        spec("a.b.right", 2),
        spec("a.b.lone"),
    )
    assert reg.heads() == ["a.b.left.v1", "a.b.lone.v1", "a.b.right.v2"]
    assert reg.dependents("a.b.base.v1") == ["a.b.left.v1", "a.b.right.v1"]
    assert reg.dependents("a.b.right.v1") == ["a.b.right.v2"]
    assert reg.dependents("a.b.lone.v1") == []


def test_empty_registry():
    reg = MigrationRegistry()
    assert (
        reg.list() == []
        and reg.order() == []
        and reg.heads() == []
        and reg.graph() == {}
    )


def test_example_project_order():
    reg = MigrationRegistry()
    for item in load_specs(SHOP / "migrations", SHOP):
        reg.register(item.spec, item)
    assert keys(reg.order()) == SHOP_ORDER
    assert reg.heads() == ["billing.db.2025_04_validate_orders.v1"]
    assert (
        reg.source("core.db.2025_01_add_users.v1").path
        == "migrations/core/2025_01_add_users.py"
    )
