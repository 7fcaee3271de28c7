"""`migrate up --to NAME`, `migrate down --to NAME` and `down --all` on the
example shop, on SQLite and PostgreSQL."""

from __future__ import annotations

import shutil

import pytest
from support import SHOP, SHOP_ORDER, cli, status


@pytest.fixture
def shop(tmp_path):
    target = tmp_path / "shop"
    shutil.copytree(
        SHOP, target, ignore=shutil.ignore_patterns("*.db", "*.lock", "__pycache__")
    )
    assert cli(target, "build", "--all").exit_code == 0
    return target


def applied(shop, database_url) -> list[str]:
    rows = status(shop, database_url)
    return [key for key, row in rows.items() if row["state"] == "applied"]


def test_up_to_then_down_to_then_down_all(shop, database_url, db):
    # up --to: the dependency order's prefix through NAME (orders v1, not v2).
    up = cli(shop, "migrate", "up", "--to", SHOP_ORDER[2], database=database_url)
    assert up.exit_code == 0, up.stderr
    assert applied(shop, database_url) == SHOP_ORDER[:3]
    assert db.table_exists("orders")
    assert cli(shop, "migrate", "up", database=database_url).exit_code == 0
    assert applied(shop, database_url) == SHOP_ORDER

    # down --to: everything after NAME, latest first; NAME stays.
    preview = cli(
        shop,
        "migrate",
        "down",
        "--to",
        SHOP_ORDER[1],
        "--dry-run",
        database=database_url,
    )
    assert preview.stdout.splitlines() == [
        f"would revert {key}" for key in reversed(SHOP_ORDER[2:])
    ]
    assert applied(shop, database_url) == SHOP_ORDER  # a dry run changes nothing
    down = cli(shop, "migrate", "down", "--to", SHOP_ORDER[1], database=database_url)
    assert down.exit_code == 0, down.stderr
    assert "4 reverted" in down.stderr
    assert applied(shop, database_url) == SHOP_ORDER[:2]
    assert not db.table_exists("orders") and db.table_exists("users")

    again = cli(shop, "migrate", "down", "--to", SHOP_ORDER[3], database=database_url)
    assert again.exit_code == 1 and "is not applied" in again.stderr

    # --all stops where a person closes the accounts, and goes on once confirmed.
    down_all = cli(shop, "migrate", "down", "--all", database=database_url)
    assert down_all.exit_code == 5, down_all.stderr
    assert [key for key, _ in db.history()] == SHOP_ORDER[:1]
    assert status(shop, database_url)[SHOP_ORDER[0]]["state"] == "waiting"
    confirm = ("migrate", "confirm", SHOP_ORDER[0], "--by", "team-billing")
    assert cli(shop, *confirm, database=database_url).exit_code == 0
    down_all = cli(shop, "migrate", "down", "--all", database=database_url)
    assert down_all.exit_code == 0, down_all.stderr
    assert applied(shop, database_url) == []
    assert not db.table_exists("users") and not db.table_exists("accounts")
    nothing = cli(shop, "migrate", "down", "--all", database=database_url)
    assert nothing.exit_code == 0 and "0 reverted" in nothing.stderr


def test_down_all_stops_before_an_irreversible_migration(shop, database_url, db):
    spec = shop / "migrations" / "billing" / "2025_04_validate_orders.py"
    text = spec.read_text()
    start = text.index("        down=")
    end = text.index("    ),\n", start)
    spec.write_text(text[:start] + "        down=None,\n" + text[end:])
    assert cli(shop, "build", "--all").exit_code == 0
    assert cli(shop, "migrate", "up", database=database_url).exit_code == 0
    refused = cli(shop, "migrate", "down", "--all", database=database_url)
    assert refused.exit_code == 1
    assert "irreversible" in refused.stderr and "nothing was reverted" in refused.stderr
    assert applied(shop, database_url) == SHOP_ORDER


@pytest.mark.parametrize(
    "args",
    [
        ["--all", "--steps", "2"],
        ["--to", SHOP_ORDER[0], "--all"],
        [SHOP_ORDER[0], "--to", SHOP_ORDER[1]],
    ],
)
def test_down_takes_one_selection(shop, args):
    result = cli(shop, "migrate", "down", *args, database="sqlite:///x.db")
    assert result.exit_code == 2
    assert "give one of" in result.stderr


def test_up_name_and_to_are_exclusive(shop):
    result = cli(
        shop,
        "migrate",
        "up",
        SHOP_ORDER[0],
        "--to",
        SHOP_ORDER[1],
        database="sqlite:///x.db",
    )
    assert result.exit_code == 2
