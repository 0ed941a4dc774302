"""Feed reads and feed state: the one price-list SELECT, publications, and what each destination shows.

A *destination* is where a feed goes (a job, or an endpoint given to ``export --to``). Its state is the
newest publication recorded as published for it, and the set of codes it currently shows; both change
in one transaction, and only after the destination really has the feed.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    Connection,
    CursorResult,
    and_,
    case,
    delete,
    func,
    insert,
    literal,
    or_,
    select,
    type_coerce,
)
from sqlalchemy.sql.sqltypes import NullType

from exchange.errors import ConfigError
from exchange.store.schema import (
    feed_destination_codes,
    feed_publications,
    links,
    price_lists,
    product_labels,
    product_prices,
    products,
    stock_levels,
    warehouses,
)
from exchange.store.types import utcnow

YIELD_PER = 2000
LABEL_SEPARATOR = "\x1f"


@dataclass(frozen=True)
class FeedQuery:
    """What a feed selects: price list and VAT basis, warehouses, label, changes since, links."""

    price_list: str
    vat_included: bool = True
    warehouses: tuple[str, ...] = ()
    label: str | None = None
    changed_since: datetime | None = None
    require_price: bool = True
    link_platform: str | None = None
    link_shop: str | None = None
    linked_only: bool = False
    include_services: bool = True
    leaf_only: bool = False
    #: with ``changed_since``: also what this (feed, destination) does not show yet
    new_to: tuple[str, str] | None = None
    #: read each product's labels (a feed whose template shows none skips the subquery)
    with_labels: bool = True
    #: parents each followed by their variants (off: in catalogue order, cheaper to read)
    grouped: bool = True


@dataclass(frozen=True)
class PriceListInfo:
    """The chosen price list as stored."""

    id: int
    name: str
    currency: str
    includes_vat: bool


def price_list_info(conn: Connection, name: str) -> PriceListInfo:
    """The stored price list ``name``; ConfigError listing the known lists when it does not exist."""
    row = conn.execute(select(price_lists).where(price_lists.c.name == name)).first()
    if row is None:
        known = sorted(conn.execute(select(price_lists.c.name)).scalars())
        raise ConfigError(f"unknown price list {name!r}; known: {', '.join(known) or 'none'}")
    return PriceListInfo(row.id, row.name, row.currency, bool(row.includes_vat))


def warehouse_ids(conn: Connection, codes: Sequence[str]) -> list[int]:
    """Ids of the given warehouse codes; ConfigError naming the unknown ones and the known ones."""
    rows = dict(conn.execute(select(warehouses.c.code, warehouses.c.id)
                             .where(warehouses.c.code.in_(list(codes)))).all())
    missing = [c for c in codes if c not in rows]
    if missing:
        known = sorted(conn.execute(select(warehouses.c.code)).scalars())
        raise ConfigError(f"unknown warehouse {', '.join(missing)}; known: {', '.join(known) or 'none'}")
    return [int(rows[c]) for c in codes]


def _raw(column: Any, name: str) -> Any:
    # NullType skips the Dec/UtcDateTime result processors: the exporter converts once, per item.
    return type_coerce(column, NullType()).label(name)


def _filtered(conn: Connection, stmt: Any, query: FeedQuery) -> Any:
    """The label, service and leaf filters every feed read shares."""
    if query.label:
        labelled = select(product_labels.c.product_id).where(product_labels.c.label == query.label)
        stmt = stmt.where(or_(products.c.id.in_(labelled), products.c.parent_id.in_(labelled)))
    if not query.include_services:
        stmt = stmt.where(products.c.is_service.is_(False))
    if query.leaf_only:
        # comparison feeds list each variant on its own; the parent is only their group
        child = products.alias("child")
        stmt = stmt.where(~select(child.c.id).where(child.c.parent_id == products.c.id).exists())
    return stmt


def _link_on(query: FeedQuery) -> Any:
    on = and_(links.c.local_id == products.c.id, links.c.kind == "product",
              links.c.platform == query.link_platform)
    return and_(on, links.c.shop == query.link_shop) if query.link_shop else on


def build_select(conn: Connection, query: FeedQuery, plist: PriceListInfo) -> Any:
    """The one SELECT behind a feed (parents first, each followed by its variants)."""
    parent = products.alias("parent")
    stock = stock_levels.c.on_hand - stock_levels.c.reserved
    avail = select(stock_levels.c.product_id, func.sum(stock).label("avail")).group_by(
        stock_levels.c.product_id)
    if query.warehouses:
        avail = avail.where(stock_levels.c.warehouse_id.in_(warehouse_ids(conn, query.warehouses)))
    avail_sq = avail.subquery("avail")
    labels_sq = (select(func.aggregate_strings(product_labels.c.label, LABEL_SEPARATOR))
                 .where(product_labels.c.product_id == products.c.id)
                 .scalar_subquery())
    price_join = and_(product_prices.c.product_id == products.c.id,
                      product_prices.c.price_list_id == plist.id)
    columns = [
        products.c.code, products.c.ean, products.c.name, products.c.unit,
        _raw(products.c.vat_rate, "vat_rate"), products.c.is_service,
        parent.c.code.label("parent_code"), parent.c.name.label("parent_name"),
        products.c.variant_name, products.c.description, products.c.manufacturer, products.c.url,
        products.c.image_url, products.c.category, _raw(product_prices.c.amount, "amount"),
        _raw(avail_sq.c.avail, "avail"),
        labels_sq.label("labels") if query.with_labels else literal(None).label("labels"),
    ]
    stmt = select(*columns).select_from(products)
    stmt = stmt.outerjoin(parent, parent.c.id == products.c.parent_id)
    if query.require_price:
        stmt = stmt.join(product_prices, price_join)
    else:
        stmt = stmt.outerjoin(product_prices, price_join)
    stmt = stmt.outerjoin(avail_sq, avail_sq.c.product_id == products.c.id)
    if query.link_platform:
        on = _link_on(query)
        stmt = (stmt.join(links, on) if query.linked_only else stmt.outerjoin(links, on))
        stmt = stmt.add_columns(links.c.external_id)
    else:
        stmt = stmt.add_columns(literal("").label("external_id"))
    stmt = _filtered(conn, stmt, query)
    if query.changed_since is not None:
        since = query.changed_since
        changed = [products.c.updated_at > since, product_prices.c.updated_at > since,
                   stock_changed_since(since, query)]
        if query.new_to is not None:
            c = feed_destination_codes.c
            changed.append(products.c.code.not_in(
                select(c.code).where(c.feed == query.new_to[0], c.destination == query.new_to[1])))
        stmt = stmt.where(or_(*changed))
    if not query.grouped:
        return stmt.order_by(products.c.id)
    group = func.coalesce(products.c.parent_id, products.c.id)
    return stmt.order_by(group, case((products.c.parent_id.is_(None), 0), else_=1), products.c.code)


def stock_changed_since(since: datetime, query: FeedQuery) -> Any:
    """True for a product whose stock (in the feed's warehouses) changed after ``since``."""
    changed = select(stock_levels.c.product_id).where(stock_levels.c.updated_at > since)
    if query.warehouses:
        changed = changed.join(warehouses, warehouses.c.id == stock_levels.c.warehouse_id).where(
            warehouses.c.code.in_(list(query.warehouses)))
    return products.c.id.in_(changed)


def feed_rows(conn: Connection, query: FeedQuery, plist: PriceListInfo) -> CursorResult[Any]:
    """The feed's rows, streamed (a server-side cursor on PostgreSQL)."""
    return conn.execution_options(yield_per=YIELD_PER).execute(build_select(conn, query, plist))


def feed_codes(conn: Connection, query: FeedQuery, plist: PriceListInfo) -> set[str]:
    """Every code a full feed of ``query`` would list now (its changes filter ignored)."""
    stmt = select(products.c.code).select_from(products)
    if query.require_price:
        stmt = stmt.join(product_prices, and_(product_prices.c.product_id == products.c.id,
                                              product_prices.c.price_list_id == plist.id))
    if query.link_platform and query.linked_only:
        stmt = stmt.join(links, _link_on(query))
    return set(conn.execute(_filtered(conn, stmt, query)).scalars())


def linked_ids(conn: Connection, codes: Sequence[str], platform: str,
               shop: str | None = None) -> dict[str, str]:
    """The platform ids linked to products by code (for products a feed withdraws)."""
    found: dict[str, str] = {}
    on = and_(links.c.local_id == products.c.id, links.c.kind == "product",
              links.c.platform == platform)
    if shop:
        on = and_(on, links.c.shop == shop)
    for start in range(0, len(codes), 500):
        rows = conn.execute(select(products.c.code, links.c.external_id).join(links, on)
                            .where(products.c.code.in_(list(codes[start:start + 500]))))
        found.update({str(code): str(external) for code, external in rows})
    return found


class PublicationStatus(StrEnum):
    """What happened to a rendered feed."""

    PUBLISHED = "published"  # the destination has it
    HELD = "held"  # the gate kept it aside
    QUEUED = "queued"  # waiting in the outbox: the destination does not have it yet
    FAILED = "failed"  # the push failed for good
    UNCHANGED = "unchanged"  # a differential with no changes: nothing published


@dataclass(frozen=True)
class Publication:
    """One recorded feed run."""

    id: int
    feed: str
    status: PublicationStatus
    item_count: int
    started_at: datetime
    output: str
    full: bool
    destination: str = ""


def _publication(row: Any) -> Publication:
    report = row.report or {}
    return Publication(row.id, row.feed, PublicationStatus(row.status), row.item_count, row.started_at,
                       row.output, bool(report.get("full", True)), row.destination)


def publications(conn: Connection, feed: str, *, destination: str | None = None,
                 limit: int = 20) -> list[Publication]:
    """The feed's recorded runs, newest first (only to ``destination`` when given)."""
    query = select(feed_publications).where(feed_publications.c.feed == feed)
    if destination is not None:
        query = query.where(feed_publications.c.destination == destination)
    rows = conn.execute(query.order_by(feed_publications.c.id.desc()).limit(limit))
    return [_publication(r) for r in rows]


def last_published(conn: Connection, feed: str, *, destination: str = "",
                   full_only: bool = False) -> Publication | None:
    """The newest run of the feed that ``destination`` received (only full ones when asked)."""
    query = (select(feed_publications)
             .where(feed_publications.c.feed == feed,
                    feed_publications.c.destination == destination,
                    feed_publications.c.status == PublicationStatus.PUBLISHED.value)
             .order_by(feed_publications.c.id.desc()))
    for row in conn.execute(query):
        publication = _publication(row)
        if publication.full or not full_only:
            return publication
    return None


def record_publication(conn: Connection, feed: str, status: PublicationStatus, item_count: int,
                       started_at: datetime, output: str, report: dict[str, Any], *,
                       destination: str = "") -> int:
    """Record one run of a feed; returns its id."""
    key = conn.execute(insert(feed_publications).values(
        feed=feed, destination=destination, status=status.value, item_count=item_count,
        started_at=started_at, output=output, report=report, created_at=utcnow()))
    return int(key.inserted_primary_key[0])  # type: ignore[index]


def shown_codes(conn: Connection, feed: str, destination: str) -> set[str]:
    """The codes ``destination`` shows from this feed (as of its last publication)."""
    c = feed_destination_codes.c
    return set(conn.execute(select(c.code).where(c.feed == feed, c.destination == destination))
               .scalars())


def save_shown_codes(conn: Connection, feed: str, destination: str, *, shown: Iterable[str],
                     withdrawn: Iterable[str], replace_all: bool) -> None:
    """After a publication: ``shown`` codes are on the destination, ``withdrawn`` ones no longer.

    ``replace_all`` (a full feed) makes ``shown`` the whole set.
    """
    c = feed_destination_codes.c
    where = and_(c.feed == feed, c.destination == destination)
    if replace_all:
        conn.execute(delete(feed_destination_codes).where(where))
        have: set[str] = set()
    else:
        have = shown_codes(conn, feed, destination)
        gone = list(set(withdrawn))
        for start in range(0, len(gone), 500):
            conn.execute(delete(feed_destination_codes).where(where, c.code.in_(gone[start:start + 500])))
    new = [{"feed": feed, "destination": destination, "code": code}
           for code in set(shown) - have]
    for start in range(0, len(new), 5000):
        conn.execute(insert(feed_destination_codes), new[start:start + 5000])
