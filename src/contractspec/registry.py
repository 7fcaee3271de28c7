"""MigrationRegistry: every known migration by key, and the dependency graph.

Ordering rules (docs/specs.md):
- `list()` sorts by name, then numeric version (v2 before v10).
- A dependency is a bare name (its highest registered version) or an exact key.
- Version N of a name implicitly depends on the highest registered version
  below N: a reworked migration runs after the one it reworks.
- `order()` is a topological order; ties are broken by (name, version), so the
  same registry always gives the same order.
"""

from __future__ import annotations

import builtins
import heapq
from collections.abc import Iterable
from typing import Protocol

from .errors import Diagnostic, RegistryError
from .spec import FieldPath, MigrationSpec, split_key


class Source(Protocol):
    """Where a spec came from (the loader's LoadedSpec satisfies this)."""

    path: str

    def diagnostic(self, path: FieldPath, message: str) -> Diagnostic: ...


class _Unplaced:
    """The source of a spec registered in code: no file to point at."""

    def __init__(self, key: str):
        self.path = f"<{key}>"

    def diagnostic(self, path: FieldPath, message: str) -> Diagnostic:
        return Diagnostic(self.path, 1, 1, message)


def _sort_key(spec: MigrationSpec) -> tuple[str, int]:
    return spec.meta.name, spec.meta.version


class MigrationRegistry:
    def __init__(self) -> None:
        self._specs: dict[str, MigrationSpec] = {}
        self._sources: dict[str, Source] = {}
        self._versions: dict[str, list[int]] = {}
        self._graph: dict[str, list[str]] | None = None

    # -- registration and lookup ---------------------------------------------
    def register(
        self, spec: MigrationSpec, source: Source | None = None
    ) -> MigrationRegistry:
        key = spec.key
        if key in self._specs:
            where = (
                f" ({source.path}, already in {self._sources[key].path})"
                if source
                else ""
            )
            message = f"Duplicate migration {key}{where}"
            raise RegistryError([source.diagnostic((), message)] if source else message)
        self._specs[key] = spec
        self._sources[key] = source or _Unplaced(key)
        self._versions.setdefault(spec.meta.name, []).append(spec.meta.version)
        self._versions[spec.meta.name].sort()
        self._graph = None
        return self

    def __len__(self) -> int:
        return len(self._specs)

    def __contains__(self, key: str) -> bool:
        return key in self._specs

    def source(self, key: str) -> Source:
        return self._sources[key]

    def versions(self, name: str) -> list[int]:
        return list(self._versions.get(name, ()))

    def get(self, name: str, version: int | None = None) -> MigrationSpec:
        """The exact version, or the highest registered version of name."""
        if version is None:
            versions = self.versions(name)
            if not versions:
                raise RegistryError(
                    f"unknown migration {name!r}{self._suggestion(name)}"
                )
            version = versions[-1]
        spec = self._specs.get(f"{name}.v{version}")
        if spec is None:
            known = ", ".join(f"v{v}" for v in self.versions(name)) or "none"
            raise RegistryError(
                f"unknown migration {name}.v{version} (registered versions: {known})"
            )
        return spec

    def lookup(self, reference: str) -> MigrationSpec:
        """`name` (highest version) or `name.vN` (exact)."""
        if reference in self._specs:
            return self._specs[reference]
        name, version = split_key(reference)
        if version is not None and not self.versions(name):
            name, version = reference, None  # a name that merely ends in .vN
        return self.get(name, version)

    def list(self) -> builtins.list[MigrationSpec]:
        return sorted(self._specs.values(), key=_sort_key)

    def _suggestion(self, name: str) -> str:
        import difflib

        names = sorted(self._versions)
        close = difflib.get_close_matches(name, names, n=1)
        return f" (did you mean {close[0]!r}?)" if close else ""

    # -- the graph ---------------------------------------------------------------
    def dependencies(self, key: str) -> builtins.list[str]:
        """Resolved keys this migration depends on (explicit, then the implicit previous version)."""
        return self.graph()[key]

    def _resolve(self, reference: str) -> str | None:
        if reference in self._specs:
            return reference
        name, version = split_key(reference)
        if version is None:
            versions = self.versions(name)
            return f"{name}.v{versions[-1]}" if versions else None
        return None

    def _unknown(self, key: str, index: int, reference: str) -> Diagnostic:
        name, version = split_key(reference)
        versions = self.versions(name)
        if version is not None and versions:
            detail = (
                f"registered versions of {name}: {', '.join(f'v{v}' for v in versions)}"
            )
        else:
            detail = (
                f"no migration named {name!r} is registered{self._suggestion(name)}"
            )
        return self._sources[key].diagnostic(
            ("dependencies", index),
            f"{key} depends on unknown migration {reference!r}: {detail}",
        )

    def graph(self) -> dict[str, builtins.list[str]]:
        """Every key → its resolved dependencies; all unknown dependencies and cycles raise together."""
        if self._graph is None:
            self._graph = self._build_graph()
        return self._graph

    def _build_graph(self) -> dict[str, builtins.list[str]]:
        graph: dict[str, builtins.list[str]] = {}
        problems: builtins.list[Diagnostic] = []
        for spec in self.list():
            key = spec.key
            graph[key] = []
            for index, reference in enumerate(spec.dependencies):
                target = self._resolve(reference)
                if target is None:
                    problems.append(self._unknown(key, index, reference))
                else:
                    graph[key].append(target)
            previous = [
                v for v in self.versions(spec.meta.name) if v < spec.meta.version
            ]
            if previous:
                graph[key].append(f"{spec.meta.name}.v{previous[-1]}")
            graph[key] = list(dict.fromkeys(graph[key]))
        if problems:
            raise RegistryError(problems)
        cycle = _find_cycle(graph)
        if cycle:
            first = self._specs[cycle[0]]
            position = next(
                (
                    i
                    for i, r in enumerate(first.dependencies)
                    if self._resolve(r) == cycle[1]
                ),
                None,
            )
            where = ("dependencies", position) if position is not None else ()
            raise RegistryError(
                [
                    self._sources[cycle[0]].diagnostic(
                        where, "dependency cycle: " + " -> ".join(cycle)
                    )
                ]
            )
        return graph

    def order(
        self, targets: Iterable[str] | None = None
    ) -> builtins.list[MigrationSpec]:
        """Topological order (dependencies first, ties by name then version).

        With targets (keys), only those and everything they depend on.
        """
        graph = self.graph()
        wanted = set(graph) if targets is None else self._closure(graph, targets)
        waiting = {k: sum(1 for d in graph[k] if d in wanted) for k in wanted}
        dependents: dict[str, builtins.list[str]] = {k: [] for k in wanted}
        for key in wanted:
            for dep in graph[key]:
                if dep in wanted:
                    dependents[dep].append(key)
        ready = [_sort_key(self._specs[k]) + (k,) for k, n in waiting.items() if n == 0]
        heapq.heapify(ready)
        ordered: builtins.list[MigrationSpec] = []
        while ready:
            *_, key = heapq.heappop(ready)
            ordered.append(self._specs[key])
            for dependent in dependents[key]:
                waiting[dependent] -= 1
                if waiting[dependent] == 0:
                    heapq.heappush(
                        ready, _sort_key(self._specs[dependent]) + (dependent,)
                    )
        return ordered

    @staticmethod
    def _closure(
        graph: dict[str, builtins.list[str]], targets: Iterable[str]
    ) -> set[str]:
        seen: set[str] = set()
        stack = list(targets)
        while stack:
            key = stack.pop()
            if key not in seen:
                seen.add(key)
                stack.extend(graph[key])
        return seen

    def dependents(self, key: str) -> builtins.list[str]:
        """Keys that depend on key directly, sorted."""
        graph = self.graph()
        return sorted(
            (k for k, deps in graph.items() if key in deps),
            key=lambda k: _sort_key(self._specs[k]),
        )

    def heads(self) -> builtins.list[str]:
        """Keys nothing depends on: what a new migration depends on by default."""
        graph = self.graph()
        depended = {d for deps in graph.values() for d in deps}
        return [s.key for s in self.list() if s.key not in depended]


def _find_cycle(graph: dict[str, list[str]]) -> list[str] | None:
    """The first cycle in sorted-key DFS order, as a closed path [a, b, c, a]."""
    state: dict[str, int] = {}  # 1 = on the stack, 2 = done
    for start in sorted(graph):
        if state.get(start):
            continue
        stack: list[tuple[str, int]] = [(start, 0)]
        path: list[str] = [start]
        state[start] = 1
        while stack:
            node, index = stack[-1]
            deps = graph[node]
            if index < len(deps):
                stack[-1] = (node, index + 1)
                dep = deps[index]
                if state.get(dep) == 1:
                    return path[path.index(dep) :] + [dep]
                if not state.get(dep):
                    state[dep] = 1
                    stack.append((dep, 0))
                    path.append(dep)
            else:
                state[node] = 2
                stack.pop()
                path.pop()
    return None
