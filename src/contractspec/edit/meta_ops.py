"""Operations on the spec's meta and dependencies: bump-version, set, add/remove-dependency."""

from __future__ import annotations

from typing import Any

import libcst as cst

from .. import spec as model
from ..errors import UsageError
from .imports import ImportEdits
from .locate import Noop, Refusal, Where
from .operations import (
    SCALAR_FIELDS,
    SETTABLE_FIELDS,
    AddDependency,
    BumpVersion,
    RemoveDependency,
    SetField,
)

META_DEFAULTS: dict[str, Any] = {
    "description": "",
    "domain": "",
    "stability": "experimental",
    "owners": [],
    "tags": [],
}


class MetaEdits(ImportEdits):
    def bump_version(self, op: BumpVersion) -> str:
        meta, where = self.meta()
        found = self.field(meta, where, "MigrationMeta", "version")
        if found is None:
            raise Refusal(
                meta, "cannot edit version: MigrationMeta(...) has no version"
            )
        node, value_where = found.value, found.where
        current = self.literal(node, value_where, "version")
        if not isinstance(current, int) or isinstance(current, bool):
            raise Refusal(
                self.deref(node, value_where, "version")[0],
                f"cannot bump version: it is {current!r}, not an integer",
            )
        new = current + 1 if op.to is None else op.to
        if new == current:
            raise Noop(f"version is already {current}")
        if new < current:
            raise UsageError(
                f"cannot set version to {new}: it is {current}, and versions only go up"
            )
        target, target_where = self.deref(node, value_where, "version")
        self.commit(target, cst.Integer(str(new)), target_where, "version")
        return f"version {current} -> {new}"

    def set_field(self, op: SetField) -> str:
        name = op.field
        if name not in SETTABLE_FIELDS:
            raise UsageError(
                f"cannot set {name!r}: settable fields are {', '.join(SETTABLE_FIELDS)}"
            )
        meta, where = self.meta()
        found = self.field(meta, where, "MigrationMeta", name)
        if name in SCALAR_FIELDS:
            if not isinstance(op.value, str):
                raise UsageError(f"{name} takes one value")
            value: Any = op.value
        else:
            values = [op.value] if isinstance(op.value, str) else list(op.value)
            value = values
        if found is None:
            if name in META_DEFAULTS and value == META_DEFAULTS[name]:
                raise Noop(f"{name} is already {_show(value)} (the default)")
            text = (
                self.string(value)
                if isinstance(value, str)
                else self._string_list(value)
            )
            self.add_keyword(meta, where, "MigrationMeta", name, text, name)
            return f"{name} set to {_show(value)}"
        node, value_where = found.value, found.where
        current = self.literal(node, value_where, name)
        if current == value:
            raise Noop(f"{name} is already {_show(value)}")
        target, target_where = self.deref(node, value_where, name)
        if isinstance(value, str):
            self.commit(
                target,
                self.parse(self._replacement_string(target, target_where, value)),
                target_where,
                name,
            )
        else:
            self._set_list(target, target_where, current, value, name)
        return f"{name} {_show(current)} -> {_show(value)}"

    def _set_list(
        self,
        node: cst.CSTNode,
        where: Where,
        current: list[str],
        wanted: list[str],
        what: str,
    ) -> None:
        import difflib

        node, where = self.expect_list(node, where, what)
        seq = self.sequence(node)
        matcher = difflib.SequenceMatcher(a=current, b=wanted, autojunk=False)
        # An element is its value: a replaced owner leaves with its comments, like a removed one.
        for tag, i1, i2, j1, j2 in reversed(matcher.get_opcodes()):
            if tag == "equal":
                continue
            for index in range(i2 - 1, i1 - 1, -1):
                seq.remove(index)
            for offset, value in enumerate(wanted[j1:j2]):
                self.insert_item(seq, i1 + offset, self.string(value))
        self.commit_sequence(seq, where, what)

    def add_dependency(self, op: AddDependency) -> str:
        reference = op.reference.strip()
        call, where = self.spec_call, self.spec_where
        found = self.field(call, where, "MigrationSpec", "dependencies")
        if found is None:
            text = self._string_list([reference])
            self.add_keyword(
                call, where, "MigrationSpec", "dependencies", text, "dependencies"
            )
            return f"added dependency {reference!r}"
        node, list_where = self.expect_list(found.value, found.where, "dependencies")
        current = self.literal(node, list_where, "dependencies")
        if reference in current:
            raise Noop(f"already depends on {reference!r}")
        name, _ = model.split_key(reference)
        for i, existing in enumerate(current):
            if isinstance(existing, str) and model.split_key(existing)[0] == name:
                raise Refusal(
                    node.elements[i],
                    f"cannot add dependency {reference!r}: it already depends on {existing!r};"
                    " remove that dependency first",
                )
        seq = self.sequence(node)
        self.insert_item(seq, len(seq.items), self.string(reference))
        self.commit_sequence(seq, list_where, "dependencies")
        return f"added dependency {reference!r}"

    def remove_dependency(self, op: RemoveDependency) -> str:
        reference = op.reference.strip()
        call, where = self.spec_call, self.spec_where
        found = self.field(call, where, "MigrationSpec", "dependencies")
        if found is None:
            raise Noop(f"does not depend on {reference!r}")
        list_node, list_where = self.expect_list(
            found.value, found.where, "dependencies"
        )
        current = self.literal(list_node, list_where, "dependencies")
        if reference not in current:
            name, _ = model.split_key(reference)
            similar = [
                d
                for d in current
                if isinstance(d, str) and model.split_key(d)[0] == name
            ]
            hint = (
                f" (it depends on {', '.join(repr(s) for s in similar)})"
                if similar
                else ""
            )
            raise Noop(f"does not depend on {reference!r}{hint}")
        position = current.index(reference)
        seq = self.sequence(list_node)
        if (
            len(current) == 1
            and list_node is found.value
            and call.args[found.argument].keyword is not None
        ):
            # The last dependency: drop the whole `dependencies=[...]` argument (the default is []).
            spec_seq = self.sequence(call)
            spec_seq.remove(found.argument)
            self.commit_sequence(spec_seq, where, "dependencies")
        else:
            seq.remove(position)
            self.commit_sequence(seq, list_where, "dependencies")
        return f"removed dependency {reference!r}"


def _show(value: Any) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(repr(v) for v in value) + "]"
    return repr(value)
