"""The model classes' import: adding the ones new code names, dropping unused ones.

New names go where the file keeps them: into the existing
`from contractspec import ...` in sorted position (re-wrapped the way black
would when the line grows too long), or as a line of their own when the file
imports one class per line; a class only removed code used leaves the import.

Why not libcst's AddImportsVisitor / RemoveImportsVisitor (libcst 1.9): the
first puts new names in front of the existing ones, unsorted, never re-wraps a
line it made too long, and merges into an aliased one-per-line import
(`from contractspec import SchemaStep, MigrationMeta as Meta`); the second
leaves `    SchemaStep)` when it removes the last item of an exploded import and
drops the comment lines above an import it removes. Both would change the
bytes tests/test_edit_operations.py pins.
"""

from __future__ import annotations

import libcst as cst
from libcst.helpers import ensure_type

from . import layout as lay
from .layout import Atom, Seq
from .locate import aliases, dotted, local_name
from .seq import Sequence
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
                if any(dotted(a.name) == "MigrationSpec" for a in aliases(i))
            ),
            imports[0],
        )
        seq = Sequence(target)
        names = [dotted(alias.name) for alias in aliases(target)]
        ordered = names == sorted(names)
        for name in self.pending_imports:
            index = len(seq.items)
            if ordered:
                current = [
                    dotted(ensure_type(alias, cst.ImportAlias).name)
                    for alias in seq.items
                ]
                index = next(
                    (i for i, n in enumerate(current) if n > name), len(current)
                )
            seq.insert(index, cst.ImportAlias(name=cst.Name(name)))
        new = seq.build()
        if not seq.exploded:
            text = self.code(new)
            if "\n" in text or lay.width(text) > self.line_length:
                items: list[tuple[str, lay.Node]] = [
                    ("", Atom(self.code(alias))) for alias in seq.items
                ]
                head = self.code(target)[
                    : self.code(target).index("import") + len("import")
                ]
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
            dotted(aliases(ensure_type(line.body[0], cst.ImportFrom))[0].name)
            for line in lines
        ]
        ordered = names == sorted(names)
        before: dict[int, list[cst.SimpleStatementLine]] = {}
        after: list[cst.SimpleStatementLine] = []
        for name in self.pending_imports:
            statement = ensure_type(
                cst.parse_statement(
                    f"from contractspec import {name}{self.newline}",
                    config=self.module.config_for_parsing,
                ),
                cst.SimpleStatementLine,
            )
            following = (
                next(
                    (line for line, n in zip(lines, names, strict=False) if n > name),
                    None,
                )
                if ordered
                else None
            )
            if following is None:
                after.append(statement)
            else:
                before.setdefault(id(following), []).append(statement)
        for line in lines:
            if id(line) in before:
                new_line = before[id(line)] + [line]
                # A new line never takes over the comment lines above the one it precedes.
                new_line[0] = new_line[0].with_changes(leading_lines=line.leading_lines)
                new_line[-1] = line.with_changes(leading_lines=[])
                self.replacements[id(line)] = (line, cst.FlattenSentinel(new_line))
        self.paths.add(id(self.module))
        if after:
            last = lines[-1]
            current = self.replacements.get(id(last), (last, last))[1]
            nodes: list[cst.CSTNode] = (
                list(current.nodes)
                if isinstance(current, cst.FlattenSentinel)
                else [current] if isinstance(current, cst.CSTNode) else []
            )
            self.replacements[id(last)] = (last, cst.FlattenSentinel(nodes + after))

    def _forget_classes(self, removed: cst.CSTNode) -> None:
        """Model classes that only the removed code used leave the import too."""
        used: list[str] = []

        class Calls(cst.CSTVisitor):
            def visit_Call(inner, node: cst.Call) -> None:  # noqa: N805
                if (
                    isinstance(node.func, cst.Name)
                    and node.func.value in self.names.classes
                ):
                    used.append(node.func.value)

        removed.visit(Calls())
        import libcst.matchers as m  # a large module: only remove-step needs it

        for local in dict.fromkeys(used):
            inside = {id(node) for node in m.findall(removed, m.Name(local))}
            if all(id(node) in inside for node in self.uses(local)):
                self.unused_imports.append(local)

    def _drop_imports(self) -> None:
        for target in self.model_imports:
            seq = Sequence(target)
            locals_ = [local_name(alias) for alias in seq.items]
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
