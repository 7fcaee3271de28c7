"""What several test modules share: the example project, and the CLI run in-process.

A plain module (fixtures live in conftest.py): pytest puts tests/ on sys.path,
so a test module imports it as `from support import ...`.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from click.testing import CliRunner, Result
from hypothesis import settings

from contractspec.cli import root

SHOP = Path(__file__).resolve().parents[1] / "generated_examples" / "shop"
# The example's migrations in dependency order, as `contractspec list` prints them.
SHOP_ORDER = [
    "core.db.2025_01_add_accounts.v1",
    "core.db.2025_01_add_users.v1",
    "billing.db.2025_02_add_orders.v1",
    "billing.db.2025_02_add_orders.v2",
    "core.db.2025_03_backfill_display_names.v1",
    "billing.db.2025_04_validate_orders.v1",
]


def cli(
    project: Path | None,
    *args: str,
    database: str | None = None,
    input: str | None = None,
    cwd: Path | None = None,
) -> Result:
    """`contractspec ARGS -C PROJECT --database URL` in-process, from folder cwd.

    Returns click's Result (exit_code, stdout, stderr); an exception the CLI
    does not turn into an exit code fails the test with its traceback.
    """
    argv = list(args)
    if project is not None:
        argv += ["-C", str(project)]
    if database is not None:
        argv += ["--database", database]
    old = Path.cwd()
    if cwd is not None:
        os.chdir(cwd)
    try:
        return CliRunner().invoke(
            root, argv, input=input, prog_name="contractspec", catch_exceptions=False
        )
    finally:
        os.chdir(old)


def status(project: Path, database: str) -> dict[str, dict]:
    """`migrate status --json`, by migration key; the command must succeed."""
    result = cli(project, "migrate", "status", "--json", database=database)
    assert result.exit_code == 0, result.stderr
    return {row["key"]: row for row in json.loads(result.stdout)}


def examples(full: int) -> int:
    """A property test's example count: `full` under the "ci" hypothesis profile
    (CI=true), the loaded profile's share of it otherwise (conftest.py)."""
    return max(10, full * settings().max_examples // 100)
