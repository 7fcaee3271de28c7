"""Findings and the rules that make them."""

from __future__ import annotations

from dataclasses import dataclass

ERROR, WARNING = "error", "warning"


@dataclass(frozen=True)
class Rule:
    code: str
    severity: str
    summary: str
    hint: str
    suppressible: bool = True  # may a step accept it with lint_ignore?


# Our own rules; squawk's keep squawk's names (see docs/lint.md).
RULES = {
    rule.code: rule
    for rule in (
        Rule(
            "syntax-error",
            ERROR,
            "the SQL does not parse in the project's dialect",
            "correct it for the dialect: [tool.contractspec] dialect, else the database URL's",
            suppressible=False,
        ),
        Rule(
            "transaction-control",
            ERROR,
            "BEGIN, COMMIT, ROLLBACK or SAVEPOINT inside a step",
            "remove it: each migration runs in a transaction of its own",
            suppressible=False,
        ),
        Rule(
            "non-transactional-statement",
            ERROR,
            "a statement that can't run inside a transaction, in a transactional step",
            "move it to a step of its own with transactional=False",
            suppressible=False,
        ),
        Rule(
            "scaffold-placeholder",
            ERROR,
            "the placeholder SQL that `migrate create` writes is still there",
            "replace it with the migration's real SQL",
        ),
        Rule(
            "query-not-read-only",
            ERROR,
            "a check or assertion that is not a single read-only query",
            "write one SELECT whose first column is the verdict; do the work in a step",
        ),
        Rule(
            "data-step-without-post-check",
            WARNING,
            "a data step without a post-check",
            "add post_checks=[MigrationCheck(...)] that proves the data is right",
        ),
        Rule(
            "irreversible-without-reason",
            WARNING,
            "a migration without a down plan and no comment saying why",
            "write `down=None,  # why it can't be undone`, or a down plan",
        ),
        Rule(
            "in-creation",
            WARNING,
            "a migration still marked in_creation, on its way to a protected environment",
            'set stability="experimental" (or later) once it is ready to ship',
        ),
        Rule(
            "unused-suppression",
            WARNING,
            "lint_ignore names a rule the step does not break",
            "remove the entry",
            suppressible=False,
        ),
    )
}


@dataclass(frozen=True)
class Finding:
    path: str
    line: int
    col: int
    severity: str
    rule: str
    message: str
    hint: str = ""

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.col}: {self.severity} {self.rule}: {self.message}"

    def as_dict(self) -> dict[str, str | int]:
        return {
            "path": self.path,
            "line": self.line,
            "col": self.col,
            "severity": self.severity,
            "rule": self.rule,
            "message": self.message,
            "hint": self.hint,
        }
