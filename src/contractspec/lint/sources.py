"""Every SQL text of a spec, with where it sits: the spec's string literal or a `.sql` file."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..codegen.scripts import INLINE_SQL, SQL_FILE, classify_script
from ..config import Config
from ..loader import LoadedSpec
from ..spec import EXPECT_NO_ERROR, FieldPath
from .positions import Position, SourceMap

STATEMENTS = "statements"  # schema SQL, data SQL: any statements
QUERY = "query"  # an assertion or a check: one read-only query
SCRIPT_CHECK = "script check"  # expect="no_error": statements that read, or DO blocks


@dataclass
class SqlText:
    text: str
    path: str  # the file shown in findings: the spec, or the data step's .sql file
    role: str  # STATEMENTS, QUERY or SCRIPT_CHECK
    label: str  # e.g. "up[0].sql", "up[1].post_checks[0]"
    step: Any  # the spec's step it belongs to
    key: str  # the migration's key
    locate: Callable[[int], Position]  # character offset in text → position in path


def transactional(step: Any) -> bool:
    """Steps run inside the migration's transaction unless they say otherwise."""
    return getattr(step, "transactional", True) is not False


def _in_file(text: str) -> Callable[[int], Position]:
    def locate(offset: int) -> Position:
        before = text[:offset]
        line = before.count("\n") + 1
        return line, offset - (before.rfind("\n") + 1) + 1

    return locate


def _check_role(check: Any) -> str:
    return SCRIPT_CHECK if check.expect == EXPECT_NO_ERROR else QUERY


def sql_texts(
    loaded: LoadedSpec, config: Config, source_map: SourceMap
) -> Iterator[SqlText]:
    """The SQL texts of one spec in plan order; Python data steps have none."""

    def in_spec(where: FieldPath) -> Callable[[int], Position]:
        start = loaded.position(where)
        return lambda offset: source_map.locate(start, offset)

    for direction in ("up", "down"):
        for index, step in enumerate(getattr(loaded.spec.plan, direction) or []):
            where: FieldPath = ("plan", direction, index)
            label = f"{direction}[{index}]"
            for checks in ("pre_checks", "post_checks"):
                for number, check in enumerate(getattr(step, checks)):
                    field = (*where, checks, number, "expression")
                    yield SqlText(
                        check.expression,
                        loaded.path,
                        _check_role(check),
                        f"{label}.{checks}[{number}]",
                        step,
                        loaded.key,
                        in_spec(field),
                    )
            field = (*where, step.payload_field)
            if step.kind == "validation":
                yield SqlText(
                    step.payload,
                    loaded.path,
                    _check_role(step),
                    label,
                    step,
                    loaded.key,
                    in_spec(field),
                )
            elif classify_script(step.payload) == SQL_FILE:  # data or schema
                spec_file = os.path.normpath(os.path.join(config.root, loaded.path))
                target = Path(os.path.dirname(spec_file), step.payload)
                try:  # a missing file is the loader's and build's to report
                    text = target.read_text(encoding="utf-8")
                except (OSError, UnicodeDecodeError):
                    continue
                yield SqlText(
                    text,
                    config.relative(target),
                    STATEMENTS,
                    label,
                    step,
                    loaded.key,
                    _in_file(text),
                )
            elif step.kind == "schema" or classify_script(step.payload) == INLINE_SQL:
                yield SqlText(
                    step.payload,
                    loaded.path,
                    STATEMENTS,
                    label,
                    step,
                    loaded.key,
                    in_spec(field),
                )
