"""Harness file names: one stable, importable module name per migration key.

`core.db.2025_01_add_users.v1` → `core__db__2025_01_add_users__v1.py`: dots
become double underscores, so the name is a valid Python module name and
reads back unambiguously enough for people. Two keys could still map to one
file (`a.b__c` and `a__b.c`), or to names that differ only in case (which
collide on case-insensitive file systems); `check_collisions` reports both
as spec errors before anything is written.
"""

from __future__ import annotations

import keyword
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import Diagnostic, SpecError

if TYPE_CHECKING:
    from ..config import Config


def module_name(key: str) -> str:
    """The module name for a migration key; raises SpecError when it isn't a valid identifier."""
    name = key.replace(".", "__")
    if not name.isidentifier() or not name.isascii() or keyword.iskeyword(name):
        raise SpecError(
            f"migration key {key!r} does not make a valid module name ({name!r})"
        )
    return name


def harness_path(config: Config, key: str) -> Path:
    """Where the harness of `key` lives: `<harness_dir>/<module_name(key)>.py`."""
    return config.harness_dir / f"{module_name(key)}.py"


def check_collisions(
    keys: Iterable[str], sources: Mapping[str, object] | None = None
) -> None:
    """Raise one SpecError naming every pair of keys that would share a harness file."""
    seen: dict[str, str] = {}
    problems: list[Diagnostic] = []
    messages: list[str] = []
    for key in sorted(keys):
        folded = module_name(key).casefold()
        other = seen.get(folded)
        if other is None:
            seen[folded] = key
            continue
        message = (
            f"migrations {other} and {key} would share the harness file"
            f" {module_name(key)}.py (file names compare case-insensitively on some systems);"
            " rename one of them"
        )
        source = (sources or {}).get(key)
        if source is not None and hasattr(source, "diagnostic"):
            problems.append(source.diagnostic(("meta", "name"), message))
        else:
            messages.append(message)
    if problems or messages:
        if messages and not problems:
            raise SpecError("\n".join(messages))
        problems += [Diagnostic("<registry>", 1, 1, m) for m in messages]
        raise SpecError(problems)
