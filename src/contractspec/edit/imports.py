"""The model classes' import: adding the ones new code names, dropping unused ones.

New names go where the file keeps them: into the existing
`from contractspec import ...` in sorted position (re-wrapped the way black
would when the line grows too long), or as a line of their own when the file
imports one class per line; a class only removed code used leaves the import.

libcst's own parts do the reading: `ImportAlias.evaluated_name` and
`evaluated_alias`, `helpers.get_full_name_for_node_or_raise` (in locate.py), scope
analysis and `matchers.findall` to see which classes only the removed code
used. Its codemod visitors (libcst 1.9) are not used, for what they would do
to the bytes tests/test_edit_operations.py pins:

- AddImportsVisitor puts new names in front of the existing ones, unsorted,
  on the first line of an exploded import (`    DataStep, MigrationMeta,`),
  never re-wraps a line it made too long, and merges into an aliased
  one-per-line import (`from contractspec import DataStep, MigrationMeta as Meta`).
- RemoveImportsVisitor, removing the last name of an exploded import, drops
  the trailing comma and pulls the bracket up (`    MigrationPlan)`), and
  drops the comment lines above an import it removes whole.
- GatherImportsVisitor reports imported names per module in sets, without the
  nodes to edit or the order in which they bind, and counts imports inside
  functions too (the loader reads module level only).
- All three live in libcst.codemod, whose import (it loads libcst.matchers)
  costs about as much as libcst itself: every edit would pay it.
"""

from __future__ import annotations

from bisect import bisect

import libcst as cst
from libcst.helpers import ensure_type

from . import layout as lay
from .layout import Atom, Seq
from .locate import aliases
from .seq import ItemList
from .writing import StyledEdits


class ImportEdits(StyledEdits):
    def __init__(self, source: str, path: str, line_length: int | None = None):
        super().__init__(source, path, line_length)
        self.pending_imports: list[str] = []
        self.unused_imports: list[str] = []

    def class_ref(self, name: str) -> str:
        """How this file spells a model class; adds it to the import when it is missing."""
        for local, target in self.names.classes.items():
            if target == name:
                return local
        attribute_style = isinstance(self.spec_call.func, cst.Attribute)
        if self.names.modules and (attribute_style or not self.model_imports):
            return f"{self.names.modules[0]}.{name}"
        if name not in self.pending_imports:
            self.pending_imports.append(name)
        return name

    def _write_imports(self) -> None:
        if not self.pending_imports:
            return
        imports = self.model_imports
        if len(imports) > 1 and all(len(aliases(i)) == 1 for i in imports):
            self._write_import_lines()
            return
        target = next(
            (
                i
                for i in imports
                if any(a.evaluated_name == "MigrationSpec" for a in aliases(i))
            ),
            imports[0],
        )
        seq = ItemList(target)
        names = [alias.evaluated_name for alias in aliases(target)]
        for name in self.pending_imports:
            index = _sorted_position(names, name)
            names.insert(index, name)
            seq.insert(index, cst.ImportAlias(name=cst.Name(name)))
        new = seq.build()
        if not seq.exploded:
            text = self.code(new)
            if "\n" in text or lay.width(text) > self.line_length:
                items: list[tuple[str, lay.Node]] = [
                    ("", Atom(self.code(alias))) for alias in seq.items
                ]
                code = self.code(target)
                head = code[: code.index("import") + len("import")]
                rendered = self.layout.render(
                    Seq(head + " (", ")", items, collection=True), "", 0
                )
                if self.newline != "\n":
                    rendered = rendered.replace("\n", self.newline)
                statement = cst.parse_statement(
                    rendered + self.newline, config=self.module.config_for_parsing
                )
                assert isinstance(statement, cst.SimpleStatementLine)
                new = statement.body[0]
        self.replacements[id(target)] = (target, new)
        self._mark(target)

    def _write_import_lines(self) -> None:
        """One `from contractspec import X` per line: add a line per new name, in order."""
        lines = [
            s
            for s in self.module.body
            if isinstance(s, cst.SimpleStatementLine)
            and any(small in self.model_imports for small in s.body)
        ]
        names = [
            aliases(ensure_type(line.body[0], cst.ImportFrom))[0].evaluated_name
            for line in lines
        ]
        # New lines by the index of the line they go above (len(lines): below the last).
        new: dict[int, list[cst.SimpleStatementLine]] = {}
        for name in self.pending_imports:
            statement = ensure_type(
                cst.parse_statement(
                    f"from contractspec import {name}{self.newline}",
                    config=self.module.config_for_parsing,
                ),
                cst.SimpleStatementLine,
            )
            new.setdefault(_sorted_position(names, name), []).append(statement)
        for index, line in enumerate(lines):
            above = new.get(index, [])
            below = new.get(len(lines), []) if index == len(lines) - 1 else []
            if not above and not below:
                continue
            nodes = [line]
            if above:  # the comment lines above `line` stay on top
                first = above[0].with_changes(leading_lines=line.leading_lines)
                nodes = [first, *above[1:], line.with_changes(leading_lines=[])]
            self.replacements[id(line)] = (line, cst.FlattenSentinel(nodes + below))
        self.paths.add(id(self.module))

    def _forget_classes(self, removed: cst.CSTNode) -> None:
        """Model classes that only the removed code used leave the import too."""
        import libcst.matchers as m  # a large module: only remove-step needs it

        inside = {id(node) for node in m.findall(removed, m.Name())}
        for local in self.names.classes:
            uses = self.uses(local)
            if uses and all(id(node) in inside for node in uses):
                self.unused_imports.append(local)

    def _drop_imports(self) -> None:
        for target in self.model_imports:
            seq = ItemList(target)
            locals_ = [a.evaluated_alias or a.evaluated_name for a in aliases(target)]
            doomed = [
                i for i, local in enumerate(locals_) if local in self.unused_imports
            ]
            if not doomed:
                continue
            statement, _ = self.statement_of[id(target)]
            if len(doomed) == len(locals_) and len(statement.body) == 1:
                self._remove_statement(statement)
                continue
            for index in reversed(doomed):
                seq.remove(index)
            self.replacements[id(target)] = (target, seq.build())
            self._mark(target)

    def _remove_statement(self, statement: cst.SimpleStatementLine) -> None:
        body = list(self.module.body)
        position = next(i for i, s in enumerate(body) if s is statement)
        self.paths.add(id(self.module))
        self.replacements[id(statement)] = (statement, cst.RemovalSentinel.REMOVE)
        keep = [line for line in statement.leading_lines if line.comment is not None]
        if keep and position + 1 < len(body):
            following = body[position + 1]
            moved = following.with_changes(
                leading_lines=keep + list(following.leading_lines)
            )
            self.replacements[id(following)] = (following, moved)


def _sorted_position(names: list[str], name: str) -> int:
    """Where `name` goes among imported `names`: in order if they are sorted, else last."""
    return bisect(names, name) if names == sorted(names) else len(names)
