"""Import engine: products (upsert by code, variants, labels, prices) and stock levels."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from exchange.documents import Price, Product, StockLevel
from exchange.importers.read.records import Record
from exchange.importers.report import Outcome
from exchange.importers.run import ImportRequest, import_file, import_records
from exchange.profiles import DocumentKind, load_profile
from exchange.store import Store
from exchange.store.catalog import ensure_warehouse, upsert_product
from exchange.store.links import remember_link
from tests.importers.engine_support import count, rows, stock_of

PRODUCTS = """<?xml version="1.0" encoding="UTF-8"?>
<SHOP>
<SHOPITEM id="1"><NAME>Tričko</NAME><CODE>T-1</CODE><EAN>8590000000011</EAN><UNIT>ks</UNIT>
<VAT>21</VAT><PRICE_VAT>{price}</PRICE_VAT><CURRENCY>CZK</CURRENCY><STOCK><AMOUNT>7</AMOUNT></STOCK>
<VARIANTS>
<VARIANT id="11"><CODE>T-1-M</CODE><PARAMETERS><PARAMETER><NAME>Velikost</NAME><VALUE>M</VALUE>
</PARAMETER></PARAMETERS><VAT>21</VAT><PRICE_VAT>260</PRICE_VAT><STOCK><AMOUNT>3</AMOUNT></STOCK></VARIANT>
<VARIANT id="12"><CODE>T-1-L</CODE><PARAMETERS><PARAMETER><NAME>Velikost</NAME><VALUE>L</VALUE>
</PARAMETER></PARAMETERS><VAT>21</VAT><PRICE_VAT>270</PRICE_VAT></VARIANT>
</VARIANTS>
</SHOPITEM>
<SHOPITEM id="2"><NAME>Mikina</NAME><CODE>M-1</CODE><VAT>21</VAT><PRICE_VAT>900</PRICE_VAT></SHOPITEM>
</SHOP>
"""


def _prices(store: Store) -> dict[str, Decimal]:
    by_id = {p["id"]: p["code"] for p in rows(store, "products")}
    return {by_id[r["product_id"]]: r["amount"] for r in rows(store, "product_prices")}


def test_products_import_twice_updates_and_never_duplicates(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "products.xml"
    path.write_text(PRODUCTS.format(price="250"), encoding="utf-8")
    profile = load_profile("shoptet")

    first = import_file(store, path, profile, "products", quarantine=tmp_path / "q")

    assert first.counts[Outcome.IMPORTED] == 4
    products = {p["code"]: p for p in rows(store, "products")}
    assert set(products) == {"T-1", "T-1-M", "T-1-L", "M-1"}
    assert products["T-1-M"]["parent_id"] == products["T-1"]["id"]
    assert products["T-1-L"]["parent_id"] == products["T-1"]["id"]
    assert products["T-1-M"]["variant_name"] == "Velikost: M"
    assert _prices(store) == {"T-1": Decimal("250"), "T-1-M": Decimal("260"),
                              "T-1-L": Decimal("270"), "M-1": Decimal("900")}
    (retail,) = rows(store, "price_lists")
    assert retail["name"] == "retail"

    unchanged = import_file(store, path, profile, "products", quarantine=tmp_path / "q")
    assert unchanged.counts[Outcome.SKIPPED] == 4
    path.write_text(PRODUCTS.format(price="199"), encoding="utf-8")
    changed = import_file(store, path, profile, "products", quarantine=tmp_path / "q")

    assert (changed.counts[Outcome.UPDATED], changed.counts[Outcome.SKIPPED]) == (1, 3)
    assert count(store, "products") == 4
    assert count(store, "product_prices") == 4
    assert _prices(store)["T-1"] == Decimal("199")


def test_products_import_sets_on_hand_and_records_a_receipt(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "products.xml"
    path.write_text(PRODUCTS.format(price="250"), encoding="utf-8")

    import_file(store, path, "shoptet", "products", quarantine=tmp_path / "q")
    import_file(store, path, "shoptet", "products", quarantine=tmp_path / "q")

    products = {p["code"]: p["id"] for p in rows(store, "products")}
    with store.connect() as conn:
        wid = ensure_warehouse(conn, "MAIN")
        assert stock_of(conn, products["T-1"], wid) == (Decimal("7"), Decimal("0"))
        assert stock_of(conn, products["T-1-M"], wid)[0] == Decimal("3")
    receipts = [(m["product_id"], m["quantity"]) for m in rows(store, "stock_moves")]
    assert sorted(receipts) == sorted([(products["T-1"], Decimal("7")),
                                       (products["T-1-M"], Decimal("3"))])  # once, not twice


def test_labels_are_replaced_and_variants_linked_from_canonical_products(
        store: Store, tmp_path: Path) -> None:
    source = tmp_path / "catalogue.xml"
    source.write_text("<SHOP/>", encoding="utf-8")
    profile = load_profile("shoptet")

    def run(labels: list[str]):  # type: ignore[no-untyped-def]
        records = [
            Record(DocumentKind.PRODUCTS, 2, "A", Product(
                code="A", name="Bunda", labels=labels,
                prices=[Price("retail", Decimal("1000"), "CZK")])),
            Record(DocumentKind.PRODUCTS, 3, "A-XL", Product(
                code="A-XL", name="Bunda", parent_code="A", variant_name="XL")),
        ]
        return import_records(store, ImportRequest(source, profile, DocumentKind.PRODUCTS,
                                                   quarantine=tmp_path / "q"), records)

    run(["akce", "novinka"])
    report = run(["novinka"])

    assert report.counts[Outcome.UPDATED] == 1
    products = {p["code"]: p for p in rows(store, "products")}
    assert products["A-XL"]["parent_id"] == products["A"]["id"]
    assert [r["label"] for r in rows(store, "product_labels")] == ["novinka"]


def test_stock_import_sets_on_hand_by_code_or_link_and_fails_unknown_codes(
        store: Store, tmp_path: Path) -> None:
    with store.begin() as conn:
        known, _ = upsert_product(conn, Product(code="ERP-10", name="Hrnek"))
        remember_link(conn, "prestashop", "prestashop", "product", "10", known)
    path = tmp_path / "stock.xml"
    path.write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n<prestashop><stock_availables>\n'
        "<stock_available><id>1</id><id_product><![CDATA[ 10 ]]></id_product>"
        "<id_product_attribute>0</id_product_attribute><quantity>12</quantity></stock_available>\n"
        "<stock_available><id>2</id><id_product>99</id_product>"
        "<id_product_attribute>0</id_product_attribute><quantity>5</quantity></stock_available>\n"
        "</stock_availables></prestashop>\n", encoding="utf-8")

    report = import_file(store, path, "prestashop", "stock", warehouse="SHOP",
                         quarantine=tmp_path / "q")

    assert report.counts[Outcome.UPDATED] == 1
    (failed,) = report.failures
    assert "99" in failed.reason and failed.line == 4
    with store.connect() as conn:
        assert stock_of(conn, known, ensure_warehouse(conn, "SHOP"))[0] == Decimal("12")
    (move,) = rows(store, "stock_moves")
    assert (move["kind"], move["quantity"]) == ("receipt", Decimal("12"))
    assert (tmp_path / "q" / "stock.xml.error.txt").is_file()


def test_stock_records_from_python_go_to_their_warehouse(store: Store, tmp_path: Path) -> None:
    with store.begin() as conn:
        pid, _ = upsert_product(conn, Product(code="S1", name="Šála"))
    source = tmp_path / "stock.xml"
    source.write_text("<x/>", encoding="utf-8")
    records = [Record(DocumentKind.STOCK, 1, "S1", StockLevel("S1", "MAIN", Decimal("4")))]

    request = ImportRequest(source, load_profile("prestashop"), DocumentKind.STOCK,
                            quarantine=tmp_path / "q")
    import_records(store, request, records)
    again = import_records(store, request, records)

    assert again.counts[Outcome.SKIPPED] == 1
    with store.connect() as conn:
        assert stock_of(conn, pid, ensure_warehouse(conn, "MAIN"))[0] == Decimal("4")
