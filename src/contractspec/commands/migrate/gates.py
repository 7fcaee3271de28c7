"""An environment's gates: `min_stability` and `max_risk` in
`[tool.contractspec.environments.NAME]`. `migrate up --env NAME` refuses,
before anything runs, every migration it would apply that falls outside
them, unless `--accept-risk KEY` lets that one through: then its run_start
event says which gate it passed that way, and who ran it."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import TYPE_CHECKING

from ...config import PYPROJECT, Config
from ...errors import MigrationFailed, UsageError
from ...project import Project
from ...spec import STABILITIES

if TYPE_CHECKING:
    from ...lint.risk import Risk


def has_gates(config: Config) -> bool:
    return config.min_stability is not None or config.max_risk is not None


def refuse_accepting_without_gates(config: Config, accepted: Collection[str]) -> None:
    """--accept-risk only means something where a gate would refuse."""
    if accepted and not has_gates(config):
        where = (
            f"environment {config.environment!r} has neither min_stability nor max_risk"
            if config.environment
            else "without --env NAME there are no gates"
        )
        raise UsageError(f"--accept-risk overrides an environment's gates, and {where}")


def outside_gates(config: Config, stability: str, risk: Risk) -> list[str]:
    """The gates a migration of this stability and risk falls outside, said for people."""
    outside = []
    minimum = config.min_stability
    if minimum and STABILITIES.index(stability) < STABILITIES.index(minimum):
        outside.append(f"stability {stability} is below min_stability = {minimum!r}")
    from ...lint.risk import exceeds  # only with gates: lint loads its parser

    if config.max_risk and exceeds(risk.level, config.max_risk):
        outside.append(f"risk {risk} is above max_risk = {config.max_risk!r}")
    return outside


def gate(
    project: Project,
    keys: list[str],
    risks: Mapping[str, Risk],
    accepted: Collection[str],
    who: str,
) -> dict[str, str]:
    """For each of keys (to be applied, in order) that passes only by
    --accept-risk, the note its run_start event records. Raises
    MigrationFailed naming every other one outside the gates, the gate, and
    the override, before anything runs."""
    config = project.config
    if not has_gates(config):
        return {}
    notes, refused = {}, {}
    for key in keys:
        stability = project.specs[key].spec.meta.stability
        outside = outside_gates(config, stability, risks[key])
        if outside and key in accepted:
            notes[key] = (
                f"--accept-risk by {who} in environment {config.environment!r}: "
                + "; ".join(outside)
            )
        elif outside:
            refused[key] = "; ".join(outside)
    if refused:
        env = config.environment
        lines = "\n  ".join(f"{key}: {why}" for key, why in refused.items())
        overrides = " ".join(f"--accept-risk {key}" for key in refused)
        raise MigrationFailed(
            f"environment {env!r} refuses {len(refused)} migration(s); nothing was"
            f" applied:\n  {lines}\nits gates are"
            f" [tool.contractspec.environments.{env}] in {PYPROJECT}; to apply"
            f" anyway, recorded in the events with who ran it: contractspec"
            f" migrate up --env {env} {overrides}"
        )
    return notes
