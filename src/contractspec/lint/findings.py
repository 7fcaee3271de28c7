"""Findings and the rules that make them: contractspec's own, and squawk's as we report them."""

from __future__ import annotations

from dataclasses import dataclass

ERROR, WARNING = "error", "warning"


@dataclass(frozen=True)
class Rule:
    code: str
    severity: str
    summary: str  # what it reports; for a live-database rule, the message ({table})
    hint: str
    suppressible: bool = True  # may a step accept it with lint_ignore?
    # About a table that is live while the migration runs: not reported on one
    # created earlier in the same migration, nor on what a down step undoes.
    live: bool = False


# Our own rules; squawk's keep squawk's names (SQUAWK_RULES, docs/lint.md).
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
            "table-rewrite",
            ERROR,
            "{what} rewrites {table} under an ACCESS EXCLUSIVE lock:"
            " every read and write of it waits until the copy is done",
            "rebuild it online instead: a new table or column filled in batches"
            " (or pg_repack); REFRESH MATERIALIZED VIEW CONCURRENTLY for a view",
            live=True,
        ),
        Rule(
            "lint-incomplete",
            WARNING,
            "lint could not check this SQL, so its hazards are unknown",
            "split the statement into smaller ones, or review it by hand",
        ),
        Rule(
            "data-step-without-post-check",
            WARNING,
            "a data step without a post-check",
            "add post_checks=[MigrationCheck(...)] that proves the data is right",
        ),
        Rule(
            "instructions-without-post-check",
            ERROR,
            "a person's work (instructions) that no post-check verifies:"
            " a confirmation would prove nothing",
            "add post_checks=[MigrationCheck(...)] that the finished work passes, or"
            ' say why nothing can: lint_ignore={"instructions-without-post-check": "why"}',
        ),
        Rule(
            "manual-step-not-undone",
            WARNING,
            "a person's work in the up plan, and no instructions in the down plan",
            "add DataStep(instructions=...) to the down plan to undo it by hand, or"
            " accept it with the reason the down plan's SQL undoes it (lint_ignore)",
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

_NOT_VALID_THEN_VALIDATE = (
    "add it NOT VALID (only new rows are checked), then VALIDATE CONSTRAINT in a"
    " later migration or a transactional=False step: validating takes SHARE UPDATE"
    " EXCLUSIVE, which lets reads and writes go on"
)
_STOP_USING_FIRST = (
    "ship code that no longer uses it first; drop it in a later migration"
)

# squawk's rules as contractspec reports them: the severity they deserve on a
# live PostgreSQL database (PostgreSQL's documented lock levels: an error
# rewrites a table, holds a lock that blocks reads or writes while it scans or
# builds, or breaks running code), and our words for what happens and the
# safe form. A squawk rule not listed is a warning with squawk's own words.
SQUAWK_RULES = {
    rule.code: rule
    for rule in (
        Rule(
            "changing-column-type",
            ERROR,
            "changing a column's type rewrites {table} and rebuilds its indexes under"
            " an ACCESS EXCLUSIVE lock: every read and write waits until it is done",
            "add a column of the new type, backfill it in batches, move the code over,"
            " drop the old column later (a change PostgreSQL makes without a rewrite,"
            " such as varchar(n) to text, can be accepted with lint_ignore)",
            live=True,
        ),
        Rule(
            "adding-field-with-default",
            ERROR,
            "a column whose value is computed per row (a volatile default such as"
            " random() or gen_random_uuid(), a stored generated column, an identity)"
            " rewrites {table} under an ACCESS EXCLUSIVE lock",
            "add the column without a default, or with a constant or stable one (now()"
            " is stored once, without a rewrite); then SET DEFAULT for new rows and"
            " backfill the existing ones in batches",
            live=True,
        ),
        Rule(
            "adding-not-nullable-field",
            ERROR,
            "SET NOT NULL scans all of {table} under an ACCESS EXCLUSIVE lock to prove"
            " no row is NULL: every read and write waits",
            "ADD CONSTRAINT c CHECK (col IS NOT NULL) NOT VALID, VALIDATE CONSTRAINT c"
            " in a later migration or a transactional=False step, then SET NOT NULL:"
            " PostgreSQL 12+ finds the valid check and skips the scan",
            live=True,
        ),
        Rule(
            "adding-required-field",
            ERROR,
            "a NOT NULL column without a default: adding it fails once {table} has a"
            " row, and running code that inserts without it fails too",
            "add it nullable (or NOT NULL with a constant DEFAULT), backfill it in"
            " batches, then make it NOT NULL",
            live=True,
        ),
        Rule(
            "constraint-missing-not-valid",
            ERROR,
            "adding a constraint without NOT VALID checks every row of {table} while"
            " holding its lock (ACCESS EXCLUSIVE for a CHECK): reads and writes wait",
            _NOT_VALID_THEN_VALIDATE,
            live=True,
        ),
        Rule(
            "adding-foreign-key-constraint",
            ERROR,
            "a foreign key without NOT VALID checks every row of {table} while holding"
            " SHARE ROW EXCLUSIVE on it and on the table it references: writes to both wait",
            _NOT_VALID_THEN_VALIDATE,
            live=True,
        ),
        Rule(
            "disallowed-unique-constraint",
            ERROR,
            "ADD UNIQUE builds its index on {table} under an ACCESS EXCLUSIVE lock:"
            " every read and write waits until it is built",
            "CREATE UNIQUE INDEX CONCURRENTLY in a transactional=False step, then"
            " ADD CONSTRAINT ... UNIQUE USING INDEX",
            live=True,
        ),
        Rule(
            "adding-serial-primary-key-field",
            ERROR,
            "ADD PRIMARY KEY builds its index on {table} under an ACCESS EXCLUSIVE lock:"
            " every read and write waits until it is built",
            "CREATE UNIQUE INDEX CONCURRENTLY in a transactional=False step, then"
            " ADD CONSTRAINT ... PRIMARY KEY USING INDEX",
            live=True,
        ),
        Rule(
            "require-concurrent-index-creation",
            ERROR,
            "CREATE INDEX without CONCURRENTLY holds a SHARE lock on {table} while it"
            " builds: every write waits",
            "CREATE INDEX CONCURRENTLY, in a step of its own with transactional=False",
            live=True,
        ),
        Rule(
            "require-concurrent-index-deletion",
            ERROR,
            "DROP INDEX without CONCURRENTLY takes an ACCESS EXCLUSIVE lock on the"
            " table of {table}: every read and write of it waits",
            "DROP INDEX CONCURRENTLY, in a step of its own with transactional=False",
            live=True,
        ),
        Rule(
            "require-concurrent-reindex",
            ERROR,
            "REINDEX without CONCURRENTLY blocks writes to {table} (and reads that use"
            " the index) until the index is rebuilt",
            "REINDEX ... CONCURRENTLY, in a step of its own with transactional=False",
            live=True,
        ),
        Rule(
            "renaming-column",
            ERROR,
            "renaming a column of {table}: running code that names the old column"
            " fails from the moment this commits",
            "add the new column, write both, backfill, move readers over, then drop"
            " the old one in a later migration",
            live=True,
        ),
        Rule(
            "renaming-table",
            ERROR,
            "renaming {table}: running code that names it fails from the moment this"
            " commits",
            "keep the old name working (a view, or a new table filled in batches)"
            " until no running code uses it, then drop it",
            live=True,
        ),
        Rule(
            "ban-alter-domain-with-add-constraint",
            ERROR,
            "ALTER DOMAIN ... ADD CONSTRAINT checks every column of that domain in"
            " every table, blocking writes to them while it scans",
            "ADD CONSTRAINT ... NOT VALID, then VALIDATE CONSTRAINT in a later migration",
            live=True,
        ),
        Rule(
            "ban-drop-column",
            WARNING,
            "dropping a column of {table}: running code that reads or writes it fails,"
            " and its data is gone",
            _STOP_USING_FIRST,
            live=True,
        ),
        Rule(
            "ban-drop-table",
            WARNING,
            "dropping {table}: running code that uses it fails, and its data is gone",
            _STOP_USING_FIRST,
            live=True,
        ),
        Rule(
            "ban-drop-constraint",
            WARNING,
            "dropping a constraint of {table}: running code may rely on what it"
            " guaranteed",
            "make sure nothing relies on it; SET NOT NULL first if it was a NOT NULL check",
            live=True,
        ),
        Rule(
            "ban-drop-not-null",
            WARNING,
            "dropping NOT NULL on {table}: running code that relies on a value may read NULLs",
            "ship code that copes with NULL first",
            live=True,
        ),
    )
}
# squawk's rules about a table's design, not its lock: reported as squawk says,
# on new tables too.
SQUAWK_STYLE = {
    "prefer-bigint-over-int",
    "prefer-bigint-over-smallint",
    "prefer-identity",
    "prefer-text-field",
    "prefer-timestamp-tz",
    "ban-char-field",
    "ban-create-domain-with-constraint",
    "require-enum-value-ordering",
}
# squawk's rules never reported, and why (docs/lint.md says so too).
SQUAWK_DROPPED = {
    # the runtime sets lock_timeout on every statement on PostgreSQL, and
    # statement_timeout where a step sets timeout_ms (docs/runtime.md)
    "require-lock-timeout": "runtime",
    "require-statement-timeout": "runtime",
    "require-timeout-settings": "runtime",
    # a failed transactional step rolls back whole; a step outside the
    # transaction is reconciled before it is run again (docs/runtime.md)
    "prefer-robust-stmts": "runtime",
    # ours say it knowing the step: transaction-control, non-transactional-statement
    "transaction-nesting": "ours",
    "ban-uncommitted-transaction": "ours",
    "ban-concurrent-index-creation-in-transaction": "ours",
    "syntax-error": "ours",  # pglast's is the one reported
}


def squawk_rule(code: str, message: str, hint: str) -> Rule:
    """How one of squawk's rules is reported (an unknown one: a live warning, squawk's words)."""
    if code in SQUAWK_RULES:
        return SQUAWK_RULES[code]
    template = message.replace("{", "{{").replace("}", "}}")  # squawk's words, as is
    return Rule(code, WARNING, template, hint, live=code not in SQUAWK_STYLE)


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
