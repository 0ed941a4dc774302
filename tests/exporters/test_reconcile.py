"""Reconcile finds exactly the drift planted between the ERP and the shop's product export."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from exchange.cli import cli
from exchange.cli.common import run_cli
from exchange.importers.run import import_file
from exchange.store import Store
from exchange.store.history import last_run
from tests.exporters.test_shoptet_round_trip import FIXTURE
from tests.transport.servers import PASSWORD, FTPServerThread

KINDS = ("missing_in_shop", "extra_in_shop", "price_drift", "stock_drift", "visibility_drift")


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.chdir(tmp_path)
    url = f"sqlite:///{tmp_path / 'erp.db'}"
    with Store(url) as store:
        assert import_file(store, FIXTURE, "shoptet", "products", quarantine=tmp_path / "q").ok
    return url


def planted(tmp_path: Path) -> Path:
    """The shop's export after the shop drifted: a price, a stock, a removed and an extra item."""
    text = FIXTURE.read_text(encoding="utf-8")
    text = text.replace("<PRICE_VAT>242.00</PRICE_VAT>", "<PRICE_VAT>250.00</PRICE_VAT>")
    text = text.replace("<AMOUNT>120</AMOUNT>", "<AMOUNT>100</AMOUNT>")
    start = text.index('  <SHOPITEM id="203">')
    text = text[:start] + text[text.index("</SHOPITEM>", start) + len("</SHOPITEM>\n"):]
    text = text.replace("</SHOP>", "  <SHOPITEM><CODE>EXTRA-9</CODE><PRICE_VAT>10</PRICE_VAT>"
                                   "<STOCK><AMOUNT>1</AMOUNT></STOCK></SHOPITEM>\n</SHOP>")
    text = text.replace('<SHOPITEM id="202">\n    <NAME>Tričko bavlna</NAME>',
                        '<SHOPITEM id="202">\n    <NAME>Tričko bavlna</NAME>\n'
                        '    <VISIBILITY>hidden</VISIBILITY>')
    text = text.replace("<VISIBILITY>visible</VISIBILITY>\n    <CODE>TB</CODE>", "<CODE>TB</CODE>")
    path = tmp_path / "shop-export.xml"
    path.write_text(text, encoding="utf-8")
    return path


def test_reconcile_finds_exactly_the_planted_drift(db: str, tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["--db", db, "reconcile", "--profile", "shoptet",
                                      "--shop-export", str(planted(tmp_path)), "--json"])
    assert result.exit_code == 4, result.output
    report = json.loads(result.output)
    assert report["counts"] == {"missing_in_shop": 1, "extra_in_shop": 1, "price_drift": 1,
                                "stock_drift": 1, "visibility_drift": 2}
    assert report["missing_in_shop"] == [{"code": "KNV-2", "erp_price": "1290", "erp_stock": "0"}]
    assert report["extra_in_shop"] == [{"code": "EXTRA-9", "shop_price": "10", "shop_stock": "1"}]
    assert report["price_drift"] == [{"code": "HRN-01", "erp": "242", "shop": "250"}]
    assert report["stock_drift"] == [{"code": "LZ-1", "erp": "120", "shop": "100"}]
    assert {d["code"] for d in report["visibility_drift"]} == {"TB M/modrá", "TB L/modrá"}
    with Store(db) as store, store.connect() as conn:
        run = last_run(conn, "manual:reconcile")
        assert run is not None and run["summary"]["price_drift"] == 1


def test_no_drift_exits_zero_and_says_so(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    code = run_cli(cli, ["--db", db, "reconcile", "--profile", "shoptet", "--shop-export",
                         str(FIXTURE)])
    assert code == 0
    out = capsys.readouterr().out
    for kind in KINDS:
        assert f"{kind.replace('_', ' ')}: 0" in out


def test_a_price_within_the_tolerance_is_not_drift(db: str, tmp_path: Path) -> None:
    shop = tmp_path / "shop.xml"
    shop.write_text(FIXTURE.read_text(encoding="utf-8").replace(
        "<PRICE_VAT>242.00</PRICE_VAT>", "<PRICE_VAT>242.04</PRICE_VAT>"), encoding="utf-8")
    args = ["--db", db, "reconcile", "--profile", "shoptet", "--shop-export", str(shop)]
    assert run_cli(cli, args) == 4
    assert run_cli(cli, [*args, "--price-tolerance", "0.05"]) == 0


@pytest.fixture
def ftp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FTPServerThread]:
    monkeypatch.setenv("EXCHANGE_PASSWORD_127_0_0_1_ALICE", PASSWORD)
    (tmp_path / "ftp-root" / "export").mkdir(parents=True)
    server = FTPServerThread(tmp_path / "ftp-root")
    yield server
    server.stop()


def test_the_shop_export_can_come_from_an_endpoint(db: str, tmp_path: Path,
                                                   ftp: FTPServerThread) -> None:
    planted(tmp_path).rename(ftp.root / "export" / "products.xml")
    result = CliRunner().invoke(cli, ["--db", db, "reconcile", "--profile", "shoptet", "--json",
                                      "--shop-export", ftp.url(path="/export/products.xml")])
    assert result.exit_code == 4, result.output
    assert json.loads(result.output)["counts"]["stock_drift"] == 1
    assert (ftp.root / "export" / "products.xml").is_file()  # the shop's file is left alone
