"""Every SQL text of a spec, with where it sits: the spec's string literal or a `.sql` file."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..codegen.scripts import INLINE_SQL, SQL_FILE, URL, classify_script
from ..config import Config
from ..errors import ContractspecError, Diagnostic, FileRefused
from ..files import read_project_file
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
    direction: str = "up"  # the plan it belongs to: up or down
    # which of the direction's transactions it runs in (a step outside the
    # transaction, or batched, is one of its own; see transaction_groups)
    transaction: int = 0


def transactional(step: Any) -> bool:
    """Steps run inside the migration's transaction unless they say otherwise."""
    return getattr(step, "transactional", True) is not False


def _alone(step: Any) -> bool:
    """Runs in no transaction, or in short ones of its own (batches)."""
    return not transactional(step) or getattr(step, "batch_size", None) is not None


def transaction_groups(steps: list[Any]) -> list[int]:
    """For each step, the number of the transaction it runs in: steps between
    two that run alone share one (docs/runtime.md, "Migrations that are not atomic")."""
    numbers, number = [], 0
    for index, step in enumerate(steps):
        if index and (_alone(step) or _alone(steps[index - 1])):
            number += 1
        numbers.append(number)
    return numbers


def _in_file(text: str) -> Callable[[int], Position]:
    def locate(offset: int) -> Position:
        before = text[:offset]
        line = before.count("\n") + 1
        return line, offset - (before.rfind("\n") + 1) + 1

    return locate


# A pointer's SQL, fetched and verified (lint --fetch): (url, sha256) → (the
# URL as shown, secrets masked; the SQL); ContractspecError when it can't be had
Fetch = Callable[[str, str], tuple[str, str]]


def _check_role(check: Any) -> str:
    return SCRIPT_CHECK if check.expect == EXPECT_NO_ERROR else QUERY


def sql_texts(
    loaded: LoadedSpec,
    config: Config,
    source_map: SourceMap,
    refused: list[Diagnostic],
    fetch: Fetch | None = None,
) -> Iterator[SqlText]:
    """The SQL texts of one spec in plan order; Python data steps and a
    person's instructions have none, and a pointer's only with `fetch`.

    A `.sql` file is read like every project file (files.read_project_file:
    inside the project, a regular file, bounded); one that may not be read is
    added to refused. Bytes that are not UTF-8 reach the parser as
    surrogateescape's stand-ins, which it reports where they sit."""

    def in_spec(where: FieldPath) -> Callable[[int], Position]:
        start = loaded.position(where)
        return lambda offset: source_map.locate(start, offset)

    for direction in ("up", "down"):
        steps = getattr(loaded.spec.plan, direction) or []
        for index, (step, group) in enumerate(
            zip(steps, transaction_groups(steps), strict=True)
        ):
            where: FieldPath = ("plan", direction, index)
            label = f"{direction}[{index}]"
            of_step = {
                "step": step,
                "key": loaded.key,
                "direction": direction,
                "transaction": group,
            }
            for checks in ("pre_checks", "post_checks"):
                for number, check in enumerate(getattr(step, checks)):
                    field = (*where, checks, number, "expression")
                    yield SqlText(
                        check.expression,
                        loaded.path,
                        _check_role(check),
                        f"{label}.{checks}[{number}]",
                        locate=in_spec(field),
                        **of_step,
                    )
            field = (*where, step.payload_field)
            if step.payload_field == "instructions":
                continue  # a person's work: its checks are its SQL
            if step.kind == "validation":
                yield SqlText(
                    step.payload,
                    loaded.path,
                    _check_role(step),
                    label,
                    locate=in_spec(field),
                    **of_step,
                )
            elif classify_script(step.payload) == SQL_FILE:  # data or schema
                spec_file = os.path.normpath(os.path.join(config.root, loaded.path))
                target = Path(os.path.dirname(spec_file), step.payload)
                if not target.exists() and not target.is_symlink():
                    continue  # a missing file is the loader's and build's to report
                shown = config.relative(target)
                try:
                    data = read_project_file(target, config.files)
                except FileRefused as exc:
                    refused.append(loaded.diagnostic(field, f"script {shown} {exc}"))
                    continue
                sql = data.decode("utf-8", "surrogateescape")
                yield SqlText(
                    sql, shown, STATEMENTS, label, locate=_in_file(sql), **of_step
                )
            elif step.kind == "data" and classify_script(step.payload) == URL:
                if fetch is None:
                    continue
                try:
                    shown, sql = fetch(step.payload, getattr(step, "sha256", ""))
                except ContractspecError as exc:
                    refused.append(loaded.diagnostic(field, str(exc)))
                    continue
                yield SqlText(
                    sql, shown, STATEMENTS, label, locate=_in_file(sql), **of_step
                )
            elif step.kind == "schema" or classify_script(step.payload) == INLINE_SQL:
                yield SqlText(
                    step.payload,
                    loaded.path,
                    STATEMENTS,
                    label,
                    locate=in_spec(field),
                    **of_step,
                )
