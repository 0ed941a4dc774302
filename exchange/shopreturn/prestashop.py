"""PrestaShop tracking numbers: the webservice's ``order_carriers`` resource, read, edited, written back.

PrestaShop keeps an order's tracking number on its ``order_carrier`` (``id_order`` and
``id_carrier`` required, ``weight``, ``shipping_cost_tax_excl``/``_incl``, ``tracking_number``, …),
not on ``order_histories``. What the webservice accepts decides how it is written:

- a POST to ``/api/order_carriers`` adds a *second* carrier row, which PrestaShop does not show
  as the order's shipment;
- a PUT to ``/api/order_carriers/{id}`` replaces the whole resource: a field left out (the weight,
  the shipping cost) is lost.

So, as for ``stock_availables``: GET ``/api/order_carriers?filter[id_order]=[ID]&display=full``,
change ``tracking_number`` alone, and PUT the whole resource back to its own URL. The endpoint
is the status export's (``…/api/order_histories?auth=key``): the same host, folder, key and
query, with ``order_carriers`` for the resource. Only orders whose tracking number changed are
read; one without an ``order_carrier`` is skipped with the reason.
"""

from __future__ import annotations

import dataclasses
import posixpath
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from lxml import etree

from exchange.errors import ConfigError, DocumentError
from exchange.shopreturn.templates import OrderView
from exchange.transport import Endpoint, Transport

RESOURCE = "order_carriers"
_XLINK = "http://www.w3.org/1999/xlink"


@dataclass(frozen=True)
class CarrierUpdate:
    """One order's ``order_carrier`` with its new tracking number, ready to be PUT."""

    number: str
    endpoint: Endpoint  # …/api/order_carriers/{id}, method PUT
    document: Path


def resource_endpoint(base: Endpoint, *parts: str,
                      query: Sequence[tuple[str, str]] = (), method: str = "",
                      resource: str = RESOURCE) -> Endpoint:
    """``base`` (an ``…/api/ANY`` URL) for ``resource[/ID]`` (``order_carriers`` unless told):
    same host, key and query."""
    folder = posixpath.dirname((base.root or "/").rstrip("/"))
    options = {**base.options, **({"method": method} if method else {})}
    return dataclasses.replace(base, root=posixpath.join(folder, resource, *parts),
                               options=options, query=(*base.query, *query))


def read_listing(base: Endpoint, resource: str, filters: Sequence[tuple[str, str]], got: Path,
                 connect: Callable[[Endpoint], Transport]) -> bytes:
    """The answer to ``GET …/api/RESOURCE?FILTERS&display=full`` on ``base``'s host, key and query
    (downloaded through ``got``, which is gone after).

    Raises:
        ConfigError: ``base`` is not http(s).
        TransportError: the shop did not answer, or answered an error or an HTML page.
    """
    from exchange.transport.http import HTTPTransport

    listing = resource_endpoint(base, query=(*filters, ("display", "full")), resource=resource)
    with connect(listing) as transport:
        if not isinstance(transport, HTTPTransport):
            raise ConfigError(f"{base}: PrestaShop's {resource} need an http(s) endpoint")
        transport.fetch(resource, got)
    try:
        return got.read_bytes()
    finally:
        got.unlink(missing_ok=True)


def carrier_updates(views: Sequence[OrderView], base: Endpoint, folder: Path,
                    connect: Callable[[Endpoint], Transport]
                    ) -> tuple[list[CarrierUpdate], list[tuple[str, str]]]:
    """The PUT of each changed tracking number, and the orders skipped (number, why).

    Raises:
        TransportError: the shop did not answer a GET.
        DocumentError: it answered with something that is not the webservice's XML.
    """

    updates: list[CarrierUpdate] = []
    skipped: list[tuple[str, str]] = []
    for view in views:
        if "tracking" not in view.changes or not view.tracking_number:
            continue
        if not view.external_id.isdigit():
            skipped.append((view.number, f"tracking {view.tracking_number}: no PrestaShop order "
                                         f"id (external id {view.external_id!r})"))
            continue
        listing = read_listing(base, RESOURCE, (("filter[id_order]", f"[{view.external_id}]"),),
                               folder / f".order-carriers-{view.external_id}.xml", connect)
        found = with_tracking(listing, view.tracking_number)
        if found is None:
            skipped.append((view.number, f"tracking {view.tracking_number}: PrestaShop has no "
                                         f"order_carrier for order {view.external_id}"))
            continue
        carrier_id, body = found
        document = folder / f"order-carrier-{carrier_id}.xml"
        document.write_bytes(body)
        updates.append(CarrierUpdate(view.number, resource_endpoint(base, carrier_id,
                                                                    method="put"), document))
    return updates, skipped


def with_tracking(listing: bytes, tracking: str) -> tuple[str, bytes] | None:
    """The order's first ``order_carrier`` (lowest id) with ``tracking``: (its id, the PUT body).

    ``listing`` is the answer to ``GET /api/order_carriers?filter[id_order]=[ID]&display=full``;
    every other field goes back as it came. None when the order has no carrier row.

    Raises:
        DocumentError: the answer is not the webservice's XML.
    """
    try:
        root = etree.fromstring(listing, etree.XMLParser(resolve_entities=False, no_network=True))
    except etree.XMLSyntaxError as exc:
        raise DocumentError(f"order_carriers: not XML: {exc}") from exc
    rows = [r for r in root.iter("order_carrier") if (r.findtext("id") or "").strip().isdigit()]
    if not rows:
        return None
    row = min(rows, key=lambda r: int((r.findtext("id") or "0").strip()))
    field = row.find("tracking_number")
    if field is None:
        field = etree.SubElement(row, "tracking_number")
    field.text = etree.CDATA(tracking)
    document = etree.Element("prestashop", nsmap={"xlink": _XLINK})
    document.append(row)
    body = etree.tostring(document, xml_declaration=True, encoding="UTF-8")
    return (row.findtext("id") or "").strip(), body
