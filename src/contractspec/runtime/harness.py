"""What the runtime reads from a harness file: its header lines, and its
MIGRATION checked against the fingerprint line (so that a hand edit of a
harness run directly is refused, as `contractspec migrate` refuses one) and
against the shape a harness holds (check_migration)."""

from __future__ import annotations

import hashlib
import json
from typing import TYPE_CHECKING

from .exits import EXIT_SPEC, MigrationError
from .loader import NotReadable, read_regular_file
from .shapes import manual
from .steps import PAYLOADS

if TYPE_CHECKING:
    from collections.abc import Mapping

    from .shapes import Migration, Step

# The shape of a harness this runtime can run: its header says `# contractspec-format: N`.
# Bump it only when what a harness holds or calls changes; a bump rewrites every harness.
HARNESS_FORMAT = 3
# Header lines: `# contractspec-fingerprint: …`, `# contractspec-format: N`.
HEADER_PREFIX = "# contractspec-"
# The fingerprint line holds the spec's fingerprint, then MIGRATION's own:
# `# contractspec-fingerprint: sha256:<spec> MIGRATION=sha256:<its data>`.
_MIGRATION_HASH = " MIGRATION="
_REBUILD = "contractspec build --all"


def harness_fingerprint(migration: Mapping[str, object]) -> str:
    """sha256 of the canonical JSON of a MIGRATION dict (sorted keys, ASCII)."""
    text = json.dumps(migration, sort_keys=True, separators=(",", ":"))
    return "sha256:" + hashlib.sha256(text.encode("ascii")).hexdigest()


def fingerprint_value(spec_fingerprint: str, migration: Mapping[str, object]) -> str:
    """What a harness's fingerprint line says after `# contractspec-fingerprint: `."""
    return f"{spec_fingerprint}{_MIGRATION_HASH}{harness_fingerprint(migration)}"


def spec_fingerprint_of(value: str) -> str:
    """The spec's fingerprint on a harness's fingerprint line."""
    return value.partition(_MIGRATION_HASH)[0]


def harness_header(data: bytes) -> dict[str, str]:
    """The `# contractspec-NAME: value` lines at the top of a harness, as a dict."""
    header = {}
    for raw in data[:4096].split(b"\n", 4)[:4]:  # its first lines alone
        line = raw.decode("utf-8", "replace").rstrip("\r")
        name, colon, value = line[len(HEADER_PREFIX) :].partition(": ")
        if line.startswith(HEADER_PREFIX) and colon:
            header[name] = value
    return header


def harness_migration(path: str, migration: Migration) -> Migration:
    """A harness's MIGRATION with the spec fingerprint from its header, for
    running; refused when the harness is in another format, or when MIGRATION
    is not the data its fingerprint line was written for (edited by hand).

    The fingerprint is written once per harness, in its header; the history and
    the drift check need it beside the steps."""
    try:
        header = harness_header(read_regular_file(path))
    except NotReadable as exc:
        raise MigrationError(f"{path} {exc.strerror}", EXIT_SPEC) from None
    found = header.get("format", "1 (runtime embedded)")
    if found != str(HARNESS_FORMAT) or "fingerprint" not in header:
        raise MigrationError(
            f"{path}: harness format {found}, this runtime runs format"
            f" {HARNESS_FORMAT}; rebuild with: {_REBUILD}",
            EXIT_SPEC,
        )
    spec, _, written = header["fingerprint"].partition(_MIGRATION_HASH)
    if written != harness_fingerprint(migration):
        raise MigrationError(
            f"{path}: its MIGRATION is not the data its fingerprint line was"
            f" written for (edited by hand?); restore it with: {_REBUILD}",
            EXIT_SPEC,
        )
    return {**migration, "spec_fingerprint": spec}


_EXPECT = ("truthy", "no_error")


def _outside_ok(step: Step) -> bool:
    """A step outside the transaction carries the SQL it sends as statements,
    and its reconcile as a list, both split at build time (the runtime splits
    nothing); no other step has them."""
    statements, reconcile = step.get("statements"), step.get("reconcile")
    if reconcile is not None and not (
        isinstance(reconcile, list) and all(isinstance(s, str) for s in reconcile)
    ):
        return False
    calls = step.get("script_type") in ("python_file", "python_module")
    if step.get("transactional") is not False or calls:
        return statements is None
    return isinstance(statements, list) and all(
        isinstance(s, dict) and isinstance(s.get("sql"), str) for s in statements
    )


def check_migration(migration: object) -> None:
    """Refuse MIGRATION data that is not of the shape a harness holds (exit 3)."""
    problem = None
    if not isinstance(migration, dict) or not isinstance(migration.get("key"), str):
        problem = "it has no 'key'"
    elif not isinstance(migration.get("up"), list):
        problem = "'up' is not a list of steps"
    else:
        for step in migration["up"] + list(migration.get("down") or ()):
            kind = step.get("kind") if isinstance(step, dict) else None
            payload = "instructions" if kind == "data" and manual(step) else None
            payload = payload or PAYLOADS.get(str(kind))
            if payload is None or not (
                isinstance(step.get(payload), str) or "statements" in step
            ):
                problem = f"bad step {step!r}"
            elif not _outside_ok(step):
                problem = (
                    f"bad step {step!r}: a step outside the transaction carries its"
                    " statements (and its reconcile) as lists; rebuild the harness"
                )
            elif "pre_checks" in step or "post_checks" in step or "expect" in step:
                checks = [
                    step,
                    *(step.get("pre_checks") or ()),
                    *(step.get("post_checks") or ()),
                ]
                if any(
                    not isinstance(c, dict) or c.get("expect", "truthy") not in _EXPECT
                    for c in checks
                ):
                    problem = f"bad check expectation in step {step!r}"
    if problem:
        raise MigrationError(f"malformed MIGRATION data: {problem}", EXIT_SPEC)


def irreversible(migration: Migration) -> MigrationError:
    spec = migration.get("spec_path") or "its spec"
    return MigrationError(
        f"{migration['key']} is irreversible: {spec} has no down plan; write a new "
        "migration that undoes it"
    )
