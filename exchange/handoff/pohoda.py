"""POHODA dataPack out: received orders (``ord:order``) and issued invoices (``inv:invoice``).

Each document becomes one ``dat:dataPackItem``: its XML text is built from the store's exact text
(:func:`exchange.store.erp.documents_as_text`), parsed back and validated by the official XSDs
(:class:`ItemCheck`), then written, one item per line, so a pack of 100,000 invoices is written in
flat memory and no byte of it goes out unchecked. Texts are cut to the schema's lengths. Receipts
go as issued invoices (``issuedInvoice``, text "Účtenka …"), or, with ``receipts="sales_receipt"``
(``handoff: pohoda_receipts``), as POHODA's sales receipts (``pro:prodejka``, ``saleVoucher``) in its
cash-register agenda; a sales receipt has no foreign currency, so a foreign one is left out.

POHODA's XML import creates invoices but never updates them (order.xsd keeps only ``add`` and
``delete``; its ``update`` is commented out, and invoice.xsd has no action at all). So a changed
order that POHODA booked is sent as a ``delete`` of POHODA's record (by the id its answer gave)
followed by the new version; a changed invoice that POHODA booked is not sent again but reported:
a booked invoice is corrected by a credit note. A changed document POHODA never booked is simply
sent again. A cancelled (or returned) order is never sent; one cancelled after it was handed off is
withdrawn by a ``delete`` of POHODA's record.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
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
    "pro": "http://www.stormware.cz/schema/version_2/prodejka.xsd",
}
ENCODINGS = {"utf-8": "UTF-8", "windows-1250": "Windows-1250"}
SALES_RECEIPT = "sales_receipt"  # PackSettings.receipts: receipts as pro:prodejka
_Q: dict[str, str] = {}


def q(name: str) -> str:
    """``ord:text`` → ``{namespace}text`` (memoised)."""
    found = _Q.get(name)
    if found is None:
        prefix, local = name.split(":")
        found = _Q[name] = f"{{{NS[prefix]}}}{local}"
    return found


# Czech VAT rates by name: 15 % and 10 % were the low and third rates until 2023; 12 % since 2024.
_CZ_2024 = "2024-01-01"
_RATE_NAMES: dict[tuple[str | None, bool], str] = {}


def vat_rate_name(rate: str | None, on: str) -> str:
    """POHODA's name of a Czech VAT rate (as stored: exact text) on an ISO date (memoised)."""
    key = (rate, on >= _CZ_2024)
    found = _RATE_NAMES.get(key)
    if found is None:
        found = _RATE_NAMES[key] = _vat_rate_name(None if rate is None else Decimal(rate), on)
    return found


def _vat_rate_name(rate: Decimal | None, on: str) -> str:
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
        raise DocumentError(f"VAT rate {_num(rate)} % has no POHODA name on {on} "
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
    receipts: str = "invoice"  # config.PohodaReceipts: invoice | sales_receipt (pro:prodejka)

    def zone(self) -> ZoneInfo:
        """The time zone dates are given in."""
        return ZoneInfo(self.timezone)


class SentLog:
    """What a pack holds, spooled to a temporary file: memory stays flat however many documents
    a pack carries, until the whole pack validated and was written and it is recorded at once."""

    def __init__(self) -> None:
        # lives as long as the log: closed by close(), or leaving ``with SentLog() as log``
        self._spool = tempfile.TemporaryFile("w+", encoding="utf-8", newline="\n")  # noqa: SIM115
        self._names: dict[tuple[str, str], int] = {}  # (kind, output) → its number in the spool
        self._count = 0

    def append(self, sent: Sent) -> None:
        """Spool one more.

        Raises:
            ValueError: a hash or item id holding a tab or a line break (ours never do).
        """
        key = (sent.kind, sent.output)
        number = self._names.setdefault(key, len(self._names))
        line = f"{number}\t{sent.document_id}\t{sent.content_hash}\t{sent.pack_item}\n"
        if line.count("\t") != 3 or line.count("\n") != 1:
            raise ValueError(f"cannot spool {sent!r}")
        self._spool.write(line)
        self._count += 1

    def __len__(self) -> int:
        return self._count

    def __iter__(self) -> Iterator[Sent]:
        names = {number: key for key, number in self._names.items()}
        self._spool.seek(0)
        for line in self._spool:
            number, doc_id, content_hash, item = line.rstrip("\n").split("\t")
            kind, output = names[int(number)]
            yield Sent(kind, int(doc_id), content_hash, item, output)
        self._spool.seek(0, 2)

    def close(self) -> None:
        """Drop the spool."""
        self._spool.close()

    def __enter__(self) -> SentLog:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


@dataclass
class PackOutcome:
    """What a pack holds and what was left out (with the reason)."""

    sent: SentLog  # open: the caller closes it
    left_out: list[tuple[str, str]] = field(default_factory=list)  # (document, reason)
    updates: int = 0  # changed documents sent again


# -- building: a document → its dataPackItem as XML text --------------------------------------
# Items are written as text (an lxml element per value costs more than the rest of the handoff);
# what makes that safe is the check below: every item is parsed back and validated by the official
# XSDs before a byte of it is written.

_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", "\r": "&#13;"})
_ATTR_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", '"': "&quot;", "\r": "&#13;",
                               "\n": "&#10;", "\t": "&#9;"})
_SPECIAL = re.compile("[&<>\r]").search


def _x(text: str) -> str:
    """Text content escaped as lxml writes it (a stray control character fails the check)."""
    return text.translate(_ESCAPES) if _SPECIAL(text) else text


def _el(tag: str, text: str) -> str:
    return f"<{tag}>{_x(text)}</{tag}>"


def _nonzero(value: Any) -> bool:
    """A stored amount (exact text, or a JSON number) that is there and not zero."""
    return value is not None and _num(value) != "0"


_XMLNS = " ".join(f'xmlns:{prefix}="{uri}"' for prefix, uri in NS.items())


def _address(out: list[str], tag: str, addr: dict[str, Any], ids: dict[str, str] | None) -> None:
    """A typ:addressType (``ids``: ico, dic, email, phone for the partner) or shipToAddressType."""
    add = out.append
    add(f"<{tag}>")
    for name, key, length in _ADDRESS_FIELDS:
        value = addr.get(key)
        if value:
            add(f"<{name}>{_x(value.strip()[:length])}</{name}>")
    street, house = addr.get("street") or "", addr.get("house_number") or ""
    if street or house:
        add(_el("typ:street", f"{street} {house}".strip()[:64]))
    postcode = addr.get("postcode")
    if postcode:
        add(_el("typ:zip", postcode.strip()[:15]))
    if ids is not None:
        if ids["ico"]:
            add(_el("typ:ico", ids["ico"].strip()[:15]))
        if ids["dic"]:
            add(_el("typ:dic", ids["dic"].strip()[:18]))
    country = addr.get("country")
    if country:
        add(f"<typ:country><typ:ids>{_x(country.strip()[:19])}</typ:ids></typ:country>")
    if ids is not None:
        if ids["phone"]:
            add(_el("typ:phone", ids["phone"].strip()[:40]))
        if ids["email"]:
            add(_el("typ:email", ids["email"].strip()[:98]))
    add(f"</{tag}>")


_ADDRESS_FIELDS = (("typ:company", "company", 255), ("typ:name", "name", 64),
                   ("typ:city", "city", 45))


def _partner(out: list[str], tag: str, billing: dict[str, Any], ids: dict[str, str],
             delivery: dict[str, Any] | None) -> None:
    out.append(f"<{tag}>")
    _address(out, "typ:address", billing, ids)
    if delivery and any(delivery.get(k) for k in ("name", "company", "street", "city")):
        _address(out, "typ:shipToAddress", delivery, None)
    out.append(f"</{tag}>")


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
_ITEM = {"ord": "orderItem", "inv": "invoiceItem", "pro": "prodejkaItem"}
_AGENDA = {"ord": ("order", "orderHeader", "orderDetail"),  # (root, header, detail) by prefix
           "inv": ("invoice", "invoiceHeader", "invoiceDetail"),
           "pro": ("prodejka", "prodejkaHeader", "prodejkaDetail")}
_SUMMARY = {"ord": "orderSummary", "inv": "invoiceSummary", "pro": "prodejkaSummary"}
_BAND_PRICE = {"none": "priceNone", "low": "priceLow", "high": "priceHigh", "third": "price3"}


class _Builder:
    """Builds the dataPackItem text of one kind of document from :func:`documents_as_text` rows."""

    def __init__(self, settings: PackSettings) -> None:
        self.settings = settings
        self.zone = settings.zone()

    def foreign(self, row: dict[str, Any]) -> bool:
        return bool(row["currency"]) and row["currency"] != self.settings.home_currency

    def items(self, out: list[str], p: str, row: dict[str, Any], lines: Sequence[Any],
              on: str) -> None:
        """The document's items (the hot loop: tags made once per document)."""
        add = out.append
        foreign = self.foreign(row)
        include_vat = bool(row["prices_include_vat"])
        item_tag = f"{p}:{_ITEM[p]}"
        item_open, item_close = f"<{item_tag}><{p}:text>", f"</{item_tag}>"
        money = f"{p}:{'foreignCurrency' if foreign else 'homeCurrency'}"
        pay = f"<{p}:payVAT>{'true' if include_vat else 'false'}</{p}:payVAT><{p}:rateVAT>"
        link_stock = self.settings.link_stock
        for (name, variant, quantity, unit, unit_price, gross, net, vat_rate, discount, kind,
             code) in lines:
            name = name or ""
            text = (f"{name} {variant}" if variant else name).strip()[:90]
            add(f"{item_open}{_x(text)}</{p}:text><{p}:quantity>{_num(quantity)}</{p}:quantity>")
            if unit:
                add(f"<{p}:unit>{_x(unit.strip()[:10])}</{p}:unit>")
            price = gross if include_vat else net
            if price is None:
                price = unit_price
            add(f"{pay}{vat_rate_name(vat_rate, on)}</{p}:rateVAT>")
            if discount is not None and _num(discount) != "0":
                add(f"<{p}:discountPercentage>{_num(discount)}</{p}:discountPercentage>")
            add(f"<{money}><typ:unitPrice>{_num(price)}</typ:unitPrice></{money}>")
            if link_stock and kind == "product" and code:
                add(f"<{p}:stockItem><typ:stockItem>{_el('typ:ids', _cut(code, 64))}"
                    f"</typ:stockItem></{p}:stockItem>")
            add(item_close)

    def summary(self, out: list[str], p: str, row: dict[str, Any], on: str,
                without_items: bool) -> None:
        """The summary; a document without items states its sums here (POHODA's way)."""
        add = out.append
        tag = f"{p}:{_SUMMARY[p]}"
        rounding = "math2one" if _nonzero(row.get("rounding")) else "none"
        add(f"<{tag}><{p}:roundingDocument>{rounding}</{p}:roundingDocument>")
        foreign = self.foreign(row)
        if without_items and not foreign and row.get("vat_breakdown"):
            add(f"<{p}:homeCurrency>")
            for band in row["vat_breakdown"]:
                name = _BAND_PRICE[vat_rate_name(str(band["rate"]), on)]
                add(_el(f"typ:{name}", _num(band["net"])))
                if name != "priceNone":
                    add(_el(f"typ:{name}VAT", _num(band["vat"])))
            add(f"</{p}:homeCurrency>")
        if foreign:
            add(f"<{p}:foreignCurrency><typ:currency>{_el('typ:ids', row['currency'])}"
                f"</typ:currency>")
            if _nonzero(row.get("exchange_rate")):
                add(f"<typ:rate>{_num(row['exchange_rate'])}</typ:rate><typ:amount>1</typ:amount>")
            if without_items and row.get("total") is not None:
                add(_el("typ:priceSum", _num(row["total"])))
            add(f"</{p}:foreignCurrency>")
        add(f"</{tag}>")

    def rest(self, out: list[str], p: str, doc: HandoffDocument, on: str) -> None:
        """The header's end (payment type, notes), the items and the summary, and the end tag."""
        row = doc.row
        add = out.append
        root, header, detail = _AGENDA[p]
        pay = payment_type(row.get("payment_code") or "", row.get("payment_method") or "")
        add(f"<{p}:paymentType><typ:paymentType>{pay}</typ:paymentType></{p}:paymentType>")
        if row.get("note"):
            add(_el(f"{p}:note", row["note"]))
        add(_el(f"{p}:intNote", f"exchange: {row['shop']}/{row['external_id']}"))
        add(f"</{p}:{header}>")
        if doc.lines:
            add(f"<{p}:{detail}>")
            self.items(out, p, row, doc.lines, on)
            add(f"</{p}:{detail}>")
        self.summary(out, p, row, on, not doc.lines)
        add(f"</{p}:{root}>")

    def order(self, out: list[str], doc: HandoffDocument) -> None:
        row = doc.row
        add = out.append
        on = _local_date(row["ordered_at"], self.zone)
        add('<ord:order version="2.0"><ord:orderHeader><ord:orderType>receivedOrder'
            '</ord:orderType>')
        add(_el("ord:numberOrder", _cut(row["number"], 32)))
        add(_el("ord:date", on))
        add(_el("ord:text", _cut(f"Objednávka {row['number']} ({row['shop']})", 240)))
        billing = row.get("billing_address") or _customer_address(row)
        if not any(billing.get(k) for k in ("name", "company", "city")):
            billing = _customer_address(row)
        _partner(out, "ord:partnerIdentity", billing, _customer_ids(row),
                 row.get("delivery_address"))
        self.rest(out, "ord", doc, on)

    def sales_receipt(self, out: list[str], doc: HandoffDocument) -> None:
        """A receipt as POHODA's sales receipt (prodejka): no tax date, due date, order number or
        foreign currency there.

        Raises:
            DocumentError: a receipt in a foreign currency.
        """
        row = doc.row
        if self.foreign(row):
            raise DocumentError(f"a {row['currency']} receipt cannot be a POHODA sales receipt "
                                f"(home currency only): hand receipts off as invoices "
                                f"(handoff: pohoda_receipts: invoice), or book it by hand",
                                field="currency")
        add = out.append
        number = row["number"]
        on = row.get("tax_date") or row["issued_on"]
        add(f'<pro:prodejka version="2.0"><pro:prodejkaHeader><pro:prodejkaType>saleVoucher'
            f'</pro:prodejkaType><pro:number><typ:numberRequested>{_x(number.strip()[:32])}'
            f'</typ:numberRequested></pro:number><pro:date>{row["issued_on"]}</pro:date>')
        add(_el("pro:text", f"{_WHAT['receipt']} {number}"[:240]))
        _partner(out, "pro:partnerIdentity", _customer_address(row), _customer_ids(row),
                 row.get("delivery_address"))
        self.rest(out, "pro", doc, on)

    @staticmethod
    def order_delete(out: list[str], erp_id: str) -> None:
        out.append(f'<ord:order version="2.0"><ord:actionType><ord:delete>'
                   f'<ftr:filter agenda="prijate_objednavky">{_el("ftr:id", erp_id)}</ftr:filter>'
                   f'</ord:delete></ord:actionType></ord:order>')

    def invoice(self, out: list[str], doc: HandoffDocument) -> None:
        row = doc.row
        add = out.append
        kind = row["kind"]
        number = row["number"]
        issued: str = row["issued_on"]
        invoice_type = ("issuedCreditNotice" if kind == InvoiceKind.CREDIT_NOTE.value
                        else "issuedInvoice")
        add(f'<inv:invoice version="2.0"><inv:invoiceHeader><inv:invoiceType>{invoice_type}'
            f'</inv:invoiceType><inv:number><typ:numberRequested>{_x(number.strip()[:32])}'
            f'</typ:numberRequested></inv:number>')
        symbol = row.get("variable_symbol")
        if symbol:
            add(_el("inv:symVar", symbol.strip()[:20]))
        on = row.get("tax_date") or issued
        add(f"<inv:date>{issued}</inv:date><inv:dateTax>{on}</inv:dateTax>")
        if row.get("due_on"):
            add(f"<inv:dateDue>{row['due_on']}</inv:dateDue>")
        add(_el("inv:text", f"{_WHAT.get(kind, 'Faktura')} {number}"[:240]))
        _partner(out, "inv:partnerIdentity", _customer_address(row), _customer_ids(row),
                 row.get("delivery_address"))
        order_number = row.get("order_number")
        if order_number:
            add(_el("inv:numberOrder", order_number.strip()[:32]))
        self.rest(out, "inv", doc, on)


def pack_items(documents: Iterable[HandoffDocument], settings: PackSettings,
               outcome: PackOutcome, output: str) -> Iterator[tuple[str, str]]:
    """(id, XML text) of each dataPackItem of the documents (rows of :func:`documents_as_text`);
    the left-out ones go into ``outcome``."""
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
        delete_tag = f"D{row['id']}-{row['content_hash'][:12]}"
        if doc.kind == "orders" and row.get("status") in WITHDRAWN_STATUSES:
            # cancelled after it was handed off: POHODA's record is deleted, nothing added
            if booked and prev is not None and prev.erp_id:
                out: list[str] = []
                builder.order_delete(out, prev.erp_id)
                outcome.updates += 1
                outcome.sent.append(Sent(doc.kind, int(row["id"]), row["content_hash"],
                                         delete_tag, output))
                yield delete_tag, _item(delete_tag, out)
            else:
                outcome.left_out.append((name, f"{row['status']} after it was handed off, and "
                                               f"POHODA has not booked it (no id to delete): "
                                               f"withdraw it in POHODA by hand"))
            continue
        out = []
        try:
            if doc.kind == "orders":
                builder.order(out, doc)
            elif row["kind"] == InvoiceKind.RECEIPT.value and settings.receipts == SALES_RECEIPT:
                builder.sales_receipt(out, doc)
            else:
                builder.invoice(out, doc)
        except DocumentError as exc:
            outcome.left_out.append((name, exc.message))
            continue
        if doc.kind == "orders" and booked and prev is not None and prev.erp_id:
            delete: list[str] = []
            builder.order_delete(delete, prev.erp_id)
            yield delete_tag, _item(delete_tag, delete)
        if prev is not None:
            outcome.updates += 1
        outcome.sent.append(Sent(doc.kind, int(row["id"]), row["content_hash"], tag, output))
        yield tag, _item(tag, out)


def _item(tag: str, body: list[str]) -> str:
    """One dataPackItem with the namespaces declared on it (so it parses alone, for the check)."""
    return f'<dat:dataPackItem {_XMLNS} id="{_attr(tag)}" version="2.0">{"".join(body)}' \
           f'</dat:dataPackItem>'


def _attr(value: str) -> str:
    return value.translate(_ATTR_ESCAPES)


def pack_attributes(pack_id: str, settings: PackSettings, note: str) -> dict[str, str]:
    """The dataPack's attributes."""
    attrs = {"id": pack_id, "application": settings.application, "version": "2.0", "note": note}
    if settings.ico:
        attrs["ico"] = settings.ico
    return attrs


def _codec(settings: PackSettings) -> str:
    return ENCODINGS[settings.encoding]


def _pack_start(attrs: dict[str, str], settings: PackSettings) -> bytes:
    """The prolog and the dataPack's start tag, each on its own line."""
    values = " ".join(f'{k}="{_attr(v)}"' for k, v in attrs.items())
    return (f"<?xml version='1.0' encoding='{_codec(settings)}'?>\n"
            f"<dat:dataPack {_XMLNS} {values}>\n").encode(_codec(settings), "xmlcharrefreplace")


_PACK_END = b"</dat:dataPack>"
PACK_LINE = 2  # the prolog, then the dataPack's start tag,
FIRST_ITEM_LINE = 3  # then one item per line


# -- checking: each item parsed back and validated before it is written --------------------------

@dataclass
class ItemCheck:
    """Validates each item by the official XSDs before it is written; keeps the first failure.

    The first item is validated inside the pack's own root (which checks the root too) by the
    official schema; the others alone, each parsed with ``item_schema`` (the same XSDs with
    ``dataPackItem`` declared at the top: its content model is the official one, untouched), so no
    wrapper is built and no element moved per item. ``failure`` is (line in the file, message).
    """

    schema: Any
    item_schema: Any
    attrs: dict[str, str]
    settings: PackSettings = field(default_factory=PackSettings)
    failure: tuple[int, str] | None = None

    def items(self, items: Iterable[tuple[str, str]]) -> Iterator[bytes]:
        """The items encoded for the pack, each validated; the first invalid one is still written
        (then no more), so that ``FILE.invalid`` shows it at its line."""
        codec = _codec(self.settings)
        whole, alone = (etree.XMLParser(schema=schema, encoding=codec, resolve_entities=False,
                                        no_network=True, huge_tree=True)
                        for schema in (self.schema, self.item_schema))
        line = FIRST_ITEM_LINE
        for n, (item_id, text) in enumerate(items):
            data = text.encode(codec, "xmlcharrefreplace")
            try:
                if n == 0:
                    etree.fromstring(_pack_start(self.attrs, self.settings) + data + _PACK_END,
                                     whole)
                else:
                    etree.fromstring(data, alone)
            except etree.XMLSyntaxError as exc:
                at, what = exc.lineno or 1, f"dataPackItem {item_id}"
                if n == 0:  # parsed inside the pack's root (whose own attributes it checks)
                    if (exc.msg or "").startswith(f"Element '{q('dat:dataPack')}'"):
                        what = "dataPack"
                    at = max(at - FIRST_ITEM_LINE + 1, 1)
                self.failure = (line + at - 1 if what != "dataPack" else PACK_LINE,
                                f"{what}: {exc.msg}")
                yield data
                return
            line += data.count(b"\n") + 1
            yield data


# -- writing --------------------------------------------------------------------------------------

def write_pack(target: Path, items: Iterable[bytes], *, attrs: dict[str, str],
               settings: PackSettings) -> int:
    """Stream a dataPack of encoded ``items`` into the file ``target``; returns the count."""
    count = 0
    with target.open("wb", buffering=1 << 20) as out:
        out.write(_pack_start(attrs, settings))
        for item in items:
            out.write(item)
            out.write(b"\n")
            count += 1
        out.write(_PACK_END)
    return count
