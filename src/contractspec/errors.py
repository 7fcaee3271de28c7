"""The one exception tree. `cli` turns these into exit codes in one place."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# Exit codes (README.md, docs/architecture.md): the runtime's table, the one
# the harnesses exit with too.
from .runtime.exits import EXIT_FAILED as EXIT_FAILED
from .runtime.exits import EXIT_INTERRUPTED as EXIT_INTERRUPTED
from .runtime.exits import EXIT_OK as EXIT_OK
from .runtime.exits import EXIT_PARTIAL as EXIT_PARTIAL
from .runtime.exits import EXIT_SPEC as EXIT_SPEC
from .runtime.exits import EXIT_USAGE as EXIT_USAGE
from .runtime.exits import EXIT_WAITING as EXIT_WAITING


@dataclass(frozen=True)
class Diagnostic:
    """One problem at a place in a file: rendered as `path:line:col: message`."""

    path: str
    line: int
    col: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.col}: {self.message}"


class ContractspecError(Exception):
    exit_code = EXIT_FAILED

    def as_dict(self) -> dict[str, Any]:
        """The failure as the JSON object `--json` prints."""
        return {
            "ok": False,
            "exit_code": self.exit_code,
            "error": str(self),
            "kind": type(self).__name__,
        }


class UsageError(ContractspecError):
    exit_code = EXIT_USAGE


class ConfigError(ContractspecError):
    exit_code = EXIT_SPEC


class SpecError(ContractspecError):
    """One or more problems in spec files, reported together."""

    exit_code = EXIT_SPEC

    def __init__(self, diagnostics: list[Diagnostic] | str):
        if isinstance(diagnostics, str):
            self.diagnostics: list[Diagnostic] = []
            super().__init__(diagnostics)
        else:
            self.diagnostics = sorted(
                diagnostics, key=lambda d: (d.path, d.line, d.col, d.message)
            )
            super().__init__("\n".join(str(d) for d in self.diagnostics))

    def as_dict(self) -> dict[str, Any]:
        data = super().as_dict()
        data["diagnostics"] = [vars(d) for d in self.diagnostics]
        return data


class RegistryError(SpecError):
    """Duplicate keys, unknown dependencies, cycles."""


class StaleError(ContractspecError):
    """Generated files out of date (build --check, migrate refusing to run)."""


class LintFailed(ContractspecError):
    """`lint` found an error (or, with --strict, a warning)."""


class MigrationFailed(ContractspecError):
    """A migration run failed; the database was rolled back."""


class FileChanged(ContractspecError):
    """The file changed on disk between reading and writing it; it was not overwritten."""


class FileRefused(ContractspecError):
    """A project file that may not be read: outside the project, not a regular
    file, too large. Readers turn it into a diagnostic at the reference."""

    exit_code = EXIT_SPEC


class DatabaseError(ContractspecError):
    """The database cannot be opened or read: unreachable, refused, not a database."""


class Interrupted(ContractspecError):
    """SIGINT or SIGTERM: the current migration was rolled back."""

    def __init__(self, message: str, exit_code: int = EXIT_INTERRUPTED):
        super().__init__(message)
        self.exit_code = exit_code


class Shown(ContractspecError):
    """A failure the command already showed (e.g. `status --check` found
    something, the run report said which migration failed)."""

    shown = True

    def __init__(self, message: str, exit_code: int = EXIT_FAILED):
        super().__init__(message)
        self.exit_code = exit_code
