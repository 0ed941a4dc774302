"""The console's ASGI application: routes, sessions, the login, and error pages."""

from __future__ import annotations

import logging
from typing import Any

from starlette.applications import Starlette
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from exchange.store.history import record_event
from exchange.web.auth import (
    CsrfRefused,
    LoginLimiter,
    LoginRequired,
    client_of,
    form_post,
    has_users,
    session_user,
    verify_user,
)
from exchange.web.pages import dashboard, documents, feeds, quarantine, records, review
from exchange.web.render import STATIC, page, templates, wants_json
from exchange.web.settings import WebSettings

log = logging.getLogger(__name__)


def _twin(path: str, endpoint: Any, *, methods: list[str] | None = None) -> list[BaseRoute]:
    """A page and its JSON twin (``PATH.json``)."""
    return [Route(path, endpoint, methods=methods), Route(f"{path}.json", endpoint, methods=methods)]


async def login_page(request: Request) -> Response:
    """The login form."""
    if request.session.get("user"):
        return RedirectResponse("/", status_code=303)
    return page(request, "login.html", {"error": ""})


@form_post
async def login(request: Request, form: FormData) -> Response:
    """Check a name and password; failures are rate-limited per client and logged."""
    settings: WebSettings = request.app.state.settings
    limiter: LoginLimiter = request.app.state.limiter
    client = client_of(request)
    name = str(form.get("name") or "")
    if limiter.blocked(client):
        log.warning("console: login refused for %s (too many failed attempts)", client)
        return page(request, "login.html", {"error": "too many failed logins; try again later"},
                    status_code=429)
    if name and verify_user(settings.store, name, str(form.get("password") or "")):
        limiter.succeeded(client)
        session_user(request, name)
        log.info("console: %s logged in from %s", name, client)
        return RedirectResponse("/", status_code=303)
    limiter.failed(client)
    log.warning("console: failed login for %r from %s", name, client)
    with settings.store.begin() as conn:
        record_event(conn, kind="login_failed", level="warning", document=f"user:{name}"[:300],
                     message=f"failed console login from {client}", details={"client": client})
    return page(request, "login.html", {"error": "wrong name or password"}, status_code=401)


@form_post
async def logout(request: Request, _form: FormData) -> Response:
    """End the session."""
    request.session.clear()
    return RedirectResponse("/login", status_code=303)


def routes() -> list[BaseRoute]:
    """Every route of the console."""
    return [
        Route("/", dashboard.dashboard),
        Route("/dashboard.json", dashboard.dashboard),
        Route("/dashboard/counts", dashboard.counts),
        *_twin("/orders", documents.orders_list),
        *_twin("/orders/{doc_id:int}", documents.order_detail),
        *_twin("/invoices", documents.invoices_list),
        *_twin("/invoices/{doc_id:int}", documents.invoice_detail),
        *_twin("/review", review.review_page),
        *_twin("/review/map", review.review_map, methods=["POST"]),
        *_twin("/review/{kind}/{doc_id:int}/accept", review.review_accept, methods=["POST"]),
        *_twin("/review/{kind}/{doc_id:int}/reject", review.review_reject, methods=["POST"]),
        *_twin("/review/{kind}/{doc_id:int}/merge", review.review_merge, methods=["POST"]),
        *_twin("/review/decisions/{decision_id:int}/delete", review.decision_delete, methods=["POST"]),
        *_twin("/quarantine", quarantine.quarantine_list),
        Route("/quarantine/{name}/download", quarantine.quarantine_download),
        *_twin("/quarantine/{name}/retry", quarantine.quarantine_retry, methods=["POST"]),
        Route("/quarantine/{name}", quarantine.quarantine_detail),
        *_twin("/history", records.history),
        *_twin("/feeds", feeds.feeds),
        *_twin("/feeds/{publication_id:int}/publish", feeds.publish_anyway, methods=["POST"]),
        *_twin("/products", records.products),
        Route("/login", login_page),
        Route("/login", login, methods=["POST"]),
        Route("/logout", logout, methods=["POST"]),
        Mount("/static", StaticFiles(directory=str(STATIC)), name="static"),
    ]


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if wants_json(request):
        return JSONResponse({"error": exc.detail}, status_code=exc.status_code)
    return page(request, "error.html", {"status": exc.status_code, "error": exc.detail},
                status_code=exc.status_code)


async def _csrf_refused(request: Request, _exc: Exception) -> Response:
    if wants_json(request):
        return JSONResponse({"error": "CSRF token missing or wrong"}, status_code=403)
    return page(request, "error.html", {"status": 403, "error": "the form has expired or did not come "
                                        "from this console (CSRF token missing or wrong); reload it"},
                status_code=403)


def create_app(settings: WebSettings) -> Starlette:
    """The console for a store; logins are needed off loopback, and whenever users exist."""
    middleware = [
        Middleware(SessionMiddleware, secret_key=settings.secret, session_cookie="exchange_session",
                   same_site="strict", https_only=settings.behind_tls, max_age=12 * 3600),
        Middleware(LoginRequired),
    ]
    app = Starlette(routes=routes(), middleware=middleware,
                    exception_handlers={HTTPException: _http_error, CsrfRefused: _csrf_refused})
    app.state.settings = settings
    app.state.templates = templates()
    app.state.charts = {}  # the dashboard's 30-day figures, kept a minute (pages/dashboard.py)
    app.state.choices = {}  # the listings' filter choices, kept a minute (pages/documents.py)
    app.state.limiter = LoginLimiter(settings.login_attempts, settings.login_window_s)
    app.state.login_required = lambda: not settings.loopback or has_users(settings.store)
    return app
