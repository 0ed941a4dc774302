"""POHODA dataPack out: received orders (``ord:order``) and issued invoices (``inv:invoice``).

Each document becomes one ``dat:dataPackItem``, built as a small element tree and streamed through
lxml's ``etree.xmlfile``, so a pack of 100,000 invoices is written in flat memory. Texts are cut to
the schema's lengths. Receipts go as issued invoices (``issuedInvoice``): POHODA's sales receipts
(prodejky) are a cash-register agenda of their own that this writer does not map.

POHODA's XML import creates invoices but never updates them (order.xsd keeps only ``add`` and
``delete``; its ``update`` is commented out, and invoice.xsd has no action at all). So a changed
order that POHODA booked is sent as a ``delete`` of POHODA's record (by the id its answer gave)
followed by the new version; a changed invoice that POHODA booked is not sent again but reported:
a booked invoice is corrected by a credit note. A changed document POHODA never booked is simply
sent again. A cancelled (or returned) order is never sent; one cancelled after it was handed off is
withdrawn by a ``delete`` of POHODA's record.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from lxml import etree

from exchange.documents import InvoiceKind
from exchange.errors import DocumentError
from exchange.store.erp import WITHDRAWN_STATUSES, ErpState, HandoffDocument, Sent

NS = {
    "dat": "http://www.stormware.cz/schema/version_2/data.xsd",
    "ord": "http://www.stormware.cz/schema/version_2/order.xsd",
    "inv": "http://www.stormware.cz/schema/version_2/invoice.xsd",
    "typ": "http://www.stormware.cz/schema/version_2/type.xsd",
    "ftr": "http://www.stormware.cz/schema/version_2/filter.xsd",
}
ENCODINGS = {"utf-8": "UTF-8", "windows-1250": "Windows-1250"}
_Q: dict[str, str] = {}


def q(name: str) -> str:
    """``ord:text`` → ``{namespace}text`` (memoised)."""
    found = _Q.get(name)
    if found is None:
        prefix, local = name.split(":")
        found = _Q[name] = f"{{{NS[prefix]}}}{local}"
    return found


# Czech VAT rates by name: 15 % and 10 % were the low and third rates until 2023; 12 % since 2024.
_CZ_2024 = date(2024, 1, 1)


_RATE_NAMES: dict[tuple[Decimal | None, bool], str] = {}


def vat_rate_name(rate: Decimal | None, on: date) -> str:
    """POHODA's name of a Czech VAT rate on a date (memoised; see :func:`_vat_rate_name`)."""
    key = (rate, on >= _CZ_2024)
    found = _RATE_NAMES.get(key)
    if found is None:
        found = _RATE_NAMES[key] = _vat_rate_name(rate, on)
    return found


def _vat_rate_name(rate: Decimal | None, on: date) -> str:
    """POHODA's name of a Czech VAT rate on a date (``high``, ``low``, ``third``, ``none``).

    Raises:
        DocumentError: a rate that has no name on that date.
    """
    if rate is None or rate == 0:
        return "none"
    names = ({Decimal(21): "high", Decimal(12): "low"} if on >= _CZ_2024 else
             {Decimal(21): "high", Decimal(15): "low", Decimal(10): "third"})
    name = names.get(rate.normalize())
    if name is None:
        raise DocumentError(f"VAT rate {_num(rate)} % has no POHODA name on {on.isoformat()} "
                            f"(known: {', '.join(f'{_num(k)} % {v}' for k, v in names.items())})",
                            field="vat_rate")
    return name


_PAYMENT_WORDS = (("delivery", ("dobír", "dobir", "cod", "cash_on_delivery", "on delivery",
                                "na dobírku")),
                  ("creditcard", ("card", "kart", "gopay", "stripe", "paypal", "comgate")),
                  ("cash", ("cash", "hotov", "osobní", "pokladn")),
                  ("draft", ("transfer", "převod", "prevod", "bank", "účet", "ucet", "qr")))


@lru_cache(maxsize=1024)
def payment_type(code: str, name: str) -> str:
    """POHODA's payment type for a shop's payment method (bank transfer when nothing fits)."""
    text = f"{code} {name}".lower()
    for kind, words in _PAYMENT_WORDS:
        if any(w in text for w in words):
            return kind
    return "draft"


def _num(value: Decimal | Any) -> str:
    text = str(value)
    if "E" in text or "e" in text:  # Decimal's scientific form: xsd:double takes it, people less
        text = format(Decimal(text).normalize(), "f")
    if "." in text:  # PostgreSQL gives NUMERIC(21, 6): 27.680000 is 27.68
        text = text.rstrip("0").rstrip(".")
    return text if text not in ("", "-", "-0") else "0"


def _cut(value: Any, length: int) -> str:
    text = "" if value is None else str(value).strip()
    return text[:length]


@dataclass(frozen=True)
class PackSettings:
    """How a pack is written."""

    ico: str = ""  # the accounting unit's company id (POHODA checks it when given)
    application: str = "exchange"
    encoding: str = "utf-8"
    home_currency: str = "CZK"
    timezone: str = "Europe/Prague"
    link_stock: bool = False  # product lines linked to POHODA's stock cards by code

    def zone(self) -> ZoneInfo:
        """The time zone dates are given in."""
        return ZoneInfo(self.timezone)


@dataclass
class PackItem:
    """A document's dataPackItem elements (a delete first, for a changed booked order)."""

    sent: Sent
    elements: list[Any]


@dataclass
class PackOutcome:
    """What a pack holds and what was left out (with the reason)."""

    sent: list[Sent] = field(default_factory=list)
    left_out: list[tuple[str, str]] = field(default_factory=list)  # (document, reason)
    updates: int = 0  # changed documents sent again


def _sub(parent: Any, name: str, text: Any = None) -> Any:
    el = etree.SubElement(parent, q(name))
    if text is not None:
        el.text = text
    return el


def _opt(parent: Any, name: str, text: str) -> None:
    if text:
        etree.SubElement(parent, q(name)).text = text


_ADDRESS_FIELDS = (("typ:company", "company", 255), ("typ:name", "name", 64),
                   ("typ:city", "city", 45))


def _address(parent: Any, name: str, addr: dict[str, Any], ids: dict[str, str] | None) -> None:
    """A typ:addressType (``ids``: ico, dic, email, phone for the partner) or shipToAddressType."""
    sub = etree.SubElement
    el = sub(parent, q(name))
    for tag, key, length in _ADDRESS_FIELDS:
        value = addr.get(key)
        if value:
            sub(el, q(tag)).text = value.strip()[:length]
    street, house = addr.get("street") or "", addr.get("house_number") or ""
    if street or house:
        sub(el, q("typ:street")).text = f"{street} {house}".strip()[:64]
    postcode = addr.get("postcode")
    if postcode:
        sub(el, q("typ:zip")).text = postcode.strip()[:15]
    if ids is not None:
        if ids["ico"]:
            sub(el, q("typ:ico")).text = ids["ico"].strip()[:15]
        if ids["dic"]:
            sub(el, q("typ:dic")).text = ids["dic"].strip()[:18]
    country = addr.get("country")
    if country:
        sub(sub(el, q("typ:country")), q("typ:ids")).text = country.strip()[:19]
    if ids is not None:
        if ids["phone"]:
            sub(el, q("typ:phone")).text = ids["phone"].strip()[:40]
        if ids["email"]:
            sub(el, q("typ:email")).text = ids["email"].strip()[:98]


def _partner(parent: Any, name: str, billing: dict[str, Any], ids: dict[str, str],
             delivery: dict[str, Any] | None) -> None:
    el = _sub(parent, name)
    _address(el, "typ:address", billing, ids)
    if delivery and any(delivery.get(k) for k in ("name", "company", "street", "city")):
        _address(el, "typ:shipToAddress", delivery, None)


def _customer_ids(row: dict[str, Any]) -> dict[str, str]:
    return {"ico": row.get("c_company_id") or "", "dic": row.get("c_vat_id") or "",
            "email": row.get("c_email") or "", "phone": row.get("c_phone") or ""}


def _customer_address(row: dict[str, Any]) -> dict[str, Any]:
    return {"name": row.get("c_name"), "company": row.get("c_company"),
            "street": row.get("c_street"), "house_number": row.get("c_house_number"),
            "city": row.get("c_city"), "postcode": row.get("c_postcode"),
            "country": row.get("c_country")}


def _local_date(value: datetime | date, zone: ZoneInfo) -> str:
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(zone).date().isoformat()
    return value.isoformat()


_WHAT = {"receipt": "Účtenka", "credit_note": "Dobropis"}


class _Builder:
    """Builds the item elements of one kind of document."""

    def __init__(self, settings: PackSettings) -> None:
        self.settings = settings
        self.zone = settings.zone()

    def foreign(self, row: dict[str, Any]) -> bool:
        return bool(row["currency"]) and row["currency"] != self.settings.home_currency

    def items(self, parent: Any, prefix: str, row: dict[str, Any],
              lines: Sequence[Mapping[str, Any]], on: date) -> None:
        """The document's items (the hot loop: element names resolved once per document)."""
        foreign = self.foreign(row)
        include_vat = bool(row["prices_include_vat"])
        sub = etree.SubElement
        t_item = q(f"{prefix}:{'orderItem' if prefix == 'ord' else 'invoiceItem'}")
        t_text, t_qty, t_unit = q(f"{prefix}:text"), q(f"{prefix}:quantity"), q(f"{prefix}:unit")
        t_pay, t_rate = q(f"{prefix}:payVAT"), q(f"{prefix}:rateVAT")
        t_disc = q(f"{prefix}:discountPercentage")
        t_money = q(f"{prefix}:{'foreignCurrency' if foreign else 'homeCurrency'}")
        t_price = q("typ:unitPrice")
        pay = "true" if include_vat else "false"
        price_key = "unit_price_gross" if include_vat else "unit_price_net"
        for ln in lines:
            item = sub(parent, t_item)
            name = ln["name"] or ""
            variant = ln.get("variant")
            sub(item, t_text).text = (f"{name} {variant}" if variant else name).strip()[:90]
            sub(item, t_qty).text = _num(ln["quantity"])
            if ln.get("unit"):
                sub(item, t_unit).text = ln["unit"].strip()[:10]
            price = ln.get(price_key)
            if price is None:
                price = ln["unit_price"]
            sub(item, t_pay).text = pay
            sub(item, t_rate).text = vat_rate_name(ln["vat_rate"], on)
            if ln["discount_percent"]:
                sub(item, t_disc).text = _num(ln["discount_percent"])
            sub(sub(item, t_money), t_price).text = _num(price)
            if self.settings.link_stock and ln["kind"] == "product" and ln.get("code"):
                stock = _sub(_sub(item, f"{prefix}:stockItem"), "typ:stockItem")
                _sub(stock, "typ:ids", _cut(ln["code"], 64))

    def summary(self, parent: Any, prefix: str, row: dict[str, Any], on: date,
                without_items: bool) -> None:
        """The summary; a document without items states its sums here (POHODA's way)."""
        el = _sub(parent, f"{prefix}:{'orderSummary' if prefix == 'ord' else 'invoiceSummary'}")
        rounding = row.get("rounding")
        _sub(el, f"{prefix}:roundingDocument", "math2one" if rounding else "none")
        foreign = self.foreign(row)
        if without_items and not foreign and row.get("vat_breakdown"):
            home = _sub(el, f"{prefix}:homeCurrency")
            for band in row["vat_breakdown"]:
                rate = Decimal(str(band["rate"]))
                name = {"none": "priceNone", "low": "priceLow", "high": "priceHigh",
                        "third": "price3"}[vat_rate_name(rate, on)]
                _sub(home, f"typ:{name}", _num(band["net"]))
                if name != "priceNone":
                    _sub(home, f"typ:{name}VAT", _num(band["vat"]))
        if foreign:
            money = _sub(el, f"{prefix}:foreignCurrency")
            _sub(_sub(money, "typ:currency"), "typ:ids", row["currency"])
            if row.get("exchange_rate"):
                _sub(money, "typ:rate", _num(row["exchange_rate"]))
                _sub(money, "typ:amount", "1")
            if without_items and row.get("total") is not None:
                _sub(money, "typ:priceSum", _num(row["total"]))

    def order(self, item: Any, doc: HandoffDocument) -> None:
        row = doc.row
        root = etree.SubElement(item, q("ord:order"), version="2.0")
        head = _sub(root, "ord:orderHeader")
        _sub(head, "ord:orderType", "receivedOrder")
        _sub(head, "ord:numberOrder", _cut(row["number"], 32))
        on = row["ordered_at"]
        _sub(head, "ord:date", _local_date(on, self.zone))
        _sub(head, "ord:text", _cut(f"Objednávka {row['number']} ({row['shop']})", 240))
        billing = row.get("billing_address") or _customer_address(row)
        if not any(billing.get(k) for k in ("name", "company", "city")):
            billing = _customer_address(row)
        _partner(head, "ord:partnerIdentity", billing, _customer_ids(row),
                 row.get("delivery_address"))
        _sub(_sub(head, "ord:paymentType"), "typ:paymentType",
             payment_type(row.get("payment_code") or "", row.get("payment_method") or ""))
        if row.get("note"):
            _sub(head, "ord:note", row["note"])
        _sub(head, "ord:intNote", f"exchange: {row['shop']}/{row['external_id']}")
        on_date = on.date() if isinstance(on, datetime) else on
        if doc.lines:
            self.items(_sub(root, "ord:orderDetail"), "ord", row, doc.lines, on_date)
        self.summary(root, "ord", row, on_date, not doc.lines)

    def order_delete(self, item: Any, erp_id: str) -> None:
        root = etree.SubElement(item, q("ord:order"), version="2.0")
        delete = _sub(_sub(root, "ord:actionType"), "ord:delete")
        condition = _sub(delete, "ftr:filter")
        condition.set("agenda", "prijate_objednavky")
        _sub(condition, "ftr:id", erp_id)

    def invoice(self, item: Any, doc: HandoffDocument) -> None:
        row = doc.row
        sub = etree.SubElement
        root = sub(item, q("inv:invoice"), version="2.0")
        head = sub(root, q("inv:invoiceHeader"))
        kind = row["kind"]
        sub(head, q("inv:invoiceType")).text = (
            "issuedCreditNotice" if kind == InvoiceKind.CREDIT_NOTE.value else "issuedInvoice")
        number = row["number"]
        sub(sub(head, q("inv:number")), q("typ:numberRequested")).text = number.strip()[:32]
        symbol = row.get("variable_symbol")
        if symbol:
            sub(head, q("inv:symVar")).text = symbol.strip()[:20]
        issued: date = row["issued_on"]
        sub(head, q("inv:date")).text = issued.isoformat()
        sub(head, q("inv:dateTax")).text = (row.get("tax_date") or issued).isoformat()
        if row.get("due_on"):
            sub(head, q("inv:dateDue")).text = row["due_on"].isoformat()
        what = _WHAT.get(kind, "Faktura")
        sub(head, q("inv:text")).text = f"{what} {number}"[:240]
        _partner(head, "inv:partnerIdentity", _customer_address(row), _customer_ids(row),
                 row.get("delivery_address"))
        order_number = row.get("order_number")
        if order_number:
            sub(head, q("inv:numberOrder")).text = order_number.strip()[:32]
        sub(sub(head, q("inv:paymentType")), q("typ:paymentType")).text = payment_type(
            row.get("payment_code") or "", row.get("payment_method") or "")
        if row.get("note"):
            sub(head, q("inv:note")).text = row["note"]
        sub(head, q("inv:intNote")).text = f"exchange: {row['shop']}/{row['external_id']}"
        on = row.get("tax_date") or issued
        if doc.lines:
            self.items(_sub(root, "inv:invoiceDetail"), "inv", row, doc.lines, on)
        self.summary(root, "inv", row, on, not doc.lines)


def pack_items(documents: Iterable[HandoffDocument], settings: PackSettings,
               outcome: PackOutcome, output: str) -> Iterator[Any]:
    """The dataPackItem elements of the documents; the left-out ones go into ``outcome``."""
    builder = _Builder(settings)
    for doc in documents:
        row, prev = doc.row, doc.previous
        name = f"{doc.kind}:{row['shop']}:{row['number']}"
        booked = prev is not None and prev.erp_state in (ErpState.BOOKED, ErpState.WARNING)
        if doc.kind == "invoices" and booked and prev is not None:
            outcome.left_out.append((name, f"changed after POHODA booked it as "
                                           f"{prev.erp_number or prev.erp_id}: POHODA's XML "
                                           f"import cannot update an invoice; issue a credit note"))
            continue
        tag = f"{'O' if doc.kind == 'orders' else 'I'}{row['id']}-{row['content_hash'][:12]}"
        if doc.kind == "orders" and row.get("status") in WITHDRAWN_STATUSES:
            # cancelled after it was handed off: POHODA's record is deleted, nothing added
            if booked and prev is not None and prev.erp_id:
                delete = _item(f"D{row['id']}-{row['content_hash'][:12]}")
                builder.order_delete(delete, prev.erp_id)
                outcome.updates += 1
                outcome.sent.append(Sent(doc.kind, int(row["id"]), row["content_hash"],
                                         delete.get("id"), output))
                yield delete
            else:
                outcome.left_out.append((name, f"{row['status']} after it was handed off, and "
                                               f"POHODA has not booked it (no id to delete): "
                                               f"withdraw it in POHODA by hand"))
            continue
        item = _item(tag)
        try:
            if doc.kind == "orders":
                builder.order(item, doc)
            else:
                builder.invoice(item, doc)
        except DocumentError as exc:
            outcome.left_out.append((name, exc.message))
            continue
        if doc.kind == "orders" and booked and prev is not None and prev.erp_id:
            delete = _item(f"D{row['id']}-{row['content_hash'][:12]}")
            builder.order_delete(delete, prev.erp_id)
            yield delete
        if prev is not None:
            outcome.updates += 1
        outcome.sent.append(Sent(doc.kind, int(row["id"]), row["content_hash"], tag, output))
        yield item


def _item(tag: str) -> Any:
    return etree.Element(q("dat:dataPackItem"), id=tag, version="2.0", nsmap=NS)


def pack_attributes(pack_id: str, settings: PackSettings, note: str) -> dict[str, str]:
    """The dataPack's attributes."""
    attrs = {"id": pack_id, "application": settings.application, "version": "2.0", "note": note}
    if settings.ico:
        attrs["ico"] = settings.ico
    return attrs


FIRST_ITEM_LINE = 3  # the prolog, then the dataPack's start tag, then one item per line


@dataclass
class ItemCheck:
    """Validates each item under a copy of the pack's root before it is written; the first failure."""

    schema: Any
    attrs: dict[str, str]
    failure: tuple[int, str] | None = None

    def items(self, items: Iterable[Any]) -> Iterator[Any]:
        """The items, each validated; the first invalid one is still written (then no more)."""
        tag = q("dat:dataPack")
        for n, item in enumerate(items):
            wrapper = etree.Element(tag, self.attrs, nsmap=NS)
            wrapper.append(item)
            if not self.schema.validate(wrapper):
                # its line, as long as no earlier text holds a line break
                self.failure = (FIRST_ITEM_LINE + n, f"dataPackItem {item.get('id')}: "
                                                     f"{self.schema.error_log[0].message}")
                yield item
                return
            yield item


def write_pack(target: Any, items: Iterable[Any], *, attrs: dict[str, str], settings: PackSettings,
               on_item: Callable[[], None] | None = None) -> int:
    """Stream a dataPack of ``items`` into ``target`` (a path or binary file); returns the count."""
    count = 0
    with etree.xmlfile(target, encoding=ENCODINGS[settings.encoding]) as xf:
        xf.write_declaration()
        with xf.element(q("dat:dataPack"), attrs, nsmap=NS):
            xf.write("\n")
            for item in items:
                xf.write(item)
                xf.write("\n")
                count += 1
                if on_item is not None:
                    on_item()
    return count
