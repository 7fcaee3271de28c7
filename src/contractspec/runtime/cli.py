"""A harness's command line: `python harness.py up|down|plan|confirm [options]`."""

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
    EXIT_WAITING,
    MigrationError,
    interrupt_code,
)
from .loader import MAX_FILE_BYTES
from .migration import run_migration
from .pointers import DEFAULT_MAX_BYTES, DEFAULT_TIMEOUT_S, MAX_TIMEOUT_S, Pointers
from .session import check_lock_settings
from .urls import DATABASE_ENV, DEFAULT_DATABASE_URL, first_line

if TYPE_CHECKING:
    from collections.abc import Sequence

    from .shapes import Migration, Result, Waiting


def instructions_text(key: str, waiting: Waiting, confirm: str, then: str) -> str:
    """What a person reads when a run stops at their work: the step, its
    instructions, who may confirm it, the command that does (confirm, with
    WHO where the name goes) and the one that continues (then)."""
    lines = [f"{key} waits for a person at {waiting['label']}:", ""]
    text = waiting["instructions"].strip("\n")
    lines += [f"    {line}".rstrip() for line in text.splitlines()]
    lines.append("")
    if waiting["confirm_by"]:
        lines.append(f"To be confirmed by: {', '.join(waiting['confirm_by'])}.")
    lines += [
        "When it is done, confirm it (its post-checks run first):",
        f"    {confirm}",
        f"then continue: {then}",
    ]
    return "\n".join(lines) + "\n"


def _failure(migration: Migration, status: str, error: str, as_json: bool) -> None:
    """One line on stderr, and the failure as JSON on stdout when asked."""
    print(f"error: {error}", file=sys.stderr)
    if as_json:
        failed = {"key": migration.get("key"), "status": status, "error": error}
        print(json.dumps(failed, sort_keys=True))


def runtime_main(
    migration: Migration, argv: Sequence[str] | None = None, harness: str | None = None
) -> int:
    """The harness command line: up | down | plan | confirm. Returns the exit code."""
    import argparse  # here: the orchestrator imports the runtime, never its CLI

    default = os.environ.get(DATABASE_ENV) or DEFAULT_DATABASE_URL
    parser = argparse.ArgumentParser(
        description=f"Apply, revert or plan migration {migration.get('key')}, or"
        " confirm a person's work that a run of it stopped at.",
        epilog="exit codes: 0 ok, 1 failed, 2 usage, 3 spec or configuration error,"
        " 4 rehearsal partial (steps outside a transaction not rehearsed),"
        " 5 waiting: stopped at a person's work (confirm it, then run again),"
        " 130/143 interrupted",
    )
    parser.add_argument("command", choices=("up", "down", "plan", "confirm"))
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
    confirming = parser.add_argument_group("confirm (a person's work)")
    confirming.add_argument("--by", metavar="WHO", help="who did it (confirm_by)")
    confirming.add_argument(
        "--step", type=int, metavar="N", help="the step it is (default: where it waits)"
    )
    confirming.add_argument("--note", metavar="TEXT", help="recorded with it")
    pointing = parser.add_argument_group("pointers (SQL named by a URL)")
    pointing.add_argument(
        "--scripts-dir",
        action="append",
        default=[],
        metavar="DIR",
        help="look here first, for files named by their sha256 (no network)",
    )
    pointing.add_argument(
        "--fetch-timeout", type=float, default=DEFAULT_TIMEOUT_S, metavar="SECONDS"
    )
    pointing.add_argument(
        "--fetch-max-bytes", type=int, default=DEFAULT_MAX_BYTES, metavar="N"
    )
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE
    problem = None
    if args.lock_timeout < 0:
        problem = "--lock-timeout must be >= 0"
    elif not 0 < args.fetch_timeout <= MAX_TIMEOUT_S:
        problem = f"--fetch-timeout must be more than 0 and at most {MAX_TIMEOUT_S:g}"
    elif not 1 <= args.fetch_max_bytes <= MAX_FILE_BYTES:
        problem = f"--fetch-max-bytes must be from 1 to {MAX_FILE_BYTES}"
    elif (args.command == "confirm") != (args.by is not None):
        problem = "confirm needs --by WHO (and only confirm takes it)"
    try:
        check_lock_settings(args.lock_timeout_ms, args.lock_retries)
    except MigrationError as exc:
        problem = problem or "--" + str(exc).replace("_", "-")
    if problem:
        parser.print_usage(sys.stderr)
        print(f"error: {problem}", file=sys.stderr)
        return EXIT_USAGE
    key = migration.get("key")
    pointers = Pointers(
        dirs=args.scripts_dir,
        timeout=args.fetch_timeout,
        max_bytes=args.fetch_max_bytes,
    )
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
            pointers=pointers,
            by=args.by,
            step=args.step,
            note=args.note,
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
    elif args.command == "confirm":
        print(result["message"], file=sys.stderr)
    waiting = result.get("waiting")
    if waiting is not None:
        if not args.json and not args.rehearse:
            name = f"python {os.path.basename(harness or 'harness.py')}"
            confirm = f"{name} confirm --step {waiting['step']} --by WHO"
            confirm += " [--note TEXT] --database URL"
            then = f"{name} {waiting['command']} --database URL"
            sys.stdout.write(instructions_text(str(key), waiting, confirm, then))
        return EXIT_WAITING
    return EXIT_PARTIAL if result.get("not_rehearsed") else EXIT_OK
