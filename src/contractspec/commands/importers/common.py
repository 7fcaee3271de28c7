"""What both importers share: the result, a spec to write, reading the other
tool's files, and deciding the SQL dialect."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from ...config import Config
from ...errors import ConfigError, FileRefused, UsageError
from ...files import FileLimits, read_project_file
from ...sql import Dialect
from ..create import Step


@dataclass
class Imported:
    keys: list[str] = field(default_factory=list)
    paths: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # reported, not imported


@dataclass
class Migration:
    """One spec to write."""

    file_stem: str
    name: str
    version: int
    title: str
    description: str
    up: list[Step]
    down: list[Step] | None
    dependencies: list[str]
    header: str
    tags: list[str] = field(default_factory=list)
    down_reason: str | None = None  # why there is no down plan, as its comment

    @property
    def key(self) -> str:
        return f"{self.name}.v{self.version}"


class Sources:
    """The other tool's files, read only through the one bounded reader: regular
    files inside its folders (a script symlinked to /etc/passwd is refused), no
    larger than the project's max_file_bytes, opened without blocking (a FIFO
    or /dev/zero is refused, not waited on)."""

    def __init__(self, roots: list[Path], config: Config, what: str):
        resolved = tuple(Path(os.path.realpath(root)) for root in roots)
        scope = f"{what} ({', '.join(map(str, resolved))})"
        self.limits = FileLimits(resolved, config.files.max_bytes, scope)

    def read(self, path: Path, encoding: str = "utf-8-sig") -> str:
        """The text of path (a UTF-8 byte order mark dropped); UsageError naming
        the file when it cannot be read."""
        try:
            data = read_project_file(path, self.limits)
        except FileRefused as exc:
            raise UsageError(f"{path}: {exc}") from None
        try:
            return data.decode(encoding)
        except (UnicodeDecodeError, LookupError) as exc:
            shown = "UTF-8" if encoding == "utf-8-sig" else encoding
            raise UsageError(f"{path}: not {shown} text: {exc}") from None


def walk_files(folder: Path) -> Iterator[Path]:
    """Every file under folder, sorted, not following symlinked folders."""
    for directory, folders, files in os.walk(folder):
        folders.sort()
        for name in sorted(files):
            yield Path(directory, name)


def slug(text: str) -> str:
    """A name segment: lower case letters, digits and single underscores."""
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_") or "change"


def domain_name(value: str | None, fallback: str) -> str:
    domain = slug(value or fallback)
    return domain if domain[0].isalpha() else "m_" + domain


@dataclass(frozen=True)
class SourceDialect:
    """What the other tool's project says its database is, and where it says so."""

    dialect: Dialect | None
    said_by: str  # "sqitch.conf [core] engine = pg", or why it says nothing


def project_dialect(config: Config, source: SourceDialect, tool: str) -> Dialect:
    """The dialect the scripts are read in: the project's `dialect`, else the
    source's; stopped, naming the fix, when the two disagree (or what build and
    lint would use disagrees with the source) or when neither says."""
    declared = config.declared_dialect
    if source.dialect is None and declared is None:
        raise ConfigError(
            f"which SQL dialect are these scripts? the project sets no dialect and"
            f" the {tool} project does not say ({source.said_by}): run `contractspec"
            ' init --dialect postgresql` (or sqlite), or add dialect = "postgresql"'
            " to [tool.contractspec] in pyproject.toml"
        )
    if source.dialect is None:
        assert declared is not None
        return declared
    if source.dialect != config.dialect:
        ours = (
            f"this project's dialect is {declared} ([tool.contractspec] dialect)"
            if config.dialect_setting is not None
            else (
                f"this project's database URL is {declared}"
                if declared is not None
                else "this project sets no dialect, so build and lint read SQLite"
            )
        )
        raise ConfigError(
            f"the {tool} project is {source.dialect} ({source.said_by}) but {ours}:"
            f' set dialect = "{source.dialect}" in [tool.contractspec] of'
            f" pyproject.toml (contractspec init --dialect {source.dialect}), or"
            " import into a project of that dialect"
        )
    return source.dialect
