"""`contractspec init [DIR]`: make a folder a contractspec project.

Writes `[tool.contractspec]` into DIR/pyproject.toml (created if missing;
an existing file is edited with tomlkit, so its comments, order and other
tables stay as they were), creates the specs and harness folders, and adds
the lines contractspec needs to `.gitignore` and `.gitattributes`. Running it
again changes nothing; a line the user already has for the same pattern is
left alone, whatever it says.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..cachedir import CACHE_DIR_NAME
from ..codegen.render import RUNTIME_NAME  # the shared runtime of a harness folder
from ..config import DEFAULTS
from ..errors import ConfigError, Diagnostic, SpecError

IGNORED = ("*.db", "*.db.lock", f"{CACHE_DIR_NAME}/")


@dataclass
class Initialized:
    root: Path
    written: list[str] = field(default_factory=list)  # what changed, for people
    next_commands: list[str] = field(default_factory=list)


def init(
    directory: Path | None = None,
    *,
    specs: str = DEFAULTS["specs"],
    harnesses: str = DEFAULTS["harnesses"],
    database: str = DEFAULTS["database"],
) -> Initialized:
    root = (directory or Path.cwd()).resolve()
    if root.exists() and not root.is_dir():
        raise ConfigError(f"{root} is not a folder")
    root.mkdir(parents=True, exist_ok=True)
    result = Initialized(root)
    table = _write_table(
        root / "pyproject.toml",
        {"specs": specs, "harnesses": harnesses, "database": database},
        result,
    )
    for key in ("specs", "harnesses"):
        folder = root / table[key]
        if not folder.is_dir():
            folder.mkdir(parents=True)
            result.written.append(f"{table[key]}/")
    harness_dir = Path(table["harnesses"]).as_posix().strip("/")
    _add_lines(root / ".gitignore", IGNORED, result)
    _add_lines(
        root / ".gitattributes",
        # Only the shared runtime is collapsed in reviews (and left out of
        # `git diff`): harness diffs are what reviewers read.
        [f"{harness_dir}/{RUNTIME_NAME}/** linguist-generated=true -diff"],
        result,
    )
    result.next_commands = [
        "contractspec migrate create app.db.0001_add_items"
        " --sql 'CREATE TABLE items (id INTEGER PRIMARY KEY)' --down-sql 'DROP TABLE items'",
        "contractspec build --all",
        "contractspec migrate up",
    ]
    return result


def _write_table(
    pyproject: Path, values: dict[str, str], result: Initialized
) -> dict[str, str]:
    """Add [tool.contractspec] (the missing keys only); return the table's values."""
    import tomlkit
    from tomlkit.exceptions import ParseError

    try:
        text = pyproject.read_text(encoding="utf-8") if pyproject.exists() else ""
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read {pyproject}: {exc}") from None
    if text and not text.endswith("\n"):
        text += "\n"  # so that the new table starts on a line of its own
    try:
        document = tomlkit.parse(text)
    except ParseError as exc:
        message = str(exc).replace(f" at line {exc.line} col {exc.col}", "")
        raise SpecError(
            [Diagnostic(pyproject.name, exc.line, exc.col, f"invalid TOML: {message}")]
        ) from None
    tool = document.get("tool")
    table = tool.get("contractspec") if tool is not None else None
    if table is None:
        table = tomlkit.table()
        for key, value in values.items():
            table[key] = value
        if tool is None:
            tool = tomlkit.table(is_super_table=True)
            document["tool"] = tool
        else:
            table.trivia.indent = "\n"  # a blank line after the tables before it
        tool["contractspec"] = table
        pyproject.write_text(tomlkit.dumps(document), encoding="utf-8")
        result.written.append(f"{pyproject.name} [tool.contractspec]")
    return {key: str(table.get(key, value)) for key, value in values.items()}


def _add_lines(
    path: Path, lines: list[str] | tuple[str, ...], result: Initialized
) -> None:
    """Append each line whose pattern (first word) the file does not mention yet."""
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    patterns = {
        line.split()[0]
        for line in text.splitlines()
        if line.strip() and not line.startswith("#")
    }
    missing = [line for line in lines if line.split()[0] not in patterns]
    if not missing:
        return
    block = "" if not text or text.endswith("\n") else "\n"
    block += "# contractspec\n" + "".join(f"{line}\n" for line in missing)
    path.write_text(text + block, encoding="utf-8")
    result.written.append(f"{path.name}: {', '.join(missing)}")
