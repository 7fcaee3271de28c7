"""The edits `contractspec spec …` can make, as plain values (no libcst here).

Each operation names *what* should be true afterwards; `edit_source` works out
the smallest change to the file that makes it so, or says it already is.
Step and check numbers are 1-based, as `contractspec show` prints them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..errors import Diagnostic, SpecError

# `spec set` fields; owners and tags are lists, the rest strings.
SCALAR_FIELDS = ("title", "description", "domain", "stability")
LIST_FIELDS = ("owners", "tags")
SETTABLE_FIELDS = SCALAR_FIELDS + LIST_FIELDS
PAYLOAD_FIELDS = {"schema": "sql", "data": "script", "validation": "assertion"}


@dataclass(frozen=True)
class BumpVersion:
    """Increase `version` by one, or set it to `to` (which must not be lower)."""

    to: int | None = None


@dataclass(frozen=True)
class SetField:
    """Set a meta field. `value` is a str for scalar fields, a list of str for owners/tags."""

    field: str
    value: str | tuple[str, ...] | list[str]


@dataclass(frozen=True)
class AddDependency:
    reference: str  # a bare name or an exact key name.vN


@dataclass(frozen=True)
class RemoveDependency:
    reference: str


@dataclass(frozen=True)
class AddStep:
    kind: str  # schema | data | validation
    payload: str  # the sql / script / assertion
    down: bool = False
    position: int | None = None  # 1-based; None appends
    description: str | None = None
    timeout_ms: int | None = None
    retries: int | None = None
    transactional: bool = True  # False: runs outside the migration's transaction
    expect: str = (
        "truthy"  # a validation step: "truthy" or "no_error" (spec.EXPECTATIONS)
    )
    # A data step's: its payload is a person's instructions (not a script),
    # who may confirm them; a pointer's (https:// or file:// script) pin.
    instructions: bool = False
    confirm_by: tuple[str, ...] = ()
    sha256: str | None = None


@dataclass(frozen=True)
class AddCheck:
    step: int  # 1-based
    when: str  # "pre" | "post"
    description: str
    expression: str
    down: bool = False
    expect: str = "truthy"  # or "no_error": passes when the expression runs


@dataclass(frozen=True)
class AcceptLintRule:
    """A step accepts a lint rule, with the reason: `lint_ignore={rule: reason}`."""

    step: int  # 1-based
    rule: str
    reason: str
    down: bool = False


@dataclass(frozen=True)
class RemoveStep:
    step: int  # 1-based
    down: bool = False


Operation = (
    BumpVersion
    | SetField
    | AddDependency
    | RemoveDependency
    | AddStep
    | AddCheck
    | AcceptLintRule
    | RemoveStep
)


@dataclass
class EditResult:
    """What an edit did (or would do) to one spec file."""

    path: str  # as displayed
    source: str  # before
    new_source: str  # after (== source when nothing changed)
    message: str  # what changed, or why nothing had to
    changed: bool
    loaded: Any = field(
        default=None, repr=False, compare=False
    )  # the edited spec, as the loader reads it

    def diff(self) -> str:
        """A unified diff (`--- a/path`, `+++ b/path`), empty when nothing changed."""
        from ..writer import diff_text

        return (
            diff_text(self.source, self.new_source, self.path) if self.changed else ""
        )


class EditRefused(SpecError):
    """The edit cannot be made: a non-literal target, or a result that would not load.

    `note` says what happened to the file (always: nothing).
    """

    def __init__(self, diagnostics: list[Diagnostic], note: str = ""):
        super().__init__(diagnostics)
        self.note = note
