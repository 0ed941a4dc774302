"""Helpers for the handoff tests: Shoptet orders with paid flags and notes, a stocked catalogue."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from xml.sax.saxutils import escape

from exchange.importers.run import import_file
from exchange.profiles import Profile, load_profile
from exchange.resources import profiles_dir
from exchange.store import Store


@dataclass
class ShopOrder:
    """One Shoptet order to write: (code, name, amount) items at 121 CZK with VAT 21 %."""

    order_id: str
    status: str = "Vyřizuje se"
    paid: str = "1"
    note: str = ""
    company_id: str = ""
    vat_id: str = ""
    items: list[tuple[str, str, str]] = field(default_factory=lambda: [("P1", "Tričko", "2")])
    shipping: str = "99.00"


def order_element(o: ShopOrder) -> str:
    """The ORDER element of one order."""
    rows = "".join(
        f"<ITEM><TYPE>product</TYPE><CODE>{code}</CODE><NAME>{escape(name)}</NAME>"
        f"<AMOUNT>{amount}</AMOUNT><UNIT>ks</UNIT><UNIT_PRICE><WITH_VAT>121.00</WITH_VAT>"
        f"<WITHOUT_VAT>100.00</WITHOUT_VAT><VAT_RATE>21</VAT_RATE></UNIT_PRICE></ITEM>"
        for code, name, amount in o.items)
    rows += (f"<ITEM><TYPE>shipping</TYPE><CODE>PPL</CODE><NAME>PPL</NAME><AMOUNT>1</AMOUNT>"
             f"<UNIT_PRICE><WITH_VAT>{o.shipping}</WITH_VAT><VAT_RATE>21</VAT_RATE></UNIT_PRICE>"
             f"</ITEM>")
    total = sum(121 * float(a) for _c, _n, a in o.items) + float(o.shipping)
    return (
        f"<ORDER><ORDER_ID>{o.order_id}</ORDER_ID><CODE>2026{o.order_id}</CODE>"
        f"<DATE>2026-01-1{len(o.order_id) % 9} 10:00:00</DATE><STATUS>{o.status}</STATUS>"
        f"<CURRENCY><CODE>CZK</CODE></CURRENCY>"
        f"<CUSTOMER><EMAIL>buyer{o.order_id}@example.cz</EMAIL><BILLING_ADDRESS>"
        f"<NAME>Jana Nováková</NAME><COMPANY>{'Nová s.r.o.' if o.company_id else ''}</COMPANY>"
        f"<STREET>Dlouhá</STREET><HOUSENUMBER>5</HOUSENUMBER><CITY>Brno</CITY><ZIP>60200</ZIP>"
        f"<COUNTRY>Česká republika</COUNTRY><COMPANY_ID>{o.company_id}</COMPANY_ID>"
        f"<VAT_ID>{o.vat_id}</VAT_ID></BILLING_ADDRESS>"
        f"<SHIPPING_ADDRESS><NAME>Petr Novák</NAME><STREET>Krátká</STREET>"
        f"<HOUSENUMBER>7</HOUSENUMBER><CITY>Praha</CITY><ZIP>11000</ZIP>"
        f"<COUNTRY>Česká republika</COUNTRY></SHIPPING_ADDRESS></CUSTOMER>"
        f"<REMARK>{escape(o.note)}</REMARK>"
        f"<TOTAL_PRICE><WITH_VAT>{total:.2f}</WITH_VAT><PAID>{o.paid}</PAID></TOTAL_PRICE>"
        f"<ORDER_ITEMS>{rows}</ORDER_ITEMS></ORDER>")


def shoptet_with_paid(tmp_path: Path) -> Profile:
    """The bundled Shoptet profile with the order's paid flag mapped (TOTAL_PRICE/PAID)."""
    text = (profiles_dir() / "shoptet.yaml").read_text(encoding="utf-8")
    text = text.replace("      note: REMARK\n", "      note: REMARK\n      paid: TOTAL_PRICE/PAID\n", 1)
    path = tmp_path / "shoptet-paid.yaml"
    path.write_text(text, encoding="utf-8")
    return load_profile(path)


def load_stock(store: Store, tmp_path: Path, stock: dict[str, str]) -> None:
    """A catalogue of products with on-hand stock in MAIN."""
    from exchange.catalog import load_catalog_csv

    rows = "".join(f"{code},{code} name,ks,21,100,{amount}\n" for code, amount in stock.items())
    path = tmp_path / "catalog.csv"
    path.write_text("code,name,unit,vat_rate,price:retail,stock:MAIN\n" + rows, encoding="utf-8")
    report = load_catalog_csv(store, path)
    assert not report.errors, report.errors


def import_orders(store: Store, tmp_path: Path, *orders: ShopOrder, name: str = "orders.xml") -> None:
    """Import the orders through the Shoptet profile, as a shop's export would come."""
    path = tmp_path / name
    path.write_text('<?xml version="1.0" encoding="UTF-8"?>\n<ORDERS>'
                    + "".join(order_element(o) for o in orders) + "</ORDERS>\n", encoding="utf-8")
    report = import_file(store, path, shoptet_with_paid(tmp_path), "orders", quarantine=tmp_path / "q")
    assert report.file_error is None and not any(
        d.outcome.value == "failed" for d in report.documents), report
