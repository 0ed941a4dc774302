"""PrestaShop orders made whole before they are imported: what an order names only by id, fetched.

A webservice order (``GET /api/orders?display=full``) carries no customer data of its own: only
``id_customer``, ``id_address_invoice``, ``id_address_delivery`` and ``id_currency``. The e-mail and
names are on the ``customer``, the addresses on ``address`` (with ``id_country``, whose ISO code is on
``country``), the currency's code on ``currency``. Imported as it is, such an order has no customer
and no address, and the currency is whatever ``import.currency`` says.

:func:`resolve_orders` reads each referenced resource once per file, up to :data:`BATCH` ids a request
(``GET /api/customers?filter[id]=[25|26]&display=full``, on the orders endpoint's host, folder and
key), and writes into each order an element the profile maps like any other::

    <exchange_resolved>
      <customer><email>…</email><name>First Last</name><company>…</company></customer>
      <billing><name/><company/><street/><city/><postcode/><country>FR</country><phone/><vat_id/></billing>
      <delivery>…</delivery>
      <currency>EUR</currency>
    </exchange_resolved>

Only values the shop holds are written. An id the shop no longer knows (a deleted address) is named
in the element's ``missing`` attribute and the order keeps what it has. The file is rewritten as a
stream to a temporary file beside it and replaced in one rename, so the import reads either the
file as it came or the file made whole, never half of it. A file that is not well-formed is left
as it is, for the import to refuse with its report; an order already resolved is not resolved again.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree

from exchange.errors import XmlSyntaxError
from exchange.importers.read.source import refuse_dtd
from exchange.profiles import DocumentKind, Profile
from exchange.profiles.models import OrdersMapping
from exchange.profiles.vocabulary import Resolver
from exchange.shopreturn.prestashop import read_listing
from exchange.sync.pull import Prepare, part_path
from exchange.transport import Endpoint, Transport, open_transport
from exchange.transport.endpoint import HTTP_SCHEMES, parse_endpoint

BATCH = 100
MARKER = "exchange_resolved"
#: an order's reference → the resource it names
ORDER_REFERENCES = {"id_customer": "customers", "id_address_invoice": "addresses",
                    "id_address_delivery": "addresses", "id_currency": "currencies"}
_RECORD = "order"
_SINGULAR = {"customers": "customer", "addresses": "address", "countries": "country",
             "currencies": "currency"}


def _parser_options() -> dict[str, object]:
    return {"resolve_entities": False, "no_network": True, "load_dtd": False,
            "huge_tree": False, "remove_comments": True, "remove_pis": True}


@dataclass
class Resolved:
    """What :func:`resolve_orders` did to one file."""

    orders: int = 0
    missing: list[str] = field(default_factory=list)  # "customer 25": ids the shop did not return
    rewritten: bool = False


# -- reading the file --------------------------------------------------------------------------
def _text(elem: etree._Element, tag: str) -> str:
    child = elem.find(tag)
    return (child.text or "").strip() if child is not None else ""


def _is_id(value: str) -> bool:
    return value.isdigit() and value != "0"


def _orders(path: Path) -> Iterator[etree._Element]:
    """The file's ``order`` elements one by one, freed after use.

    Raises:
        XmlSyntaxError: the file has a DOCTYPE (the import refuses it; see ``refuse_dtd``).
    """
    checked = False
    with path.open("rb") as fh:
        for _event, elem in etree.iterparse(fh, events=("end",), tag=_RECORD,
                                            **_parser_options()):
            if not checked:
                refuse_dtd(elem.getroottree(), str(path))
                checked = True
            yield elem
            elem.clear(keep_tail=False)
            while elem.getprevious() is not None:
                del elem.getparent()[0]


def _wanted(path: Path) -> dict[str, set[str]]:
    """The ids each resource is asked for, read in one pass over the file."""
    wanted: dict[str, set[str]] = {resource: set() for resource in ORDER_REFERENCES.values()}
    for order in _orders(path):
        if order.find(MARKER) is not None:
            continue
        for tag, resource in ORDER_REFERENCES.items():
            value = _text(order, tag)
            if _is_id(value):
                wanted[resource].add(value)
    return wanted


# -- reading the shop ---------------------------------------------------------------------------
Fetch = Callable[[str, list[str]], bytes]


def _records(listing: bytes, resource: str) -> dict[str, dict[str, str]]:
    """``id`` → the resource's simple fields, from a webservice listing."""
    parser = etree.XMLParser(**_parser_options())  # type: ignore[arg-type]
    root = etree.fromstring(listing, parser)
    found: dict[str, dict[str, str]] = {}
    for elem in root.iter(_SINGULAR[resource]):
        values = {str(c.tag): (c.text or "").strip() for c in elem
                  if isinstance(c.tag, str) and len(c) == 0}
        if values.get("id"):
            found[values["id"]] = values
    return found


def _read_all(fetch: Fetch, resource: str, ids: Iterable[str]) -> dict[str, dict[str, str]]:
    ordered = sorted(set(ids), key=int)
    found: dict[str, dict[str, str]] = {}
    for start in range(0, len(ordered), BATCH):
        found.update(_records(fetch(resource, ordered[start:start + BATCH]), resource))
    return found


def webservice_fetch(base: Endpoint, folder: Path,
                     connect: Callable[[Endpoint], Transport] = open_transport) -> Fetch:
    """Reads ``RESOURCE?filter[id]=[…]&display=full`` on ``base``'s host, folder and key.

    The orders URL's own query (its filters, ``limit``, ``display``) is the orders' and is not sent
    with the other resources.
    """
    bare = dataclasses.replace(base, query=(), options={
        k: v for k, v in base.options.items() if k != "paths"})

    def fetch(resource: str, ids: list[str]) -> bytes:
        got = part_path(folder, resource)  # a name of its own; a stale one goes with the parts
        return read_listing(bare, resource, [("filter[id]", "[" + "|".join(ids) + "]")], got,
                            connect)

    return fetch


# -- writing the file ---------------------------------------------------------------------------
def _person(record: Mapping[str, str]) -> str:
    return " ".join(p for p in (record.get("firstname", ""), record.get("lastname", "")) if p)


def _address(record: Mapping[str, str], countries: Mapping[str, Mapping[str, str]]
             ) -> dict[str, str]:
    street = ", ".join(p for p in (record.get("address1", ""), record.get("address2", "")) if p)
    country = countries.get(record.get("id_country", ""), {}).get("iso_code", "")
    return {"name": _person(record), "company": record.get("company", ""), "street": street,
            "city": record.get("city", ""), "postcode": record.get("postcode", ""),
            "country": country,
            "phone": record.get("phone", "") or record.get("phone_mobile", ""),
            "vat_id": record.get("vat_number", "")}


@dataclass(frozen=True)
class _Found:
    customers: dict[str, dict[str, str]]
    addresses: dict[str, dict[str, str]]
    countries: dict[str, dict[str, str]]
    currencies: dict[str, dict[str, str]]


def _group(parent: etree._Element, tag: str, values: Mapping[str, str]) -> None:
    kept = {k: v for k, v in values.items() if v}
    if not kept:
        return
    group = etree.SubElement(parent, tag)
    for key, value in kept.items():
        etree.SubElement(group, key).text = value


def _resolve_one(order: etree._Element, found: _Found, got: Resolved) -> None:
    resolved = etree.SubElement(order, MARKER)
    missing: list[str] = []

    def look(tag: str, table: dict[str, dict[str, str]], what: str) -> dict[str, str] | None:
        value = _text(order, tag)
        if not _is_id(value):
            return None
        record = table.get(value)
        if record is None:
            missing.append(f"{what} {value}")
        return record

    customer = look("id_customer", found.customers, "customer")
    if customer is not None:
        _group(resolved, "customer", {"email": customer.get("email", ""),
                                      "name": _person(customer),
                                      "company": customer.get("company", "")})
    for tag, group in (("id_address_invoice", "billing"), ("id_address_delivery", "delivery")):
        address = look(tag, found.addresses, "address")
        if address is not None:
            _group(resolved, group, _address(address, found.countries))
    currency = look("id_currency", found.currencies, "currency")
    if currency is not None and currency.get("iso_code"):
        etree.SubElement(resolved, "currency").text = currency["iso_code"]
    if missing:
        resolved.set("missing", ", ".join(dict.fromkeys(missing)))
        got.missing += [m for m in dict.fromkeys(missing) if m not in got.missing]


def _rewrite(path: Path, target: Path, found: _Found, got: Resolved) -> None:
    """Copy ``path`` to ``target`` element by element, each order with its resolved element.

    The envelopes (``prestashop``, ``orders``) are opened and closed around the records streamed
    into them; a record is written whole, then freed.
    """
    with path.open("rb") as source, target.open("wb") as out, \
            etree.xmlfile(out, encoding="utf-8") as xf:
        xf.write_declaration()
        envelopes: list[contextlib.AbstractContextManager[object]] = []
        depth = 0
        record_depth: int | None = None
        for event, elem in etree.iterparse(source, events=("start", "end"),
                                           **_parser_options()):
            tag = etree.QName(elem).localname if isinstance(elem.tag, str) else ""
            if event == "start":
                depth += 1
                if record_depth is None and tag == _RECORD:
                    record_depth = depth
                if record_depth is None or depth < record_depth:
                    parent = elem.getparent()
                    inherited = parent.nsmap if parent is not None else {}
                    declared = {k: v for k, v in elem.nsmap.items() if inherited.get(k) != v}
                    envelope = xf.element(elem.tag, dict(elem.attrib), nsmap=declared)
                    envelope.__enter__()
                    envelopes.append(envelope)
                continue
            depth -= 1
            if record_depth is not None and depth + 1 == record_depth:
                if tag == _RECORD and elem.find(MARKER) is None:
                    _resolve_one(elem, found, got)
                    got.orders += 1
                elem.tail = None
                xf.write(elem)
                elem.clear(keep_tail=False)
                parent = elem.getparent()
                if parent is not None:
                    parent.remove(elem)
            elif record_depth is None or depth + 1 < record_depth:
                envelopes.pop().__exit__(None, None, None)


def resolve_orders(path: Path, fetch: Fetch) -> Resolved:
    """Write into each order of ``path`` what its ids name (see the module's docstring).

    Raises:
        TransportError: the shop did not answer; the file is left as it came.
    """
    got = Resolved()
    try:
        wanted = _wanted(path)  # a DOCTYPE or an undecodable file stays as it came
    except (XmlSyntaxError, etree.XMLSyntaxError):
        return got  # the import refuses it, with the line and the reason
    if not any(wanted.values()):
        return got
    customers = _read_all(fetch, "customers", wanted["customers"])
    addresses = _read_all(fetch, "addresses", wanted["addresses"])
    countries = _read_all(fetch, "countries",
                          {a["id_country"] for a in addresses.values()
                           if _is_id(a.get("id_country", ""))})
    currencies = _read_all(fetch, "currencies", wanted["currencies"])
    found = _Found(customers, addresses, countries, currencies)
    temp = part_path(path.parent, path.name)
    try:
        _rewrite(path, temp, found, got)
        os.replace(temp, path)
    finally:
        temp.unlink(missing_ok=True)
    got.rewritten = True
    return got


def resolver_for(profile: Profile, kind: str, source: str,
                 warn: Callable[[str, str], None]) -> Prepare | None:
    """What completes each file pulled from ``source`` before it is imported, as the profile says.

    None when there is nothing to do: another kind, a profile without ``resolve:``, or a source that
    is not the shop's http(s) webservice (a file dropped on FTP names ids that nothing can fetch).
    ``warn(file name, message)`` hears of ids the shop no longer knows.
    """
    if kind != DocumentKind.ORDERS.value:
        return None
    mapping = profile.kinds.get(DocumentKind.ORDERS)
    if not isinstance(mapping, OrdersMapping) or mapping.resolve is not Resolver.PRESTASHOP:
        return None
    base = parse_endpoint(source)
    if base.scheme not in HTTP_SCHEMES:
        return None

    def resolve(path: Path) -> Resolved:
        got = resolve_orders(path, webservice_fetch(base, path.parent))
        if got.missing:
            warn(path.name, "the shop no longer knows " + ", ".join(got.missing))
        return got

    return resolve
