"""`exchange export`: writing a feed, listing the feeds, held feeds and user mistakes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from lxml import etree
from sqlalchemy import delete

from exchange.cli import cli
from exchange.cli.common import run_cli
from exchange.store import Store
from exchange.store.schema import products
from tests.exporters.conftest import build_catalogue


@pytest.fixture
def db(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    with Store(url) as store:
        build_catalogue(store)
    return url


def test_export_pricelist_writes_the_feed(db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "feed.xml"
    code = run_cli(cli, ["--db", db, "export", "pricelist", "--profile", "shoptet", "-o", str(target),
                         "--warehouse", "MAIN", "--label", "eshop1"])
    assert code == 0
    assert "4 items (full) written to" in capsys.readouterr().out
    items = {el.findtext("CODE"): el for el in etree.parse(str(target)).getroot().iterfind("SHOPITEM")}
    assert set(items) == {"KAVA-1", "TRI"}
    assert items["KAVA-1"].findtext("STOCK/AMOUNT") == "7"


def test_feed_defaults_to_pricelist_and_json_result(db: str, tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "feed.xml"
    code = run_cli(cli, ["--db", db, "export", "--profile", "native", "-o", str(target), "--no-vat",
                         "--json"])
    assert code == 0
    result = json.loads(capsys.readouterr().out)
    assert result["feed"] == "pricelist"
    assert result["status"] == "published"
    assert result["vat_included"] is False
    assert result["item_count"] == 6


def test_list_shows_each_profiles_feeds(capsys: pytest.CaptureFixture[str]) -> None:
    assert run_cli(cli, ["export", "--list", "--json"]) == 0
    feeds = {(row["profile"], row["feed"]) for row in json.loads(capsys.readouterr().out)}
    assert {("shoptet", "pricelist"), ("shoptet", "stock"), ("heureka", "pricelist"),
            ("google", "pricelist"), ("prestashop", "stock"), ("native", "pricelist")} <= feeds


def test_held_feed_exits_non_zero_and_force_publishes(db: str, tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "google.xml"
    args = ["--db", db, "export", "pricelist", "--profile", "google", "-o", str(target)]
    assert run_cli(cli, args) == 0
    with Store(db) as store, store.begin() as conn:
        conn.execute(delete(products).where(products.c.code.in_(["KAVA-1", "KNIHA"])))
    capsys.readouterr()
    assert run_cli(cli, args) == 4
    captured = capsys.readouterr()
    assert "HELD" in captured.out
    assert "google.xml.held.json" in captured.err
    assert (tmp_path / "google.xml.held").exists()
    assert run_cli(cli, [*args, "--force"]) == 0
    assert "gate overridden" in capsys.readouterr().err


@pytest.mark.parametrize(("args", "message", "exit_code"), [
    (["export", "nope", "--profile", "shoptet", "-o", "x.xml"],
     "profile 'shoptet' has no feed 'nope'; it offers: pricelist, pricelist_flat, stock", 3),
    (["export", "--profile", "shoptet", "-o", "x.xml", "--price-list", "vip"],
     "unknown price list 'vip'; known: retail, wholesale", 3),
    (["export", "--profile", "shoptet", "-o", "x.xml", "--warehouse", "W9"],
     "unknown warehouse W9; known: MAIN, W2", 3),
    (["export", "--profile", "nosuch", "-o", "x.xml"], "unknown profile 'nosuch'", 3),
])
def test_user_mistakes_give_one_line(db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                     capsys: pytest.CaptureFixture[str], args: list[str], message: str,
                                     exit_code: int) -> None:
    monkeypatch.chdir(tmp_path)
    assert run_cli(cli, ["--db", db, *args]) == exit_code
    err = capsys.readouterr().err
    assert message in err
    assert "Traceback" not in err
    assert not (tmp_path / "x.xml").exists()
