"""The runtime's session as a command uses it: its failures and signals as
errors of ours, its history read once, and drift refused before anything runs.

One session (one connection, one lock) serves a whole run.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from ... import runtime
from ...cachedir import scripts_dir
from ...config import Config
from ...errors import (
    EXIT_SPEC,
    EXIT_USAGE,
    ConfigError,
    ContractspecError,
    DatabaseError,
    Interrupted,
    MigrationFailed,
    UsageError,
)
from ...project import Project

Notice = Callable[[str], None]  # a line for people, such as whose lock we wait for


@dataclass(frozen=True)
class Applied:
    """A row of the history: one applied migration."""

    key: str
    spec_fingerprint: str
    applied_at: str
    applied_by: str
    duration_ms: int


def database_error(exc: runtime.MigrationError) -> ContractspecError:
    """The runtime's failure as one of ours, keeping its exit code."""
    kind = {EXIT_SPEC: ConfigError, EXIT_USAGE: UsageError}.get(
        exc.exit_code, DatabaseError
    )
    return kind(str(exc))


@contextmanager
def open_session(
    project: Project,
    lock_timeout: float,
    audit_log: str | None,
    lock: bool = True,
    notice: Notice | None = None,
    scripts_dirs: Sequence[Path] = (),
) -> Iterator[runtime.Session]:
    """The runtime's session; its failures (connecting, locking, reading the
    history) and signals leave as errors of ours. SIGTERM, like Ctrl-C, rolls
    back the current migration (the runtime re-raises it once recorded);
    pointers' SQL as pointers() says."""
    try:
        with (
            runtime.interruptible(),
            runtime.open_session(
                project.config.database_url(),
                lock_timeout=lock_timeout,
                audit_log=audit_log,
                lock=lock,
                notice=notice,
                lock_timeout_ms=project.config.lock_timeout_ms,
                lock_retries=project.config.lock_retries,
            ) as session,
        ):
            session.pointers = pointers(project.config, scripts_dirs)
            yield session
    except runtime.MigrationError as exc:
        raise database_error(exc) from None
    except KeyboardInterrupt as exc:  # outcome: what the interrupted migration left
        message = getattr(exc, "outcome", None) or "interrupted; rolled back"
        raise Interrupted(message, runtime.interrupt_code(exc)) from None


def pointers(config: Config, scripts_dirs: Sequence[Path] = ()) -> runtime.Pointers:
    """Where pointers' SQL is looked for: the project's cache
    (.contractspec_cache/scripts/), then scripts_dirs, then fetched."""
    return runtime.Pointers(
        cache=scripts_dir(config.root),
        dirs=scripts_dirs,
        timeout=config.fetch_timeout,
        max_bytes=config.fetch_max_bytes,
    )


def history(session: runtime.Session) -> dict[str, Applied]:
    """The applied migrations by key, as the history table has them."""
    return {
        row["key"]: Applied(
            row["key"],
            row["spec_fingerprint"],
            str(row["applied_at"]),
            row["applied_by"],
            row["duration_ms"],
        )
        for row in runtime.read_history(session)
    }


def refuse_drift(
    project: Project, keys: list[str], applied: Mapping[str, Applied]
) -> None:
    """Before anything runs: refuse if any of keys was applied from another spec."""
    drifted, reworks = [], []
    for key in keys:
        if key in applied:
            was, expected = applied[key].spec_fingerprint, project.fingerprint(key)
            if was != expected:
                drifted.append(
                    f"{key}: applied as {was}, spec is now"
                    f" {expected} ({project.specs[key].path})"
                )
                reworks.append(project.specs[key].spec.name)
    if drifted:
        raise MigrationFailed(
            "drift: these migrations changed after they were applied:\n  "
            + "\n  ".join(drifted)
            + "\nrestore the applied spec (git checkout), then put the change in a new"
            " version that runs after it: "
            + "; ".join(f"contractspec spec new-version {n}" for n in reworks)
        )
