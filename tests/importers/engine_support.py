"""Helpers for the import engine tests: Shoptet order XML written from small dicts, store queries."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from sqlalchemy import Connection, func, select

from exchange.profiles import Profile, load_profile
from exchange.store import Store
from exchange.store.schema import metadata


def order_xml(order_id: str, *, code: str = "", date: str = "2026-01-15 10:00:00",
              status: str = "Vyřizuje se", email: str = "jana@example.cz", vat_id: str = "",
              company_id: str = "", name: str = "Jana Nováková",
              items: list[tuple[str, str, str, str]] | None = None) -> str:
    """One Shoptet ORDER; items are (type, code, name, amount) with a unit price of 100."""
    items = items if items is not None else [("product", "P1", "Tričko", "2")]
    rows = "".join(
        f"<ITEM><TYPE>{kind}</TYPE><CODE>{item_code}</CODE><NAME>{escape(item_name)}</NAME>"
        f"<AMOUNT>{amount}</AMOUNT><UNIT>ks</UNIT><UNIT_PRICE><WITH_VAT>100.00</WITH_VAT>"
        f"<VAT_RATE>21</VAT_RATE></UNIT_PRICE></ITEM>\n"
        for kind, item_code, item_name, amount in items)
    # the total is what the lines add up to (the importer holds an order whose total is not)
    total = f"{sum(Decimal(100) * Decimal(amount) for _k, _c, _n, amount in items):.2f}"
    return (
        f"<ORDER>\n<ORDER_ID>{order_id}</ORDER_ID>\n<CODE>{code or '2026' + order_id}</CODE>\n"
        f"<DATE>{date}</DATE>\n<STATUS>{status}</STATUS>\n<CURRENCY><CODE>CZK</CODE></CURRENCY>\n"
        f"<CUSTOMER><EMAIL>{email}</EMAIL><BILLING_ADDRESS><NAME>{escape(name)}</NAME>"
        f"<CITY>Brno</CITY><COMPANY_ID>{company_id}</COMPANY_ID><VAT_ID>{vat_id}</VAT_ID>"
        f"</BILLING_ADDRESS></CUSTOMER>\n"
        f"<TOTAL_PRICE><WITH_VAT>{total}</WITH_VAT></TOTAL_PRICE>\n"
        f"<ORDER_ITEMS>\n{rows}</ORDER_ITEMS>\n</ORDER>\n")


def write_orders(path: Path, *orders: str, tail: str = "</ORDERS>\n") -> Path:
    """A Shoptet order export file of the given ORDER elements."""
    path.write_text('<?xml version="1.0" encoding="UTF-8"?>\n<ORDERS>\n' + "".join(orders) + tail,
                    encoding="utf-8")
    return path


def shoptet(**options: Any) -> Profile:
    """The bundled Shoptet profile, with import options replaced."""
    profile = load_profile("shoptet")
    return profile.model_copy(update={
        "import_options": profile.import_options.model_copy(update=options)})


def count(store: Store, table: str) -> int:
    """Rows in a table."""
    with store.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(metadata.tables[table])).scalar())


def rows(store: Store, table: str, **where: Any) -> list[dict[str, Any]]:
    """Rows of a table (optionally filtered by column equality), by id when there is one."""
    t = metadata.tables[table]
    query = select(t)
    for key, value in where.items():
        query = query.where(t.c[key] == value)
    if "id" in t.c:
        query = query.order_by(t.c.id)
    with store.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(query)]


def stock_of(conn: Connection, product_id: int, warehouse_id: int) -> tuple[Decimal, Decimal]:
    """(on hand, reserved) of a product in a warehouse; zeros when never stocked."""
    from exchange.store.stock import current_levels

    zero = Decimal("0")
    return current_levels(conn, [(product_id, warehouse_id)]).get((product_id, warehouse_id),
                                                                   (zero, zero))


def strict_profile(tmp_path: Path) -> Profile:
    """A profile reading ORDER_ID and DATE of Shoptet orders, validated by a minimal XSD."""
    schema = Path(__file__).parent.parent / "fixtures" / "import" / "shoptet_orders_min.xsd"
    path = tmp_path / "strict.yaml"
    path.write_text(f"""kinds:
  orders:
    record: /ORDERS/ORDER
    schema: {schema}
    fields:
      external_id: ORDER_ID
      created_at: DATE
""", encoding="utf-8")
    return load_profile(path)
