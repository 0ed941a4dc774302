"""PrestaShop feeds in real use: the catalogue is linked from the shop's product export first."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from lxml import etree
from sqlalchemy import delete

from exchange.catalog_links import link_catalogue
from exchange.cli import cli
from exchange.cli.common import run_cli
from exchange.store import Store
from exchange.store.schema import links
from tests.exporters.conftest import build_catalogue

FIXTURE = Path(__file__).parent.parent / "fixtures" / "export" / "prestashop_products.xml"


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.chdir(tmp_path)
    url = f"sqlite:///{tmp_path / 'erp.db'}"
    with Store(url) as store:
        build_catalogue(store)
        with store.begin() as conn:
            conn.execute(delete(links))  # a catalogue never linked to the shop
    return url


def test_a_feed_that_needs_links_and_has_none_says_so(db: str, capsys: pytest.CaptureFixture[str]
                                                      ) -> None:
    code = run_cli(cli, ["--db", db, "export", "stock", "--profile", "prestashop", "-o", "s.xml"])
    assert code == 4
    assert "exchange catalog link --profile prestashop" in capsys.readouterr().out
    assert not Path("s.xml").exists()


def test_catalog_link_by_code_or_ean_then_the_feeds_carry_the_shop_ids(db: str) -> None:
    result = CliRunner().invoke(cli, ["--db", db, "catalog", "link", "--profile", "prestashop",
                                      str(FIXTURE), "--json"])
    assert result.exit_code == 4, result.output  # one shop product is not in the catalogue
    report = json.loads(result.output)
    assert (report["linked"], report["known"]) == (3, 0)
    assert report["unmatched"] == ["prestashop_products.xml:20: 12: no product with code 'NOT-OURS'"]
    run_cli(cli, ["--db", db, "export", "stock", "--profile", "prestashop", "-o", "s.xml"])
    stock = {(el.findtext("id_product"), el.findtext("id_product_attribute")): el.findtext("quantity")
             for el in etree.parse("s.xml").getroot().iter("stock_available")}
    assert stock == {("10", "0"): "12", ("11", "0"): "2", ("13", "3"): "0"}
    run_cli(cli, ["--db", db, "export", "pricelist", "--profile", "prestashop", "-o", "p.xml"])
    prices = {el.findtext("id"): el.findtext("price")
              for el in etree.parse("p.xml").getroot().iter("product")}
    assert prices == {"10": "100.000000", "11": "206.610000"}  # a combination's price is an impact


def test_linking_twice_keeps_one_link(db: str) -> None:
    with Store(db) as store:
        link_catalogue(store, FIXTURE)
        again = link_catalogue(store, FIXTURE)
    assert (again.linked, again.known) == (0, 3)
