"""History and products: read-only pages over the store."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from exchange.store.console import history_jobs, history_page, stock_page
from exchange.web.params import query_int
from exchange.web.render import page

LEVELS = ("info", "warning", "error")


def _moment(text: str | None, name: str) -> datetime | None:
    if not text:
        return None
    try:
        found = datetime.fromisoformat(text)
    except ValueError:
        raise HTTPException(400, f"{name}: {text!r} is not a date or time (ISO 8601)") from None
    return found if found.tzinfo else found.replace(tzinfo=UTC)


async def history(request: Request) -> Response:
    """Events newest first, filtered by job, level, kind and time (twin ``/history.json``)."""
    q = request.query_params
    level = q.get("level", "")
    if level and level not in LEVELS:
        raise HTTPException(400, f"level: one of {', '.join(LEVELS)}")
    limit = min(query_int(q.get("limit"), "limit", 100), 1000)
    offset = query_int(q.get("offset"), "offset", 0)
    with request.app.state.settings.store.connect() as conn:
        rows = history_page(conn, job=q.get("job", ""), level=level, kind=q.get("kind", ""),
                            since=_moment(q.get("since"), "since"), until=_moment(q.get("until"), "until"),
                            limit=limit, offset=offset)
        jobs = history_jobs(conn)
    shown = {k: q.get(k, "") for k in ("job", "level", "kind", "since", "until")}
    data: dict[str, Any] = {"events": rows, "filters": shown,
                            "offset": offset, "limit": limit, "next": None}
    if len(rows) == limit:
        params = {k: v for k, v in q.items() if k != "offset"}
        data["next"] = f"?{urlencode({**params, 'offset': offset + limit})}"
    return page(request, "history.html", data, extra={"jobs": jobs, "levels": LEVELS})


async def products(request: Request) -> Response:
    """Stock on hand, reserved and available per warehouse."""
    q = request.query_params
    limit = min(query_int(q.get("limit"), "limit", 100), 1000)
    offset = query_int(q.get("offset"), "offset", 0)
    with request.app.state.settings.store.connect() as conn:
        found = stock_page(conn, search=q.get("q", "").strip(), limit=limit, offset=offset)
    return page(request, "products.html", {"rows": found.rows, "total": found.total,
                                           "offset": offset, "limit": limit, "q": q.get("q", "")})
