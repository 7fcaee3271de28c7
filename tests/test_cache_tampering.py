"""Caches are checked, never trusted: an entry of .contractspec_cache edited
by hand (or brought from another machine) is ignored and rebuilt, so what is
built and what runs stay exactly what the sources say."""

from __future__ import annotations

import hashlib
import json

from support import SHOP_ORDER, cli
from test_migrate import shop  # noqa: F401 - a fixture

from contractspec import cachedir

ACCOUNTS_SQL = "CREATE TABLE accounts"
EVIL_SQL = "CREATE TABLE hacked"


def _harnesses(project) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in (project / "harnesses").glob("*.py")}


def test_an_edited_spec_cache_entry_changes_nothing(shop, tmp_path, DB):  # noqa: F811
    specs = shop / ".contractspec_cache" / "specs.marshal"
    assert cli(shop, "list").exit_code == 0  # the cache holds every spec now
    mac, _, body = specs.read_bytes().partition(b"\n")
    assert ACCOUNTS_SQL.encode() in body
    specs.write_bytes(
        mac + b"\n" + body.replace(ACCOUNTS_SQL.encode(), EVIL_SQL.encode())
    )

    shown = json.loads(
        cli(shop, "show", "core.db.2025_01_add_accounts", "--json").stdout
    )
    assert ACCOUNTS_SQL in json.dumps(shown) and EVIL_SQL not in json.dumps(shown)
    assert cli(shop, "build", "--check").exit_code == 0
    url = f"sqlite:///{tmp_path / 'app.db'}"
    result = cli(shop, "migrate", "up", database=url)
    assert result.exit_code == 0, result.stderr
    db = DB(url)
    assert db.table_exists("accounts") and not db.table_exists("hacked")
    assert [key for key, _ in db.history()] == sorted(SHOP_ORDER)
    # Rebuilt: the file verifies again and holds the real SQL.
    assert cachedir.unseal(specs.name, specs.read_bytes()) is not None
    assert EVIL_SQL.encode() not in specs.read_bytes()


def test_an_edited_checked_harness_entry_changes_nothing(
    shop, tmp_path, DB  # noqa: F811
):
    url = f"sqlite:///{tmp_path / 'app.db'}"
    assert cli(shop, "migrate", "status", database=url).exit_code == 0
    checked = shop / ".contractspec_cache" / "harnesses.marshal"
    mac, _, body = checked.read_bytes().partition(b"\n")
    assert ACCOUNTS_SQL.encode() in body  # the MIGRATION that agreed, to run
    checked.write_bytes(
        mac + b"\n" + body.replace(ACCOUNTS_SQL.encode(), EVIL_SQL.encode())
    )
    result = cli(shop, "migrate", "up", database=url)
    assert result.exit_code == 0, result.stderr
    db = DB(url)
    assert db.table_exists("accounts") and not db.table_exists("hacked")
    assert cachedir.unseal(checked.name, checked.read_bytes()) is not None
    assert EVIL_SQL.encode() not in checked.read_bytes()


def test_an_edited_risk_entry_changes_nothing(shop, tmp_path):  # noqa: F811
    url = f"sqlite:///{tmp_path / 'app.db'}"
    experimental = "billing.db.2025_04_validate_orders.v1"  # medium: unstable

    def risks() -> dict[str, str]:
        result = cli(shop, "migrate", "status", "--json", database=url)
        assert result.exit_code == 0, result.stderr
        return {row["key"]: row["risk"]["level"] for row in json.loads(result.stdout)}

    assert risks()[experimental] == "medium"  # remembered (risks.marshal)
    known = shop / ".contractspec_cache" / "risks.marshal"
    mac, _, body = known.read_bytes().partition(b"\n")
    assert body.count(b"medium") == 1
    # Lowered by hand, the same length, so it would still unmarshal.
    known.write_bytes(mac + b"\n" + body.replace(b"medium", b"low\0\0\0"))
    assert risks()[experimental] == "medium"
    assert cachedir.unseal(known.name, known.read_bytes()) is not None
    assert b"low\0\0\0" not in known.read_bytes()


def test_an_edited_black_cache_entry_changes_nothing(shop, black_formats):  # noqa: F811
    before = _harnesses(shop)
    assert cli(shop, "build", "--all").exit_code == 0  # black's output, cached
    entries = list((shop / ".contractspec_cache" / "black").glob("*/*.py"))
    edited = 0
    for entry in entries:
        body = entry.read_bytes().partition(b"\n")[2]
        if ACCOUNTS_SQL.encode() in body:
            # What a checksum without a key could not catch: the edit re-hashed.
            body = body.replace(ACCOUNTS_SQL.encode(), EVIL_SQL.encode())
            digest = hashlib.sha256(body).hexdigest().encode()
            entry.write_bytes(b"# sha256:" + digest + b"\n" + body)
            edited += 1
    assert edited
    for harness in (shop / "harnesses").glob("*.py"):
        harness.unlink()
    assert cli(shop, "build", "--all").exit_code == 0
    assert _harnesses(shop) == before
    assert cli(shop, "build", "--check").exit_code == 0


def test_a_cache_sealed_with_another_key_is_not_used(tmp_path):
    body = b'{"schema": "x", "entries": {}}'
    sealed = cachedir.seal("specs.marshal", body)
    assert cachedir.unseal("specs.marshal", sealed) == body
    assert cachedir.unseal("other.json", sealed) is None  # bound to its name
    other_machine = bytes(64) + sealed[64:]  # another key's MAC
    assert cachedir.unseal("specs.marshal", other_machine) is None
