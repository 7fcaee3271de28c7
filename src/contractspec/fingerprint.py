"""Spec fingerprints: a hash of what a spec *means*, not how its file is written.

The canonical form is the spec's plain data (`spec.to_dict`) as compact JSON
with sorted keys and ASCII escapes, so reformatting the spec file, editing
its comments, or moving a string into a module-level constant leaves the
fingerprint alone. Each file the spec's data steps point at is pinned by the
sha256 of its bytes and folded in too: editing `backfill.sql` changes the
fingerprint of every spec that runs it.

    sha256( canonical_json(spec)
            + for each pin, sorted by label: "\\n" + label + "=" + file_sha256 )

A pin's label is the step's place, `up.0` or `down.2`. The result is written
`sha256:<64 hex digits>`. `contractspec migrate` reuses it (through
`project.fingerprint_loaded`, which reads the pinned files) to tell a stale
harness from a current one.

The spec cache (`loader.SpecCache`) keeps each spec's own fingerprint: a
change to the canonical form must bump that cache's schema too.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping

from .spec import MigrationSpec, to_dict

PREFIX = "sha256:"

Pins = Mapping[str, str] | Iterable[tuple[str, str]]


def canonical_json(spec: MigrationSpec) -> str:
    """The canonical text of a spec: compact, sorted, pure ASCII."""
    return json.dumps(
        to_dict(spec), sort_keys=True, separators=(",", ":"), ensure_ascii=True
    )


def spec_fingerprint(spec: MigrationSpec, pins: Pins = ()) -> str:
    """`sha256:<hex>` of a spec and its pinned files.

    pins: `{label: sha256 hex of the file's bytes}` (or pairs), e.g.
    `{"up.0": "9f86d0…"}`; see `codegen.scripts.resolve_scripts`.
    """
    items = sorted(pins.items() if isinstance(pins, Mapping) else pins)
    digest = hashlib.sha256(canonical_json(spec).encode("ascii"))
    for label, file_hash in items:
        digest.update(f"\n{label}={file_hash}".encode("ascii"))
    return PREFIX + digest.hexdigest()


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
