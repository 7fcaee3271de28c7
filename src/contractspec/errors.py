"""The one exception tree. `cli` turns these into exit codes in one place."""

from __future__ import annotations

from dataclasses import dataclass

# Exit codes (README.md, docs/architecture.md).
EXIT_OK = 0
EXIT_FAILED = 1  # stale harness, failed migration, check that wants attention
EXIT_USAGE = 2
EXIT_SPEC = 3  # spec or configuration error
EXIT_PARTIAL = 4  # a rehearsal left out steps that run outside a transaction


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
