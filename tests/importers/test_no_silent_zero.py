"""No silent zero: a file with nothing of the asked kind in it is refused, names what it holds, and stays."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from exchange.cli import cli
from exchange.errors import FileKindError
from exchange.importers.read.kinds import detect_kind
from exchange.importers.read.source import SourceFile
from exchange.importers.report import Outcome
from exchange.importers.run import import_file
from exchange.jobs.quarantine import retry
from exchange.profiles import DocumentKind, load_profile
from exchange.store import Store
from tests.importers.engine_support import count

HTML = b"<html><head><title>502 Bad Gateway</title></head><body><h1>Bad Gateway</h1></body></html>"


@pytest.mark.parametrize(("sample", "profile", "kind", "says"), [
    ("shoptet/SHOPITEM-with-variants.xml", "shoptet", "orders",
     "the root is SHOPITEM: this looks like products; use --as products"),
    ("pohoda/vitex_all-invoices-response_cp1250.xml", "pohoda", "orders",
     "this looks like invoices; use --as invoices"),
    ("pohoda/accsync_objednavky_01_v2.0_response_cp1250.xml", "pohoda", "invoices",
     "this looks like orders; use --as orders"),
    ("pohoda/vitex_xml-denied-response_cp1250.xml", "pohoda", "invoices",
     'state="error"), not documents: responsePack: Uživatel není oprávnen importovat XML soubory'),
    ("pohoda/jakubdusek_import-response_invoice_error_cp1250.xml", "pohoda", "invoices",
     'error answer (state="error")'),
    ("pohoda/accsync_objednavky_01_v2.0_cp1250.xml", "pohoda", "orders",
     "a request for data (listOrderRequest), not data"),
])
def test_a_file_of_another_kind_is_refused_naming_what_it_holds(
        store: Store, shared_samples: Path, tmp_path: Path, sample: str, profile: str, kind: str,
        says: str) -> None:
    report = import_file(store, shared_samples / sample, profile, kind, quarantine=tmp_path / "q")

    assert report.file_error is not None and says in report.file_error
    assert report.nothing_to_import and report.status == "refused"
    assert report.exit_code != 0 and report.total == 0
    assert count(store, "orders") == count(store, "invoices") == 0


def test_products_given_as_orders_in_the_cli_exit_non_zero(shared_samples: Path,
                                                            tmp_path: Path) -> None:
    shop = tmp_path / "shop.xml"
    item = (shared_samples / "shoptet" / "SHOPITEM-with-variants.xml").read_text(encoding="utf-8")
    shop.write_text("<SHOP>" + re.sub(r"^<\?xml[^>]*\?>", "", item.strip()) + "</SHOP>",
                    encoding="utf-8")
    result = CliRunner().invoke(cli, ["--db", f"sqlite:///{tmp_path / 'x.db'}", "--create", "import", str(shop),
                                      "-p", "shoptet", "--as", "orders",
                                      "--quarantine", str(tmp_path / "q")])
    assert result.exit_code != 0
    assert "the root is SHOP: this looks like products; use --as products" in result.output


def test_an_html_page_and_an_empty_export_are_refused(store: Store, tmp_path: Path) -> None:
    page = tmp_path / "page.xml"
    page.write_bytes(HTML)
    empty = tmp_path / "empty.xml"
    empty.write_bytes(b"<?xml version='1.0'?><ORDERS></ORDERS>")

    html = import_file(store, page, "shoptet", "orders", quarantine=tmp_path / "q")
    nothing = import_file(store, empty, "shoptet", "orders", quarantine=tmp_path / "q")

    assert html.file_error is not None and "HTML page" in html.file_error
    assert nothing.file_error is not None and "holds no orders: the ORDERS export is empty" \
        in nothing.file_error
    assert not html.ok and not nothing.ok


def test_retry_never_calls_an_empty_file_resolved(store: Store, tmp_path: Path) -> None:
    quarantined = tmp_path / "quarantine"
    quarantined.mkdir()
    path = quarantined / "orders.xml"
    path.write_bytes(b"<?xml version='1.0'?><ORDERS></ORDERS>")

    report = retry(store, path, profile="shoptet", kind="orders")

    assert not report.ok and report.counts[Outcome.IMPORTED] == 0
    assert path.exists() and not (quarantined / "resolved").exists()


def test_the_kind_is_detected_from_the_root_and_the_record_paths(shared_samples: Path,
                                                                  tmp_path: Path) -> None:
    pohoda = load_profile("pohoda")
    shoptet = load_profile("shoptet")
    shop = tmp_path / "shop.xml"
    shop.write_bytes(b"<SHOP><SHOPITEM><CODE>A</CODE></SHOPITEM></SHOP>")
    orders = tmp_path / "orders.xml"
    orders.write_bytes(b"<ORDERS><ORDER><ORDER_ID>1</ORDER_ID></ORDER></ORDERS>")

    def kind(path: Path, profile=pohoda) -> DocumentKind:  # type: ignore[no-untyped-def]
        return detect_kind(SourceFile.scan(path, encoding_fallback="windows-1250"), profile)

    assert kind(shared_samples / "pohoda" / "vitex_all-invoices-response_cp1250.xml") \
        is DocumentKind.INVOICES
    assert kind(shared_samples / "pohoda" / "accsync_objednavky_01_v2.0_response_cp1250.xml") \
        is DocumentKind.ORDERS
    assert kind(shop, shoptet) is DocumentKind.PRODUCTS
    assert kind(orders, shoptet) is DocumentKind.ORDERS
    with pytest.raises(FileKindError, match="the root is SHOP"):
        kind(shop)
    with pytest.raises(FileKindError, match='state="error"'):
        kind(shared_samples / "pohoda" / "vitex_xml-denied-response_cp1250.xml")


def test_a_pulled_file_of_the_wrong_kind_stays_on_the_server(store: Store, tmp_path: Path,
                                                              shared_samples: Path) -> None:
    from exchange.importers.run import HistoryRun
    from exchange.pipeline import pull_and_import

    remote = tmp_path / "remote"
    remote.mkdir()
    shutil.copy(shared_samples / "pohoda" / "vitex_all-invoices-response_cp1250.xml",
                remote / "invoices.xml")

    def importer(path: Path, origin):  # type: ignore[no-untyped-def]
        return import_file(store, path, "pohoda", "orders", quarantine=tmp_path / "q",
                           origin=origin, history=HistoryRun())

    url = f"file://{remote}?settle=0"
    first = pull_and_import(store, url, tmp_path / "in", importer)
    again = pull_and_import(store, url, tmp_path / "in", importer)

    ((_, report),) = first.imported
    assert report.nothing_to_import and "use --as invoices" in (report.file_error or "")
    assert (remote / "invoices.xml").exists()  # not moved to processed/ (nor to error/)
    assert not (remote / "processed").exists() and not (remote / "error").exists()
    assert again.imported == [] and "left on the server" in again.skipped[0].reason


def test_without_as_the_cli_reads_the_kind_from_the_file(shared_samples: Path,
                                                         tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'x.db'}"
    runner = CliRunner()
    invoices = runner.invoke(cli, ["--db", db, "--create", "import", "-p", "pohoda", "--quarantine",
                                   str(tmp_path / "q"), str(shared_samples / "pohoda" /
                                                            "vitex_all-invoices-response_cp1250.xml")])
    denied = runner.invoke(cli, ["--db", db, "import", "-p", "pohoda", "--quarantine",
                                 str(tmp_path / "q"), str(shared_samples / "pohoda" /
                                                          "vitex_xml-denied-response_cp1250.xml")])
    assert invoices.exit_code == 0, invoices.output
    assert "16 invoices: 16 imported" in invoices.output
    assert denied.exit_code != 0 and 'state="error"' in denied.output
