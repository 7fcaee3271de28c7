"""In-place spec edits with libcst: the editor and `edit_source`.

The editor parses the file with libcst, finds the spec the way the static
loader does (`from contractspec import X as Y`, `import contractspec as cs`,
keyword or positional arguments, names bound at module level), works out the
nodes an operation has to change, and replaces exactly those. libcst prints
every other node back byte for byte, so comments, blank lines, quotes,
trailing commas and layout outside the edited nodes stay as they were.

New code follows the code around it: the indentation of the siblings, the
file's quote character, positional or keyword payloads as the other steps
have them, a trailing comma when the siblings have one, triple-quoted strings
for multi-line SQL, and black's line breaking for the file's line length
(see layout.py). A line the edit makes too long is re-wrapped, and only that
line.
"""

from __future__ import annotations

from typing import TypeVar, cast

import libcst as cst

from ..errors import SpecError
from ..loader import load_source
from . import operations as ops
from .locate import UNCHANGED_NOTE, Noop, Refusal, Replacement
from .meta_ops import MetaEdits
from .operations import EditRefused, EditResult, Operation
from .step_ops import StepEdits

Node = TypeVar("Node", bound=cst.CSTNode)


class _Replacer(cst.CSTTransformer):
    """Swaps nodes by identity, descending only along the paths that lead to them."""

    def __init__(
        self, replacements: dict[int, tuple[cst.CSTNode, Replacement]], paths: set[int]
    ):
        self.replacements = replacements
        self.paths = paths

    def on_visit(self, node: cst.CSTNode) -> bool:
        return id(node) in self.paths

    def on_leave(
        self, original_node: Node, updated_node: Node
    ) -> Node | cst.RemovalSentinel | cst.FlattenSentinel[Node]:
        found = self.replacements.get(id(original_node))
        if found is not None and found[0] is original_node:
            # A replacement need not be of the replaced node's type (libcst checks
            # what it can hold when it rebuilds the parent).
            return cast(
                "Node | cst.RemovalSentinel | cst.FlattenSentinel[Node]", found[1]
            )
        return updated_node


class Editor(MetaEdits, StepEdits):
    """One spec file being edited. `apply(op)` then `finish()` gives the new source.

    The concerns live in their own modules, one class each, stacked:
    locate.SpecFile (finding the spec call and what an edit reaches),
    writing.StyledEdits (new code in the file's style, black's line breaking),
    imports.ImportEdits (the model classes' import), then the operations in
    meta_ops.MetaEdits and step_ops.StepEdits.
    """

    def apply(self, operation: Operation) -> str:
        match operation:
            case ops.BumpVersion():
                return self.bump_version(operation)
            case ops.SetField():
                return self.set_field(operation)
            case ops.AddDependency():
                return self.add_dependency(operation)
            case ops.RemoveDependency():
                return self.remove_dependency(operation)
            case ops.AddStep():
                return self.add_step(operation)
            case ops.AddCheck():
                return self.add_check(operation)
            case ops.AcceptLintRule():
                return self.accept_lint_rule(operation)
            case ops.RemoveStep():
                return self.remove_step(operation)
        raise TypeError(f"unknown operation {operation!r}")

    def finish(self) -> str:
        self._write_imports()
        self._drop_imports()
        if not self.replacements:
            return self.source
        return self.module.visit(_Replacer(self.replacements, self.paths)).code


def edit_source(
    source: str, path: str, operation: Operation, *, line_length: int | None = None
) -> EditResult:
    """Apply one operation to spec source text; never touches the file system.

    Returns the new text (unchanged, with a message saying why, when the edit
    is already applied). Raises EditRefused with `path:line:col` diagnostics
    when the edit cannot be made or its result would not load, and UsageError
    for arguments that make no sense for this spec (a step that does not exist).
    """
    editor = Editor(source, path, line_length)
    try:
        message = editor.apply(operation)
    except Noop as noop:
        return EditResult(path, source, source, f"already applied: {noop}", False)
    except Refusal as refusal:
        raise EditRefused([editor.diagnostic(refusal)], UNCHANGED_NOTE) from None
    new_source = editor.finish()
    if (
        new_source == source
    ):  # pragma: no cover - every operation either changes or raises Noop
        return EditResult(path, source, source, "already applied", False)
    try:
        loaded = load_source(new_source, path)
    except SpecError as exc:
        raise EditRefused(
            exc.diagnostics,
            f"the file was not changed: after this edit ({message}) the spec would not load"
            " (positions refer to the edited text)",
        ) from None
    return EditResult(path, source, new_source, message, True, loaded)
