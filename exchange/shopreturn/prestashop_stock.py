"""PrestaShop stock: the webservice's ``stock_availables``, read, given the new quantity, PUT back.

PrestaShop takes a stock level only one way: ``product.quantity`` is not writable, and a
``stock_available`` is set by ``PUT /api/stock_availables/{id}`` with the whole resource (its
``id`` included); a collection of them cannot be PUT. The ``prestashop`` stock feed renders one
``stock_available`` per linked product (``id_product``, ``id_product_attribute``, ``quantity``,
``out_of_stock``). With ``options: {stock_availables: true}`` and an http(s) endpoint
(``…/api/stock_availables``), publishing it means, a hundred products at a time:

1. ``GET /api/stock_availables?filter[id_product]=[1|2|…]&display=full`` (same host, key, query);
2. for each rendered item, the row of its product and combination takes the new ``quantity`` and
   ``out_of_stock``, every other field as it came;
3. each changed row is PUT to ``/api/stock_availables/{id}`` through the outbox, in order.

A row already at its quantity is not sent again; an item PrestaShop has no row for is reported.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from lxml import etree

from exchange.errors import DocumentError
from exchange.shopreturn.prestashop import read_listing, resource_endpoint
from exchange.transport import Endpoint, Transport

RESOURCE = "stock_availables"
BATCH = 100  # product ids per GET (PrestaShop's filter[id_product]=[a|b|…])
_XLINK = "http://www.w3.org/1999/xlink"


@dataclass(frozen=True)
class StockItem:
    """One rendered ``stock_available``: what the shop should show for a product (combination)."""

    id_product: str
    id_attribute: str
    quantity: str
    out_of_stock: str | None

    @property
    def label(self) -> str:
        """How a report names it."""
        return f"id_product {self.id_product}" + (
            f", combination {self.id_attribute}" if self.id_attribute != "0" else "")


@dataclass(frozen=True)
class StockUpdate:
    """One ``stock_available`` with its new quantity, ready to be PUT to its own URL."""

    item: StockItem
    endpoint: Endpoint  # …/api/stock_availables/{id}, method PUT
    document: Path


@dataclass
class StockPlan:
    """What publishing the rendered stock means: the PUTs, the rows already right, the unknown."""

    updates: list[StockUpdate]
    unchanged: int
    missing: list[str]


def rendered_items(feed: Path) -> Iterator[StockItem]:
    """The ``stock_available`` items of a rendered stock feed, streamed.

    Raises:
        DocumentError: the feed is not XML or an item lacks its product id or quantity.
    """
    try:
        for _event, elem in etree.iterparse(str(feed), tag="stock_available",
                                            resolve_entities=False, no_network=True):
            product = (elem.findtext("id_product") or "").strip()
            quantity = (elem.findtext("quantity") or "").strip()
            if not product.isdigit() or not quantity.lstrip("-").isdigit():
                raise DocumentError(f"{feed.name}:{elem.sourceline}: a stock_available needs a "
                                    "numeric id_product and quantity")
            out_of_stock = elem.findtext("out_of_stock")
            yield StockItem(product, (elem.findtext("id_product_attribute") or "0").strip() or "0",
                            quantity, out_of_stock.strip() if out_of_stock is not None else None)
            elem.clear()
    except etree.XMLSyntaxError as exc:
        raise DocumentError(f"{feed.name}: not XML: {exc}") from exc


def plan_stock(feed: Path, base: Endpoint, folder: Path,
               connect: Callable[[Endpoint], Transport]) -> StockPlan:
    """Read the shop's rows of the rendered items and write the body of each PUT into ``folder``.

    Raises:
        ConfigError: the endpoint is not http(s).
        TransportError: the shop did not answer a GET.
        DocumentError: the feed or an answer is not the webservice's XML.
    """
    plan = StockPlan([], 0, [])
    batch: list[StockItem] = []
    for item in rendered_items(feed):
        batch.append(item)
        if len(batch) >= BATCH:
            _plan_batch(batch, base, folder, connect, plan)
            batch = []
    if batch:
        _plan_batch(batch, base, folder, connect, plan)
    return plan


def _plan_batch(batch: list[StockItem], base: Endpoint, folder: Path,
                connect: Callable[[Endpoint], Transport], plan: StockPlan) -> None:
    ids = sorted({i.id_product for i in batch}, key=int)
    rows = shop_rows(read_listing(base, RESOURCE, (("filter[id_product]", f"[{'|'.join(ids)}]"),),
                                  folder / f".stock-availables-{ids[0]}.xml", connect))
    for item in batch:
        row = rows.get((item.id_product, item.id_attribute))
        if row is None:
            plan.missing.append(f"{item.label}: PrestaShop has no stock_available for it")
            continue
        changed = _set(row, "quantity", item.quantity)
        if item.out_of_stock is not None:
            changed = _set(row, "out_of_stock", item.out_of_stock) or changed
        if not changed:
            plan.unchanged += 1
            continue
        row_id = (row.findtext("id") or "").strip()
        document = folder / f"stock-available-{row_id}.xml"
        body = etree.Element("prestashop", nsmap={"xlink": _XLINK})
        body.append(row)
        document.write_bytes(etree.tostring(body, xml_declaration=True, encoding="UTF-8"))
        plan.updates.append(StockUpdate(item, resource_endpoint(base, row_id, resource=RESOURCE,
                                                                method="put"), document))


def shop_rows(listing: bytes) -> dict[tuple[str, str], etree._Element]:
    """The answer's ``stock_available`` rows by (id_product, id_product_attribute); for a pair
    listed twice (several shops), the lowest id.

    Raises:
        DocumentError: the answer is not the webservice's XML.
    """
    try:
        root = etree.fromstring(listing, etree.XMLParser(resolve_entities=False, no_network=True))
    except etree.XMLSyntaxError as exc:
        raise DocumentError(f"stock_availables: not XML: {exc}") from exc
    if root.tag != "prestashop":
        raise DocumentError(f"stock_availables: the answer is <{root.tag}>, not <prestashop>")
    rows: dict[tuple[str, str], etree._Element] = {}
    for row in root.iter("stock_available"):
        row_id = (row.findtext("id") or "").strip()
        if not row_id.isdigit():
            continue
        key = ((row.findtext("id_product") or "").strip(),
               (row.findtext("id_product_attribute") or "0").strip() or "0")
        kept = rows.get(key)
        if kept is None or int(row_id) < int((kept.findtext("id") or "0").strip()):
            rows[key] = row
    return rows


def _set(row: etree._Element, tag: str, value: str) -> bool:
    """Give ``row`` its ``tag`` = ``value``; True when that changed it."""
    field = row.find(tag)
    if field is None:
        field = etree.SubElement(row, tag)
    elif (field.text or "").strip() == value:
        return False
    field.text = etree.CDATA(value)
    return True
