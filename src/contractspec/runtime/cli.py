"""A harness's command line: `python harness.py up|down|plan [options]`."""

from __future__ import annotations

import json
import os
import sys
from typing import TYPE_CHECKING

from .dialect import DEFAULT_LOCK_RETRIES, DEFAULT_LOCK_TIMEOUT_MS
from .exits import (
    EXIT_FAILED,
    EXIT_OK,
    EXIT_PARTIAL,
    EXIT_USAGE,
    MigrationError,
    interrupt_code,
)
from .migration import run_migration
from .session import check_lock_settings
from .urls import DATABASE_ENV, DEFAULT_DATABASE_URL, first_line

if TYPE_CHECKING:
    from collections.abc import Sequence

    from .shapes import Migration, Result


def _failure(migration: Migration, status: str, error: str, as_json: bool) -> None:
    """One line on stderr, and the failure as JSON on stdout when asked."""
    print(f"error: {error}", file=sys.stderr)
    if as_json:
        failed = {"key": migration.get("key"), "status": status, "error": error}
        print(json.dumps(failed, sort_keys=True))


def runtime_main(
    migration: Migration, argv: Sequence[str] | None = None, harness: str | None = None
) -> int:
    """The harness command line: up | down | plan. Returns the exit code."""
    import argparse  # here: the orchestrator imports the runtime, never its CLI

    default = os.environ.get(DATABASE_ENV) or DEFAULT_DATABASE_URL
    parser = argparse.ArgumentParser(
        description=f"Apply, revert or plan migration {migration.get('key')}.",
        epilog="exit codes: 0 ok, 1 failed, 2 usage, 3 spec or configuration error,"
        " 4 rehearsal partial (steps outside a transaction not rehearsed)",
    )
    parser.add_argument("command", choices=("up", "down", "plan"))
    parser.add_argument(
        "--database",
        default=default,
        help="sqlite:///file.db, sqlite:////abs/file.db, sqlite:///:memory: or "
        f"postgresql://user@host:port/db (default: ${DATABASE_ENV}, "
        f"else {DEFAULT_DATABASE_URL})",
    )
    parser.add_argument("--rehearse", action="store_true", help="run, then roll back")
    parser.add_argument("--audit-log", metavar="FILE", help="append JSON-line events")
    parser.add_argument(
        "--lock-timeout",
        type=float,
        default=30.0,
        metavar="SECONDS",
        help="how long to wait for the migration lock while another runner"
        " holds it (default: 30)",
    )
    parser.add_argument(
        "--lock-timeout-ms",
        type=int,
        default=DEFAULT_LOCK_TIMEOUT_MS,
        metavar="MS",
        help="PostgreSQL: how long any statement may wait for a table or row"
        " lock before the attempt fails and is retried (SET lock_timeout;"
        f" default: {DEFAULT_LOCK_TIMEOUT_MS}, the project's lock_timeout_ms)",
    )
    parser.add_argument(
        "--lock-retries",
        type=int,
        default=DEFAULT_LOCK_RETRIES,
        metavar="N",
        help="PostgreSQL: attempts a step gets after lock timeouts, on top of its"
        f" own retries (default: {DEFAULT_LOCK_RETRIES}, the project's lock_retries)",
    )
    parser.add_argument("--json", action="store_true", help="result as JSON on stdout")
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE
    problem = "--lock-timeout must be >= 0" if args.lock_timeout < 0 else None
    try:
        check_lock_settings(args.lock_timeout_ms, args.lock_retries)
    except MigrationError as exc:
        problem = "--" + str(exc).replace("_", "-")
    if problem:
        parser.print_usage(sys.stderr)
        print(f"error: {problem}", file=sys.stderr)
        return EXIT_USAGE
    key = migration.get("key")
    try:
        result: Result = run_migration(
            migration,
            args.command,
            args.database,
            rehearse=args.rehearse,
            audit_log=args.audit_log,
            lock_timeout=args.lock_timeout,
            out=sys.stderr,
            harness=harness,
            lock_timeout_ms=args.lock_timeout_ms,
            lock_retries=args.lock_retries,
        )
    except MigrationError as exc:
        print(f"error: {exc}", file=sys.stderr)
        if args.json:
            failed = {"key": key, "status": "failed", "error": str(exc)}
            print(json.dumps(exc.result or failed, sort_keys=True))
        return exc.exit_code
    except KeyboardInterrupt as exc:  # Ctrl-C or SIGTERM: rolled back, recorded
        error = getattr(exc, "outcome", None) or f"{key}: interrupted; rolled back"
        _failure(migration, "interrupted", error, args.json)
        return interrupt_code(exc)
    except Exception as exc:  # unexpected: still one line, never a traceback
        _failure(migration, "failed", f"{key}: {first_line(exc)}", args.json)
        return EXIT_FAILED
    if args.json:
        print(json.dumps(result, sort_keys=True))
    elif args.command == "plan":
        sys.stdout.write(result.get("plan", ""))
    return EXIT_PARTIAL if result.get("not_rehearsed") else EXIT_OK
