"""Operations on the plan: add-step, add-check, remove-step."""

from __future__ import annotations

from typing import Any

import libcst as cst

from .. import spec as model
from ..errors import UsageError
from ..model_names import STEP_CLASS_NAMES
from .imports import ImportEdits
from .layout import normalize_sql, same_sql
from .locate import Field, Noop, Refusal, Where, describe
from .operations import PAYLOAD_FIELDS, AcceptLintRule, AddCheck, AddStep, RemoveStep

STEP_CLASS = {
    "schema": "SchemaStep",
    "data": "DataStep",
    "validation": "ValidationStep",
}


KIND_OF = {cls: kind for kind, cls in STEP_CLASS.items()}


STEP_DEFAULTS: dict[str, Any] = {
    "description": None,
    "timeout_ms": None,
    "retries": 0,
    "transactional": True,
    "expect": model.EXPECT_TRUTHY,
    # a data step's own (last, in this order)
    "sha256": None,
    "confirm_by": [],
    "instructions": None,
}


class StepEdits(ImportEdits):
    def _direction(self, down: bool) -> tuple[cst.Call, Where, str, Field | None]:
        """The plan call, its way, "up" or "down", and that list's field if given."""
        plan, where = self.plan()
        direction = "down" if down else "up"
        return (
            plan,
            where,
            direction,
            self.field(plan, where, "MigrationPlan", direction),
        )

    def _step(
        self, node: cst.CSTNode, where: Where, what: str
    ) -> tuple[cst.Call, Where, str]:
        node, where = self.deref(node, where, what)
        class_name = self.model_class(node)
        if (
            not isinstance(node, cst.Call)
            or class_name is None
            or class_name not in STEP_CLASS_NAMES
        ):
            described = describe(node, self.code(getattr(node, "func", node)))
            raise Refusal(node, f"cannot edit {what}: it is {described}, not a step")
        return node, where, class_name

    def _step_values(self, node: cst.CSTNode, where: Where) -> dict[str, Any] | None:
        try:
            call, call_where, class_name = self._step(node, where, "step")
            kind = KIND_OF[class_name]
            values: dict[str, Any] = {"kind": kind}
            names = [model.STEP_CLASSES[kind].payload_name, *STEP_DEFAULTS]
            for name in names if kind == "data" else names[:-3]:
                found = self.field(call, call_where, class_name, name)
                values["payload" if name in PAYLOAD_FIELDS.values() else name] = (
                    STEP_DEFAULTS.get(name)
                    if found is None
                    else self.literal(found.value, found.where, name)
                )
            manual = values.pop("instructions", None)
            values["instructions"] = manual is not None
            if manual is not None:  # a person's work: the instructions are its payload
                values["payload"] = manual
            return values
        except Refusal:
            return None

    def _positional_style(self, class_names: tuple[str, ...]) -> bool:
        """Whether this file passes the first field of these classes positionally (majority vote)."""
        votes = {True: 0, False: 0}
        followed: set[str] = set()

        def visit(node: cst.CSTNode) -> None:
            if isinstance(node, cst.Call):
                name = self.model_class(node)
                if name in class_names and node.args:
                    first = node.args[0]
                    votes[first.keyword is None and not first.star] += 1
                for arg in node.args:
                    visit(arg.value)
            elif isinstance(node, (cst.List, cst.Tuple)):
                for element in node.elements:
                    visit(element.value)
            elif (
                isinstance(node, cst.Name)
                and node.value in self.bindings
                and node.value not in followed
            ):
                followed.add(node.value)
                visit(self.bindings[node.value][-1][0])

        visit(self.spec_call)
        return votes[True] > votes[False]

    def add_step(self, op: AddStep) -> str:
        if op.kind not in STEP_CLASS:
            raise UsageError(
                f"unknown step kind {op.kind!r}: expected one of {', '.join(STEP_CLASS)}"
            )
        payload = normalize_sql(op.payload)
        plan, plan_where, direction, found = self._direction(op.down)
        what = f"the {direction} plan"
        wanted = {
            "kind": op.kind,
            "payload": payload,
            "description": op.description,
            "timeout_ms": op.timeout_ms,
            "retries": op.retries or 0,
            "transactional": op.transactional,
            "expect": op.expect,
            "instructions": op.instructions,
            "confirm_by": list(op.confirm_by),
            "sha256": op.sha256,
        }
        listed: tuple[cst.List | cst.Tuple, Where] | None = None
        count = 0
        if found is not None and not _is_none(found.value):
            listed = list_node, list_where = self.expect_list(
                found.value, found.where, what
            )
            count = len(list_node.elements)
            for number, element in enumerate(list_node.elements, start=1):
                have = self._step_values(
                    element.value, list_where.child(list_node, number - 1)
                )
                if have is not None and _same_step(have, wanted):
                    raise Noop(
                        f"the {direction} plan already has this step (step {number})"
                    )
        position = count + 1 if op.position is None else op.position
        if not 1 <= position <= count + 1:
            raise UsageError(
                f"cannot add a step at position {position}: the {direction} plan has {count} step"
                f"{'s' if count != 1 else ''} (positions 1 to {count + 1})"
            )
        if not op.transactional and op.kind == "validation":
            raise UsageError(
                "a validation step only reads: it always runs in the transaction"
            )
        if (op.instructions or op.sha256) and op.kind != "data":
            raise UsageError("instructions and --sha256 are a data step's")
        _check_expect(op.expect, op.kind)
        text = self._step_text(op, payload)
        if listed is not None:
            seq = self.sequence(listed[0])
            self.insert_item(seq, position - 1, text)
            self.commit_sequence(seq, listed[1], what)
        elif found is not None:  # down=None
            self.commit(found.value, self.parse(f"[{text}]"), found.where, what)
        else:
            self.add_keyword(
                plan, plan_where, "MigrationPlan", direction, f"[{text}]", what
            )
        where_to = "" if op.position is None else f" at position {position}"
        return f"added {op.kind} step {position} to the {direction} plan{where_to}"

    def _step_text(self, op: AddStep, payload: str) -> str:
        class_name = STEP_CLASS[op.kind]
        positional = self._positional_style(STEP_CLASS_NAMES)
        literal = self.string(payload, multiline=True)
        if op.instructions:  # never positional: the first field is the script
            parts = [f"instructions={literal}"]
        else:
            parts = [literal if positional else f"{PAYLOAD_FIELDS[op.kind]}={literal}"]
        if op.sha256 is not None:
            parts.append(f"sha256={self.string(op.sha256)}")
        if op.description is not None:
            parts.append(f"description={self.string(op.description)}")
        if op.timeout_ms is not None:
            parts.append(f"timeout_ms={int(op.timeout_ms)}")
        if op.retries is not None:
            parts.append(f"retries={int(op.retries)}")
        if not op.transactional:
            parts.append("transactional=False")
        if op.expect != model.EXPECT_TRUTHY:
            parts.append(f"expect={self.string(op.expect)}")
        if op.confirm_by:
            owners = ", ".join(self.string(owner) for owner in op.confirm_by)
            parts.append(f"confirm_by=[{owners}]")
        return f"{self.class_ref(class_name)}({', '.join(parts)})"

    def _nth_step(
        self, down: bool, number: int, verb: str
    ) -> tuple[str, cst.List | cst.Tuple, Where]:
        """The direction, and the plan list that has step `number` (counted from 1)."""
        _, _, direction, found = self._direction(down)
        what = f"the {direction} plan"
        if found is None or _is_none(found.value):
            raise UsageError(
                f"cannot {verb} {direction} step {number}: the spec has no {direction} plan"
            )
        list_node, list_where = self.expect_list(found.value, found.where, what)
        count = len(list_node.elements)
        if not 1 <= number <= count:
            has = (
                "no steps" if count == 0 else f"{count} step{'s' if count != 1 else ''}"
            )
            raise UsageError(
                f"cannot {verb} {direction} step {number}: the {direction} plan has {has}"
            )
        return direction, list_node, list_where

    def add_check(self, op: AddCheck) -> str:
        if op.when not in ("pre", "post"):
            raise UsageError(f"a check runs 'pre' or 'post', not {op.when!r}")
        _check_expect(op.expect, "check")
        expression = normalize_sql(op.expression)
        direction, list_node, list_where = self._nth_step(
            op.down, op.step, "add a check to"
        )
        element = list_node.elements[op.step - 1]
        what = f"{direction} step {op.step}"
        step, step_where, class_name = self._step(
            element.value, list_where.child(list_node, op.step - 1), what
        )
        field_name = f"{op.when}_checks"
        found = self.field(step, step_where, class_name, field_name)
        positional = self._positional_style(("MigrationCheck",))
        description = self.string(op.description)
        literal = self.string(expression, multiline=True)
        args = (
            f"{description}, {literal}"
            if positional
            else f"description={description}, expression={literal}"
        )
        if op.expect != model.EXPECT_TRUTHY:
            args += f", expect={self.string(op.expect)}"
        message = f"added a {op.when}-check to {what}"
        if found is None:
            text = f"[{self.class_ref('MigrationCheck')}({args})]"
            self.add_keyword(step, step_where, class_name, field_name, text, what)
            return message
        checks, checks_where = self.expect_list(
            found.value, found.where, f"{field_name} of {what}"
        )
        for number, item in enumerate(checks.elements, start=1):
            try:
                check, check_where = self.expect_call(
                    item.value,
                    checks_where.child(checks, number - 1),
                    "MigrationCheck",
                    "check",
                )
                fields = self.arguments(check, "MigrationCheck")
                have = {
                    name: self.literal(
                        check.args[fields[name]].value,
                        check_where.child(check, fields[name]),
                        name,
                    )
                    for name in ("description", "expression", "expect")
                    if name in fields
                }
            except Refusal:
                continue
            if (
                have.get("description") == op.description
                and same_sql(str(have.get("expression", "")), expression)
                and have.get("expect", model.EXPECT_TRUTHY) == op.expect
            ):
                raise Noop(f"{what} already has this {op.when}-check (check {number})")
        seq = self.sequence(checks)
        self.insert_item(
            seq, len(seq.items), f"{self.class_ref('MigrationCheck')}({args})"
        )
        self.commit_sequence(seq, checks_where, f"{field_name} of {what}")
        return message

    def accept_lint_rule(self, op: AcceptLintRule) -> str:
        """Add (or re-word) `rule: reason` in a step's lint_ignore dict."""
        if not op.rule.strip() or not op.reason.strip():
            raise UsageError("accepting a lint rule takes a rule name and a reason")
        direction, list_node, list_where = self._nth_step(
            op.down, op.step, "accept a lint rule in"
        )
        what = f"{direction} step {op.step}"
        element = list_node.elements[op.step - 1]
        step, step_where, class_name = self._step(
            element.value, list_where.child(list_node, op.step - 1), what
        )
        found = self.field(step, step_where, class_name, "lint_ignore")
        message = f"{what} accepts {op.rule}: {op.reason}"
        if found is None:
            entry = f"{self.string(op.rule)}: {self.string(op.reason)}"
            self.add_keyword(
                step, step_where, class_name, "lint_ignore", "{" + entry + "}", what
            )
            return message
        field_what = f"lint_ignore of {what}"
        target, target_where = self.deref(found.value, found.where, field_what)
        if not isinstance(target, cst.Dict):
            raise Refusal(
                target,
                f"cannot edit {field_what}: it is {describe(target, self.code(target))}, not a dict",
            )
        accepted: dict[str, str] = {}
        for item in target.elements:
            if not isinstance(item, cst.DictElement):
                raise Refusal(
                    item, f"cannot edit {field_what}: **unpacking is not a literal"
                )
            key = self.literal(item.key, target_where, field_what)
            accepted[key] = self.literal(item.value, target_where, field_what)
        if accepted.get(op.rule) == op.reason:
            raise Noop(f"{what} already accepts {op.rule} for this reason")
        accepted[op.rule] = op.reason
        text = ", ".join(
            f"{self.string(k)}: {self.string(v)}" for k, v in accepted.items()
        )
        self.commit(target, self.parse("{" + text + "}"), target_where, field_what)
        return message

    def remove_step(self, op: RemoveStep) -> str:
        direction, list_node, list_where = self._nth_step(op.down, op.step, "remove")
        seq = self.sequence(list_node)
        removed = seq.remove(op.step - 1)
        self.commit_sequence(seq, list_where, f"the {direction} plan")
        self._forget_classes(removed)
        return f"removed {direction} step {op.step}"


def _check_expect(expect: str, what: str) -> None:
    if expect not in model.EXPECTATIONS:
        raise UsageError(
            f"expect must be {' or '.join(model.EXPECTATIONS)}, not {expect!r}"
        )
    if expect != model.EXPECT_TRUTHY and what not in ("validation", "check"):
        raise UsageError(
            f"expect is for checks and validation steps, not a {what} step"
        )


def _is_none(node: cst.BaseExpression) -> bool:
    return isinstance(node, cst.Name) and node.value == "None"


def _same_step(have: dict[str, Any], wanted: dict[str, Any]) -> bool:
    return (
        have["kind"] == wanted["kind"]
        and isinstance(have["payload"], str)
        and same_sql(have["payload"], wanted["payload"])
        and have["description"] == wanted["description"]
        and have["timeout_ms"] == wanted["timeout_ms"]
        and have["retries"] == wanted["retries"]
        and have["transactional"] == wanted["transactional"]
        and have["expect"] == wanted["expect"]
        and have.get("instructions", False) == wanted["instructions"]
        and have.get("confirm_by", []) == wanted["confirm_by"]
        and have.get("sha256") == wanted["sha256"]
    )
