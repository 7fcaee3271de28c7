"""PostgreSQL statements through pglast: PostgreSQL's own parser (libpg_query).

The parse tree is read as libpg_query's JSON (seven times faster than
pglast's Python objects, which we don't need); its offsets are UTF-8 bytes.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from typing import Any

from pglast.parser import ParseError, parse_sql_json, split

from . import (
    DELETE_ALL,
    DROP_COLUMN,
    DROP_TABLE,
    NO_OBJECTS,
    TRUNCATE,
    DataLoss,
    Objects,
    Parsed,
    Part,
    Relation,
    Statement,
    SyntaxProblem,
)

# Statements PostgreSQL refuses inside a transaction block (PreventInTransactionBlock),
# by parse-tree node: a name, or a test on the node and the name.
_ALWAYS = {
    "AlterSystemStmt": "ALTER SYSTEM",
    "CreatedbStmt": "CREATE DATABASE",
    "DropdbStmt": "DROP DATABASE",
    "CreateTableSpaceStmt": "CREATE TABLESPACE",
    "DropTableSpaceStmt": "DROP TABLESPACE",
    "CreateSubscriptionStmt": "CREATE SUBSCRIPTION",
}
_REINDEX_MANY = {
    "REINDEX_OBJECT_SCHEMA": "REINDEX SCHEMA",
    "REINDEX_OBJECT_DATABASE": "REINDEX DATABASE",
    "REINDEX_OBJECT_SYSTEM": "REINDEX SYSTEM",
}
# libpg_query's guard against deep recursion (PostgreSQL's check_stack_depth)
_TOO_DEEP = "stack depth limit exceeded"
# ALTER TABLE forms that rewrite (or copy) the table under ACCESS EXCLUSIVE
# and that squawk does not report (PostgreSQL's ALTER TABLE documentation).
_REWRITING_COMMANDS = {
    "AT_SetLogged": "SET LOGGED",
    "AT_SetUnLogged": "SET UNLOGGED",
    "AT_SetTableSpace": "SET TABLESPACE",
    "AT_SetAccessMethod": "SET ACCESS METHOD",
}
# A serial column's default is nextval(), a volatile function: every row gets its own.
_SERIAL_TYPES = {"smallserial", "serial", "bigserial", "serial2", "serial4", "serial8"}
# What DROP removes that is a relation (one namespace: tables, views, indexes, ...)
_RELATION_TYPES = {
    "OBJECT_TABLE",
    "OBJECT_VIEW",
    "OBJECT_MATVIEW",
    "OBJECT_INDEX",
    "OBJECT_SEQUENCE",
    "OBJECT_FOREIGN_TABLE",
}


def parse(text: str) -> Parsed:
    try:
        tree = json.loads(parse_sql_json(text))
    except ParseError as exc:
        if exc.args[0] == _TOO_DEEP:
            return _one_by_one(text)
        return Parsed([], _syntax_problem(text, exc))
    except RecursionError:  # a tree nested deeper than Python's json reads
        return _one_by_one(text)
    chars = _Characters(text)
    statements = []
    for raw in tree.get("stmts", ()):
        start = raw.get("stmt_location", 0)
        end = start + raw["stmt_len"] if raw.get("stmt_len") else None
        start, end = chars.at(start), chars.at(end) if end is not None else len(text)
        # the location includes leading whitespace and comments: skip them
        start += _leading_noise(text[start:end])
        statements.append(_statement(text, start, end, raw["stmt"], chars))
    return Parsed(statements)


def _syntax_problem(text: str, error: ParseError) -> SyntaxProblem:
    message, offset = error.args[0], error.args[1]  # a character offset
    # "at end of input" has no offset: point at the end of the text.
    return SyntaxProblem(len(text.rstrip()) if offset is None else offset, message)


def _statement(
    text: str, start: int, end: int, stmt: dict[str, Any], chars: _Characters
) -> Statement:
    ((kind, node),) = stmt.items()
    rewrite = _rewrite(kind, node)
    builds_index, reindexes = _concurrent_index(kind, node)
    return Statement(
        start,
        end,
        text[start:end],
        transaction_control=kind == "TransactionStmt",
        outside_transaction=_outside_transaction(kind, node),
        read_only=kind == "SelectStmt" and _read_only(node),
        objects=_objects(kind, node),
        rewrite=rewrite and (rewrite[0], chars.at(rewrite[1]) if rewrite[1] else start),
        safe_to_rerun=_safe_to_rerun(kind, node),
        builds_index=builds_index,
        reindexes=reindexes,
        destroys=tuple(_destroys(kind, node)),
    )


def _one_by_one(text: str) -> Parsed:
    """A text with a statement nested too deep to read (libpg_query's stack
    guard, far below the server's max_stack_depth, or Python's json):
    each statement read alone, the deep ones marked too_deep."""
    statements: list[Statement] = []
    for piece in split(text, with_parser=False, only_slices=True):  # characters
        start, end = piece.start, piece.stop
        sql = text[start:end]
        try:
            (raw,) = json.loads(parse_sql_json(sql))["stmts"]
        except ParseError as exc:
            if exc.args[0] != _TOO_DEEP:
                problem = _syntax_problem(sql, exc)
                return Parsed(
                    statements, SyntaxProblem(start + problem.offset, problem.message)
                )
            statements.append(Statement(start, end, sql, too_deep=True))
            continue
        except RecursionError:
            statements.append(Statement(start, end, sql, too_deep=True))
            continue
        alone = _statement(sql, 0, len(sql), raw["stmt"], _Characters(sql))
        rewrite = alone.rewrite and (alone.rewrite[0], alone.rewrite[1] + start)
        statements.append(
            dataclasses.replace(alone, start=start, end=end, rewrite=rewrite)
        )
    return Parsed(statements)


class _Characters:
    """UTF-8 byte offsets of one text → character offsets."""

    def __init__(self, text: str):
        self.ascii = text.isascii()
        self.encoded = b"" if self.ascii else text.encode("utf-8")

    def at(self, byte: int) -> int:
        if self.ascii:
            return byte
        return len(self.encoded[:byte].decode("utf-8", "replace"))


def _leading_noise(text: str) -> int:
    """The length of the whitespace and comments before a statement's first token."""
    index = 0
    while index < len(text):
        if text[index].isspace():
            index += 1
        elif text.startswith("--", index):
            newline = text.find("\n", index)
            index = len(text) if newline < 0 else newline + 1
        elif text.startswith("/*", index):
            close = text.find("*/", index + 2)
            index = len(text) if close < 0 else close + 2
        else:
            break
    return index


def _outside_transaction(kind: str, node: dict[str, Any]) -> str | None:
    """The name of what PostgreSQL refuses inside a transaction block, else None."""
    if kind in _ALWAYS:
        return _ALWAYS[kind]
    if kind == "IndexStmt" and node.get("concurrent"):
        return "CREATE INDEX CONCURRENTLY"
    if kind == "DropStmt" and node.get("concurrent"):
        return "DROP INDEX CONCURRENTLY"
    if kind == "ReindexStmt":
        if _option(node.get("params", ()), "concurrently"):
            return "REINDEX CONCURRENTLY"
        return _REINDEX_MANY.get(node.get("kind", ""))
    if kind == "VacuumStmt" and node.get("is_vacuumcmd"):
        return "VACUUM"
    if kind == "ClusterStmt" and "relation" not in node:
        return "CLUSTER without a table"
    return None


# Statements that leave nothing half done that running them again would trip
# over: maintenance, and what takes no name of its own.
_RERUNNABLE = {"VacuumStmt", "CheckPointStmt", "ReindexStmt"}


def _safe_to_rerun(kind: str, node: dict[str, Any]) -> bool:
    """Whether the statement may run again as written after a first run was
    cut short: VACUUM, ANALYZE, REINDEX, CHECKPOINT; CREATE ... IF NOT EXISTS,
    DROP ... IF EXISTS, CREATE OR REPLACE, ADD VALUE IF NOT EXISTS; an ALTER
    TABLE whose every command says IF [NOT] EXISTS (`ALTER TABLE IF EXISTS t
    ADD COLUMN c` says it of the table: the column's ADD fails the second time)."""
    if kind in _RERUNNABLE or node.get("if_not_exists") or node.get("replace"):
        return True
    if kind == "AlterTableStmt":
        commands = [command["AlterTableCmd"] for command in node.get("cmds", ())]
        return bool(commands) and all(c.get("missing_ok") for c in commands)
    if kind == "AlterEnumStmt":
        return bool(node.get("skipIfNewValExists"))
    return bool(node.get("missing_ok"))


def _concurrent_index(
    kind: str, node: dict[str, Any]
) -> tuple[str | None, tuple[str, str] | None]:
    """(the index CREATE INDEX CONCURRENTLY builds, the target REINDEX INDEX|TABLE
    CONCURRENTLY rebuilds), as SQL names: what reconciling an interrupted one
    looks up. An index without a name has none to look up."""
    if kind == "IndexStmt" and node.get("concurrent") and node.get("idxname"):
        schema = node["relation"].get("schemaname")  # an index lives with its table
        return _sql_name(schema, node["idxname"]), None
    concurrently = _option(node.get("params", ()), "concurrently")
    if kind == "ReindexStmt" and concurrently and _switched_on(concurrently):
        what = {"REINDEX_OBJECT_INDEX": "index", "REINDEX_OBJECT_TABLE": "table"}
        target = what.get(node.get("kind", ""))
        if target and "relation" in node:
            relation = node["relation"]
            name = _sql_name(relation.get("schemaname"), relation["relname"])
            return None, (target, name)
    return None, None


def _sql_name(schema: str | None, name: str) -> str:
    """A (schema-qualified) name as SQL writes it, quoted only where it must
    be (pglast's rule: not all lower case letters, digits and `_`, or a
    reserved word)."""
    from pglast.stream import maybe_double_quote_name  # only for these names

    parts = [schema, name] if schema else [name]
    return ".".join(maybe_double_quote_name(part) for part in parts)


def _option(options: Any, name: str) -> dict[str, Any] | None:
    """The DefElem of a statement's option list (VACUUM (FULL), REINDEX (CONCURRENTLY))."""
    for option in options:
        element: dict[str, Any] = option.get("DefElem", {})
        if element.get("defname") == name:
            return element
    return None


def _switched_on(option: dict[str, Any]) -> bool:
    """A boolean option as PostgreSQL reads it (defGetBoolean): no value is true."""
    if "arg" not in option:
        return True
    value = option["arg"]
    if "Integer" in value:
        return bool(value["Integer"].get("ival", 0))
    return str(value.get("String", {}).get("sval", "")).lower() in ("true", "on")


def _read_only(select: dict[str, Any]) -> bool:
    """A SELECT (or VALUES) that writes nothing: no INTO, no FOR UPDATE, no writing CTE."""
    if "intoClause" in select or "lockingClause" in select:
        return False
    for cte in select.get("withClause", {}).get("ctes", ()):
        ((kind, query),) = cte["CommonTableExpr"]["ctequery"].items()
        if kind != "SelectStmt" or not _read_only(query):
            return False
    # UNION / INTERSECT / EXCEPT: both sides
    return all(_read_only(select[side]) for side in ("larg", "rarg") if side in select)


def _rewrite(kind: str, node: dict[str, Any]) -> tuple[str, int] | None:
    """What rewrites a relation under ACCESS EXCLUSIVE here that squawk does not
    report, and the byte location of the clause (0: the statement's start)."""
    if kind == "AlterTableStmt":
        for command in node.get("cmds", ()):
            command = command["AlterTableCmd"]
            subtype = command.get("subtype", "")
            if subtype in _REWRITING_COMMANDS:
                return _REWRITING_COMMANDS[subtype], 0
            column = command.get("def", {}).get("ColumnDef")
            if subtype == "AT_AddColumn" and column:
                type_name = column["typeName"]["names"][-1]["String"]["sval"]
                if type_name in _SERIAL_TYPES:
                    return f"ADD COLUMN {column['colname']} {type_name}", column.get(
                        "location", 0
                    )
    if kind == "VacuumStmt" and node.get("is_vacuumcmd"):
        full = _option(node.get("options", ()), "full")
        if full is not None and _switched_on(full):
            return "VACUUM FULL", full.get("location", 0)
    if kind == "ClusterStmt" and "relation" in node:
        return "CLUSTER", 0
    if kind == "RefreshMatViewStmt" and not node.get("concurrent"):
        return "REFRESH MATERIALIZED VIEW", 0
    return None


def _relation(range_var: dict[str, Any]) -> Relation:
    schema, name = range_var.get("schemaname"), range_var["relname"]
    return name if schema in (None, "public") else f"{schema}.{name}"


def _in_schema_of(relation: Relation, name: str) -> Relation:
    """An index's or a renamed relation's name: in the schema of the one it belongs to."""
    schema, dot, _ = relation.rpartition(".")
    return f"{schema}.{name}" if dot else name


def _named(items: list[dict[str, Any]]) -> Relation:
    """A qualified name given as a list of strings (DROP's objects)."""
    names = [item["String"]["sval"] for item in items]
    return _relation(
        {"schemaname": names[-2] if len(names) > 1 else None, "relname": names[-1]}
    )


def _objects(kind: str, node: dict[str, Any]) -> Objects:
    if kind == "CreateStmt":
        return _created_table(node)
    if kind in ("CreateTableAsStmt", "SelectStmt") and (
        "into" in node or "intoClause" in node
    ):
        into = node.get("into") or node["intoClause"]
        return Objects(creates=(_relation(into["rel"]),))
    if kind == "ViewStmt":
        return Objects(creates=(_relation(node["view"]),))
    if kind == "CreateSeqStmt":
        return Objects(creates=(_relation(node["sequence"]),))
    if kind == "IndexStmt":
        table = _relation(node["relation"])
        index = node.get("idxname")
        return Objects(
            creates=(_in_schema_of(table, index),) if index else (), changes=(table,)
        )
    if kind == "AlterTableStmt":
        return _altered(_relation(node["relation"]), node.get("cmds", ()))
    if kind == "RenameStmt" and "relation" in node:
        relation = _relation(node["relation"])
        if node.get("renameType") in _RELATION_TYPES:
            renamed = _in_schema_of(relation, node["newname"])
            return Objects(changes=(relation,), renames=((relation, renamed),))
        return Objects(changes=(relation,))
    if kind == "DropStmt":
        return _dropped(node)
    if kind in _CREATED_TYPES:
        return Objects(creates=(_created_name(kind, node),))
    if kind in ("CreateSchemaStmt", "CreateExtensionStmt", "CreateFunctionStmt"):
        return Objects(creates=(_created_name(kind, node),))
    if kind == "AlterDomainStmt" and node.get("subtype") == "C":  # ADD CONSTRAINT
        domain = f"type {_named(node['typeName'])}"
        constraint = node.get("def", {}).get("Constraint", {})
        return Objects(
            changes=(domain,),
            adds=((domain, "constraint", constraint.get("conname", "")),),
            not_valid=constraint.get("skip_validation", False),
        )
    if kind == "CreateTrigStmt":
        table = _relation(node["relation"])
        return Objects(changes=(table,), adds=((table, "trigger", node["trigname"]),))
    if (
        kind in ("ReindexStmt", "ClusterStmt", "RefreshMatViewStmt")
        and "relation" in node
    ):
        return Objects(changes=(_relation(node["relation"]),))
    if kind == "VacuumStmt":
        relations = [r["VacuumRelation"].get("relation") for r in node.get("rels", ())]
        return Objects(changes=tuple(_relation(r) for r in relations if r))
    if kind in ("TruncateStmt", "LockStmt"):
        return Objects(
            changes=tuple(_relation(r["RangeVar"]) for r in node["relations"])
        )
    return NO_OBJECTS


# Named objects that are not relations, as "kind name" (a type shares its
# namespace with relations, but not its name: a table has a type of its own).
_CREATED_TYPES = {
    "CreateEnumStmt": "typeName",
    "CompositeTypeStmt": "typevar",
    "CreateDomainStmt": "domainname",
    "CreateRangeStmt": "typeName",
}
_DROPPED_KINDS = {"OBJECT_SCHEMA": "schema", "OBJECT_EXTENSION": "extension"}


def _created_name(kind: str, node: dict[str, Any]) -> Relation:
    """The name of a type, schema, extension or function a statement creates."""
    if kind in _CREATED_TYPES:
        name = node[_CREATED_TYPES[kind]]
        return f"type {_relation(name) if isinstance(name, dict) else _named(name)}"
    if kind == "CreateSchemaStmt":
        return f"schema {node.get('schemaname', '')}"
    if kind == "CreateExtensionStmt":
        return f"extension {node['extname']}"
    return f"function {_named(node['funcname'])}"


def _dropped(node: dict[str, Any]) -> Objects:
    """DROP of relations, of other named objects, of triggers (a table's part)."""
    kind, objects = node.get("removeType", ""), node.get("objects", ())
    if kind in _RELATION_TYPES:
        dropped = tuple(_named(o["List"]["items"]) for o in objects)
    elif kind in ("OBJECT_TYPE", "OBJECT_DOMAIN"):
        dropped = tuple(f"type {_named(o['TypeName']['names'])}" for o in objects)
    elif kind in ("OBJECT_SCHEMA", "OBJECT_EXTENSION"):
        dropped = tuple(
            f"{_DROPPED_KINDS[kind]} {o['String']['sval']}" for o in objects
        )
    elif kind in ("OBJECT_FUNCTION", "OBJECT_PROCEDURE"):
        dropped = tuple(
            f"function {_named(o['ObjectWithArgs']['objname'])}" for o in objects
        )
    elif kind == "OBJECT_TRIGGER":
        names = [o["List"]["items"] for o in objects]
        parts = tuple(
            (_named(n[:-1]), "trigger", n[-1]["String"]["sval"]) for n in names
        )
        tables = tuple(dict.fromkeys(table for table, _, _ in parts))
        return Objects(changes=tables, removes=parts, only_drops=True)
    else:
        return NO_OBJECTS
    return Objects(changes=dropped, drops=dropped, only_drops=True)


def _created_table(node: dict[str, Any]) -> Objects:
    table = _relation(node["relation"])
    adds: list[Part] = []
    checks: list[tuple[Relation, str, str, bool]] = []
    for element in node.get("tableElts", ()):
        if "ColumnDef" in element:
            facts = _column(table, element["ColumnDef"])
        elif "Constraint" in element:
            facts = _constraint(table, element["Constraint"])
        else:
            continue
        adds += facts.adds
        checks += facts.not_null_checks
    return Objects(creates=(table,), adds=tuple(adds), not_null_checks=tuple(checks))


def _column(table: Relation, column: dict[str, Any]) -> Objects:
    """What a column definition adds: the column, its named constraints, NOT NULL, a default."""
    name = column["colname"]
    adds: list[Part] = [(table, "column", name)]
    checks: list[tuple[Relation, str, str, bool]] = []
    not_null = column.get("is_not_null", False)
    for constraint in column.get("constraints", ()):
        constraint = constraint["Constraint"]
        kind = constraint.get("contype")
        not_null |= kind in ("CONSTR_NOTNULL", "CONSTR_PRIMARY")
        if kind == "CONSTR_DEFAULT":
            adds.append((table, "default", name))
        facts = _constraint(table, constraint)
        adds += facts.adds
        checks += facts.not_null_checks
    if not_null:
        adds.append((table, "not null", name))
    return Objects(adds=tuple(adds), not_null_checks=tuple(checks))


def _constraint(table: Relation, constraint: dict[str, Any]) -> Objects:
    name = constraint.get("conname")
    if name is None:
        return NO_OBJECTS
    column = None
    if constraint.get("contype") == "CONSTR_CHECK":
        column = _not_null_test(constraint)
    valid = not constraint.get("skip_validation", False)
    return Objects(
        adds=((table, "constraint", name),),
        not_null_checks=((table, name, column, valid),) if column else (),
    )


def _not_null_test(constraint: dict[str, Any]) -> str | None:
    """The column of `CHECK (column IS NOT NULL)`, the form SET NOT NULL can rely on."""
    test = constraint.get("raw_expr", {}).get("NullTest", {})
    fields = test.get("arg", {}).get("ColumnRef", {}).get("fields", ())
    if test.get("nulltesttype") == "IS_NOT_NULL" and len(fields) == 1:
        return str(fields[0].get("String", {}).get("sval", "")) or None
    return None


# ALTER TABLE commands that only drop: the part each drops
_DROPPING = {
    "AT_DropColumn": "column",
    "AT_DropConstraint": "constraint",
    "AT_DropNotNull": "not null",
}


def _altered(table: Relation, commands: Any) -> Objects:
    adds: list[Part] = []
    removes: list[Part] = []
    checks: list[tuple[Relation, str, str, bool]] = []
    validates: list[tuple[Relation, str]] = []
    only_drops = True
    for command in commands:
        command = command["AlterTableCmd"]
        subtype, name = command.get("subtype"), command.get("name", "")
        definition = command.get("def")
        if subtype == "AT_ColumnDefault":  # SET DEFAULT, or DROP DEFAULT (no def)
            (adds if definition else removes).append((table, "default", name))
            only_drops &= not definition
            continue
        only_drops &= subtype in _DROPPING
        if subtype in _DROPPING:
            removes.append((table, _DROPPING[subtype], name))
        elif subtype == "AT_ValidateConstraint":
            validates.append((table, name))
        elif subtype == "AT_SetNotNull":
            adds.append((table, "not null", name))
        elif subtype == "AT_AddColumn":
            facts = _column(table, definition["ColumnDef"])
            adds += facts.adds
            checks += facts.not_null_checks
        elif subtype == "AT_AddConstraint":
            facts = _constraint(table, definition["Constraint"])
            adds += facts.adds
            checks += facts.not_null_checks
    return Objects(
        changes=(table,),
        adds=tuple(adds),
        removes=tuple(removes),
        only_drops=only_drops and bool(removes),
        not_null_checks=tuple(checks),
        validates=tuple(validates),
    )


def _destroys(kind: str, node: dict[str, Any]) -> Iterator[DataLoss]:
    """The stored data a statement destroys, its data-modifying CTEs' included."""
    for cte in node.get("withClause", {}).get("ctes", ()):
        ((inner, query),) = cte["CommonTableExpr"]["ctequery"].items()
        yield from _destroys(inner, query)
    if kind == "DropStmt" and node.get("removeType") == "OBJECT_TABLE":
        for dropped in node.get("objects", ()):
            yield DataLoss(DROP_TABLE, _named(dropped["List"]["items"]))
    elif kind == "AlterTableStmt" and node.get("objtype") == "OBJECT_TABLE":
        table = _relation(node["relation"])
        for command in node.get("cmds", ()):
            command = command["AlterTableCmd"]
            if command.get("subtype") == "AT_DropColumn":
                yield DataLoss(DROP_COLUMN, table, command.get("name", ""))
    elif kind == "TruncateStmt":
        for relation in node["relations"]:
            yield DataLoss(TRUNCATE, _relation(relation["RangeVar"]))
    elif kind == "DeleteStmt" and "whereClause" not in node:
        yield DataLoss(DELETE_ALL, _relation(node["relation"]))
