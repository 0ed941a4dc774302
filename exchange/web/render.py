"""Rendering a page: an HTML template, or its JSON twin when the path ends in ``.json``."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.templating import Jinja2Templates

from exchange.cli.common import jsonable
from exchange.web.auth import CSRF_FIELD, csrf_token, current_user

TEMPLATES = Path(__file__).with_name("templates")
STATIC = Path(__file__).with_name("static")


def _amount(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return f"{value:,.2f}".replace(",", " ")
    return str(value)


def _moment(value: Any) -> str:
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    return "" if value is None else str(value)


def templates() -> Jinja2Templates:
    """The template set; autoescaping is on for every template (shop data is hostile input)."""
    found = Jinja2Templates(directory=str(TEMPLATES))
    found.env.autoescape = True
    found.env.filters["amount"] = _amount
    found.env.filters["moment"] = _moment
    return found


def wants_json(request: Request) -> bool:
    """The JSON twin of a page is asked for by the ``.json`` suffix."""
    return request.url.path.endswith(".json")


def page(request: Request, template: str, data: dict[str, Any], *, status_code: int = 200,
         extra: dict[str, Any] | None = None) -> Response:
    """``data`` as the template's context, or as JSON for the page's ``.json`` twin.

    ``extra`` is given to the template only (what the HTML needs beyond the data).
    """
    if wants_json(request):
        return JSONResponse(jsonable(data), status_code=status_code)
    found: Jinja2Templates = request.app.state.templates
    path = request.url.path.rstrip("/") or "/dashboard"
    query = f"?{request.url.query}" if request.url.query else ""
    context = {"flash": request.session.pop("flash", None),  # what the last form did (once)
               **data, **(extra or {}), "user": current_user(request), "json_url": f"{path}.json{query}",
               "csrf_field": CSRF_FIELD, "csrf_token": csrf_token(request)}
    return found.TemplateResponse(request, template, context, status_code=status_code)
