"""Read queries behind the web console: dashboard figures, document listings and details, stock."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Date, Select, Table, and_, bindparam, cast, func, select

from exchange.store.reviews import is_held
from exchange.store.schema import (
    customers,
    events,
    feed_publications,
    invoice_lines,
    invoices,
    job_locks,
    links,
    order_lines,
    orders,
    outbox,
    products,
    runs,
    stock_levels,
    warehouses,
)

# outcomes of one document, as the importer writes them into the history
DOCUMENT_OUTCOMES = ("imported", "updated", "held", "failed")


@dataclass(frozen=True)
class DocumentFilter:
    """What the orders and invoices listings can be narrowed to."""

    shop: str = ""
    status: str = ""
    held: bool | None = None
    date_from: date | None = None
    date_to: date | None = None
    search: str = ""


@dataclass(frozen=True)
class Page:
    """One page of a listing and the total it was cut from."""

    rows: list[dict[str, Any]]
    total: int
    limit: int
    offset: int


def _rows(conn: Connection, query: Select[Any]) -> list[dict[str, Any]]:
    return [dict(r._mapping) for r in conn.execute(query)]


# --- dashboard -----------------------------------------------------------------------------------

def latest_runs(conn: Connection) -> dict[str, dict[str, Any]]:
    """The newest run of every job that ever ran, with its duration in seconds."""
    newest = select(runs.c.job, func.max(runs.c.id).label("id")).group_by(runs.c.job).subquery()
    query = select(runs).join(newest, newest.c.id == runs.c.id)
    found: dict[str, dict[str, Any]] = {}
    for row in _rows(conn, query):
        finished, started = row["finished_at"], row["started_at"]
        row["duration_s"] = (finished - started).total_seconds() if finished else None
        found[row["job"]] = row
    return found


def lock_rows(conn: Connection) -> list[dict[str, Any]]:
    """Every job lease in the store (some may have expired)."""
    return _rows(conn, select(job_locks).order_by(job_locks.c.job))


def outbox_pending(conn: Connection) -> int:
    """How many pushes wait in the outbox."""
    return int(conn.execute(select(func.count()).select_from(outbox)
                            .where(outbox.c.status == "pending")).scalar() or 0)


def held_counts(conn: Connection) -> dict[str, int]:
    """Orders and invoices waiting for review."""
    counts = {}
    for name, table in (("orders", orders), ("invoices", invoices)):
        counts[name] = int(conn.execute(select(func.count()).select_from(table)
                                        .where(is_held(table))).scalar() or 0)
    return counts


def count_events(conn: Connection, kind: str, since: datetime) -> int:
    """How many events of ``kind`` the history has since a moment."""
    return int(conn.execute(select(func.count()).select_from(events).where(
        events.c.kind == kind, events.c.at >= since)).scalar() or 0)


def daily_outcomes(conn: Connection, days: int, now: datetime) -> dict[date, dict[str, int]]:
    """Per UTC day of the last ``days``: documents imported, updated, held and failed.

    One count per day over the (kind, at) index: cheaper than a date function on every event.
    """
    first = (now.astimezone(UTC) - timedelta(days=days - 1)).date()
    if conn.dialect.name == "postgresql":
        return _daily_grouped(conn, first, days)
    found: dict[date, dict[str, int]] = {}
    query = (select(events.c.kind, func.count()).where(
        events.c.kind.in_(DOCUMENT_OUTCOMES), events.c.at >= bindparam("start"),
        events.c.at < bindparam("end")).group_by(events.c.kind))
    for i in range(days):
        day = first + timedelta(days=i)
        start = _day_start(day)
        counts = dict.fromkeys(DOCUMENT_OUTCOMES, 0)
        for kind, n in conn.execute(query, {"start": start, "end": start + timedelta(days=1)}):
            counts[kind] = int(n)
        found[day] = counts
    return found


def _daily_grouped(conn: Connection, first: date, days: int) -> dict[date, dict[str, int]]:
    """PostgreSQL groups by day in one pass faster than it runs one count per day."""
    day = cast(func.timezone("UTC", events.c.at), Date).label("day")
    query = (select(day, events.c.kind, func.count().label("n"))
             .where(events.c.kind.in_(DOCUMENT_OUTCOMES), events.c.at >= _day_start(first))
             .group_by(day, events.c.kind))
    found = {first + timedelta(days=i): dict.fromkeys(DOCUMENT_OUTCOMES, 0) for i in range(days)}
    for row in conn.execute(query):
        if row.day in found:
            found[row.day][row.kind] = int(row.n)
    return found


def feed_series(conn: Connection, per_feed: int = 30) -> dict[str, list[dict[str, Any]]]:
    """Each feed's latest publications per destination (oldest first), keyed "feed → destination"."""
    fp = feed_publications
    pairs = conn.execute(select(fp.c.feed, fp.c.destination).distinct()
                         .order_by(fp.c.feed, fp.c.destination)).all()
    series = {}
    for feed, destination in pairs:
        query = (select(fp).where(fp.c.feed == feed, fp.c.destination == destination)
                 .order_by(fp.c.id.desc()).limit(per_feed))
        name = f"{feed} → {destination}" if destination else feed
        series[name] = list(reversed(_rows(conn, query)))
    return series


# --- orders and invoices -------------------------------------------------------------------------

_KINDS: dict[str, tuple[Table, Table, str, str]] = {
    "orders": (orders, order_lines, "order_id", "ordered_at"),
    "invoices": (invoices, invoice_lines, "invoice_id", "issued_on"),
}


def _day_start(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def document_page(conn: Connection, kind: str, where: DocumentFilter, *, limit: int = 50,
                  offset: int = 0) -> Page:
    """One page of orders or invoices, newest first, with customer name and line count."""
    table, lines, fk, date_col = _KINDS[kind]
    moment = table.c[date_col]
    conds = []
    if where.shop:
        conds.append(table.c.shop == where.shop)
    if where.status and "status" in table.c:
        conds.append(table.c.status == where.status)
    if where.held is True:
        conds.append(is_held(table))
    elif where.held is False:
        conds.append(table.c.review_reason == "")
    if where.date_from:
        conds.append(moment >= (_day_start(where.date_from) if kind == "orders" else where.date_from))
    if where.date_to:
        end = where.date_to + timedelta(days=1)
        conds.append(moment < (_day_start(end) if kind == "orders" else end))
    if where.search:
        conds.append(table.c.number == where.search)
    filt = and_(True, *conds)
    total = int(conn.execute(select(func.count()).select_from(table).where(filt)).scalar() or 0)
    query = (select(table, customers.c.name.label("customer_name"),
                    customers.c.company.label("customer_company"))
             .outerjoin(customers, customers.c.id == table.c.customer_id)
             .where(filt).order_by(moment.desc(), table.c.id.desc()).limit(limit).offset(offset))
    rows = _rows(conn, query)
    ids = [r["id"] for r in rows]
    if ids:
        query = select(lines.c[fk], func.count()).where(lines.c[fk].in_(ids))
        counts: dict[int, int] = dict(conn.execute(query
                                                   .group_by(lines.c[fk])).all())
        for r in rows:
            r["line_count"] = int(counts.get(r["id"], 0))
    return Page(rows, total, limit, offset)


def shops_of(conn: Connection, kind: str) -> list[str]:
    """The shops that have documents of ``kind``."""
    table = _KINDS[kind][0]
    return [r[0] for r in conn.execute(select(table.c.shop).distinct().order_by(table.c.shop))]


def statuses_of(conn: Connection) -> list[str]:
    """The order statuses present in the store."""
    return [r[0] for r in conn.execute(select(orders.c.status).distinct().order_by(orders.c.status))]


def document_detail(conn: Connection, kind: str, doc_id: int, *, event_limit: int = 100
                    ) -> dict[str, Any] | None:
    """One order or invoice with its lines, customer, links and history; None when absent."""
    table, lines, fk, _date_col = _KINDS[kind]
    row = conn.execute(select(table).where(table.c.id == doc_id)).first()
    if row is None:
        return None
    doc = dict(row._mapping)
    doc["lines"] = _rows(conn, select(lines).where(lines.c[fk] == doc_id).order_by(lines.c.position))
    customer = None
    if doc.get("customer_id") is not None:
        found = conn.execute(select(customers).where(customers.c.id == doc["customer_id"])).first()
        customer = dict(found._mapping) if found else None
    doc["customer"] = customer
    doc["links"] = _rows(conn, select(links.c.platform, links.c.shop, links.c.external_id,
                                      links.c.created_at)
                         .where(links.c.kind == kind.rstrip("s"), links.c.local_id == doc_id))
    document = f"{kind}:{doc['shop']}:{doc['external_id']}"
    doc["events"] = _rows(conn, select(events).where(events.c.document == document)
                          .order_by(events.c.at.desc(), events.c.id.desc()).limit(event_limit))
    return doc


def document_id_by_number(conn: Connection, kind: str, number: str, shop: str | None = None
                          ) -> int | None:
    """The id of a document by its number (newest first when several shops share it)."""
    table = _KINDS[kind][0]
    query = select(table.c.id).where(table.c.number == number)
    if shop:
        query = query.where(table.c.shop == shop)
    found = conn.execute(query.order_by(table.c.id.desc()).limit(1)).scalar()
    return int(found) if found is not None else None


# --- history, feeds, products ---------------------------------------------------------------------

def history_page(conn: Connection, *, job: str = "", level: str = "", kind: str = "",
                 since: datetime | None = None, until: datetime | None = None,
                 limit: int = 100, offset: int = 0) -> list[dict[str, Any]]:
    """Events newest first, filtered by job, level, kind and time."""
    query = select(events).order_by(events.c.at.desc(), events.c.id.desc()).limit(limit).offset(offset)
    if job:
        query = query.where(events.c.job == job)
    if level:
        query = query.where(events.c.level == level)
    if kind:
        query = query.where(events.c.kind == kind)
    if since:
        query = query.where(events.c.at >= since)
    if until:
        query = query.where(events.c.at < until)
    return _rows(conn, query)


def history_jobs(conn: Connection) -> list[str]:
    """Job names that have runs."""
    return [r[0] for r in conn.execute(select(runs.c.job).distinct().order_by(runs.c.job))]


def last_publications(conn: Connection) -> list[dict[str, Any]]:
    """The newest publication (or hold) of every feed at every destination."""
    fp = feed_publications
    newest = (select(func.max(fp.c.id).label("id")).group_by(fp.c.feed, fp.c.destination).subquery())
    return _rows(conn, select(fp).join(newest, newest.c.id == fp.c.id)
                 .order_by(fp.c.feed, fp.c.destination))


def stock_page(conn: Connection, *, search: str = "", limit: int = 100, offset: int = 0) -> Page:
    """Stock on hand, reserved and available per product and warehouse."""
    conds = []
    if search:
        conds.append((products.c.code == search) | (products.c.name.like(f"%{search}%")))
    filt = and_(True, *conds)
    base = (select(products.c.id, products.c.code, products.c.name, warehouses.c.code.label("warehouse"),
                   stock_levels.c.on_hand, stock_levels.c.reserved)
            .join(stock_levels, stock_levels.c.product_id == products.c.id)
            .join(warehouses, warehouses.c.id == stock_levels.c.warehouse_id).where(filt))
    total = int(conn.execute(select(func.count()).select_from(base.subquery())).scalar() or 0)
    rows = _rows(conn, base.order_by(products.c.code, warehouses.c.code).limit(limit).offset(offset))
    for r in rows:
        r["available"] = r["on_hand"] - r["reserved"]
    return Page(rows, total, limit, offset)


def publication_row(conn: Connection, publication_id: int) -> dict[str, Any] | None:
    """One recorded feed run (publication or hold) by id, with ``newest``: no later run of its feed
    reached its destination."""
    fp = feed_publications.c
    found = _rows(conn, select(feed_publications).where(fp.id == publication_id))
    if not found:
        return None
    row = found[0]
    later = conn.execute(select(func.count()).where(
        fp.feed == row["feed"], fp.destination == row["destination"], fp.id > publication_id)).scalar()
    row["newest"] = not later
    return row


def latest_reconciliations(conn: Connection, limit: int = 20) -> list[dict[str, Any]]:
    """The newest drift report of every shop export compared (``reconciled`` events), newest first."""
    e = events.c
    newest = (select(func.max(e.id).label("id")).where(e.kind == "reconciled")
              .group_by(e.document).subquery())
    return _rows(conn, select(e.id, e.document, e.level, e.message, e.details, e.at)
                 .join(newest, newest.c.id == e.id).order_by(e.id.desc()).limit(limit))
