"""Orders and invoices: listings filtered by shop, status, held and date; a detail page for each."""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import Connection
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from exchange.review.causes import causes_of
from exchange.store.console import DocumentFilter, document_detail, document_page, shops_of, statuses_of
from exchange.web.params import query_day, query_int
from exchange.web.render import page

PAGE_SIZE = 50


def _filter(request: Request) -> DocumentFilter:
    q = request.query_params
    held_text = q.get("held", "")
    held = {"yes": True, "no": False, "": None}.get(held_text)
    if held is None and held_text:
        raise HTTPException(400, "held: yes, no or empty")
    return DocumentFilter(shop=q.get("shop", ""), status=q.get("status", ""), held=held,
                          date_from=query_day(q.get("from"), "from"), date_to=query_day(q.get("to"), "to"),
                          search=q.get("number", "").strip())


CHOICES_TTL_S = 60.0  # the filters' shop and status lists are read at most once a minute


def _choices(request: Request, conn: Connection, kind: str) -> tuple[list[str], list[str]]:
    """The shops and statuses the filters offer (distinct values scan the table: kept a minute)."""
    cache: dict[str, tuple[float, list[str], list[str]]] = request.app.state.choices
    now = time.monotonic()
    hit = cache.get(kind)
    if hit is None or now - hit[0] > CHOICES_TTL_S:
        hit = (now, shops_of(conn, kind), statuses_of(conn) if kind == "orders" else [])
        cache[kind] = hit
    return hit[1], hit[2]


def _listing(request: Request, kind: str) -> Response:
    where = _filter(request)
    limit = min(query_int(request.query_params.get("limit"), "limit", PAGE_SIZE), 500)
    offset = query_int(request.query_params.get("offset"), "offset", 0)
    store = request.app.state.settings.store
    with store.connect() as conn:
        found = document_page(conn, kind, where, limit=limit, offset=offset)
        shops, statuses = _choices(request, conn, kind)
    params = {k: v for k, v in request.query_params.items() if k != "offset"}
    more = found.offset + found.limit < found.total
    data = {"kind": kind, "total": found.total, "offset": found.offset, "limit": found.limit,
            "rows": found.rows,
            "filters": {"shop": where.shop, "status": where.status,
                        "held": {True: "yes", False: "no", None: ""}[where.held],
                        "from": where.date_from, "to": where.date_to, "number": where.search},
            "next": (f"?{urlencode({**params, 'offset': found.offset + found.limit})}" if more else None)}
    return page(request, "documents.html", data, extra={"shops": shops, "statuses": statuses})


def _detail(request: Request, kind: str) -> Response:
    doc_id = int(request.path_params["doc_id"])
    with request.app.state.settings.store.connect() as conn:
        doc = document_detail(conn, kind, doc_id)
    if doc is None:
        raise HTTPException(404, f"no {kind[:-1]} with id {doc_id}")
    causes = [{"kind": c.kind.value, "field": c.field, "value": c.value, "text": c.text}
              for c in causes_of(doc["review_reason"])] if doc["review_reason"] else []
    data: dict[str, Any] = {"kind": kind, "document": doc, "causes": causes}
    return page(request, "document.html", data)


async def orders_list(request: Request) -> Response:
    """Received orders, newest first (twin ``/orders.json``)."""
    return _listing(request, "orders")


async def invoices_list(request: Request) -> Response:
    """Issued invoices and credit notes, newest first (twin ``/invoices.json``)."""
    return _listing(request, "invoices")


async def order_detail(request: Request) -> Response:
    """One order: lines, money, customer, addresses, links and events."""
    return _detail(request, "orders")


async def invoice_detail(request: Request) -> Response:
    """One invoice: lines, money, customer, links and events."""
    return _detail(request, "invoices")
