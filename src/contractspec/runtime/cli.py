"""A harness's command line: `python harness.py up|down|plan [options]`."""

from __future__ import annotations

import json
import os
import sys
from typing import TYPE_CHECKING

from .exits import (
    EXIT_FAILED,
    EXIT_OK,
    EXIT_PARTIAL,
    EXIT_USAGE,
    MigrationError,
    interrupt_code,
)
from .migration import run_migration
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
    parser.add_argument("--lock-timeout", type=float, default=30.0, metavar="SECONDS")
    parser.add_argument("--json", action="store_true", help="result as JSON on stdout")
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE
    if args.lock_timeout < 0:
        parser.print_usage(sys.stderr)
        print("error: --lock-timeout must be >= 0", file=sys.stderr)
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
        )
    except MigrationError as exc:
        print(f"error: {exc}", file=sys.stderr)
        if args.json:
            failed = {"key": key, "status": "failed", "error": str(exc)}
            print(json.dumps(exc.result or failed, sort_keys=True))
        return exc.exit_code
    except KeyboardInterrupt as exc:  # Ctrl-C or SIGTERM: rolled back, recorded
        _failure(
            migration, "interrupted", f"{key}: interrupted; rolled back", args.json
        )
        return interrupt_code(exc)
    except Exception as exc:  # unexpected: still one line, never a traceback
        _failure(migration, "failed", f"{key}: {first_line(exc)}", args.json)
        return EXIT_FAILED
    if args.json:
        print(json.dumps(result, sort_keys=True))
    elif args.command == "plan":
        sys.stdout.write(result.get("plan", ""))
    return EXIT_PARTIAL if result.get("not_rehearsed") else EXIT_OK
