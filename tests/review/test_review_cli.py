"""`exchange review …` and `exchange users …`: CLI parity with the console's review queue."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from exchange.cli import cli
from exchange.importers.run import import_file
from exchange.store import Store
from tests.review.conftest import UNMAPPED, held_export


def _run(db: str, *args: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["--db", db, "--create", "--config", "absent.yaml", *args], env=env)
    return result.exit_code, result.output


def test_review_list_map_and_export(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'exchange.db'}"
    with Store(db) as store:
        import_file(store, held_export(tmp_path / "inbox"), "shoptet", "orders",
                    quarantine=tmp_path / "q")
    code, out = _run(db, "review", "list", "--json")
    assert code == 0
    (group,) = json.loads(out)
    assert (group["cause"], group["field"], group["value"], group["count"]) == (
        "unmapped", "status", UNMAPPED, 1)
    code, out = _run(db, "review", "map", "status", UNMAPPED, "--to", "delivered", "--shop", "shoptet")
    assert code == 0 and "1 released" in out
    code, out = _run(db, "review", "list")
    assert "nothing is held" in out
    code, out = _run(db, "review", "export")
    assert code == 0 and f"{UNMAPPED}: delivered" in out and "status:" in out
    code, out = _run(db, "profiles", "show", "shoptet")
    assert code == 0 and "# remembered decisions on top of this profile" in out
    assert f"shop shoptet: status {UNMAPPED!r} -> 'delivered'" in out


def test_users_add_hashes_the_password(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'exchange.db'}"
    code, out = _run(db, "users", "add", "ops", env={"EXCHANGE_WEB_PASSWORD": "long enough pw"})
    assert code == 0 and "added" in out
    code, out = _run(db, "users", "add", "ops", env={"EXCHANGE_WEB_PASSWORD": "long enough pw"})
    assert code != 0
    code, out = _run(db, "users", "list")
    assert out.split() == ["ops"]
