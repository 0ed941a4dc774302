"""The review queue page: held documents grouped by cause, and the decisions that release them."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from exchange.cli.common import jsonable
from exchange.config import Config
from exchange.errors import ExchangeError
from exchange.profiles import MAP_TARGETS, Profile, load_profile
from exchange.review.queue import review_queue
from exchange.review.release import (
    ProfileResolver,
    ReleaseReport,
    accept,
    map_value,
    merge_customer,
    reject,
)
from exchange.store.console import held_counts
from exchange.store.reviews import delete_decision, list_decisions
from exchange.web.auth import current_user, form_post
from exchange.web.render import page, wants_json
from exchange.web.settings import WebSettings

KINDS = ("orders", "invoices")


def resolver(config: Config | None) -> ProfileResolver:
    """Profiles by the shop's entry in exchange.yaml when there is one, else by name."""

    def resolve(name: str, shop: str) -> Profile:
        if config is not None and shop in config.shops:
            return load_profile(config.shops[shop].profile)
        return load_profile(name)

    return resolve


def _targets() -> dict[str, list[str]]:
    return {name: sorted(values) if values is not None else [] for name, values in MAP_TARGETS.items()}


async def review_page(request: Request) -> Response:
    """The queue (twin ``/review.json``)."""
    store = request.app.state.settings.store
    groups = await asyncio.to_thread(review_queue, store)
    with store.connect() as conn:
        decisions = list_decisions(conn)
        held = held_counts(conn)
    data = {"groups": [g.as_dict() for g in groups], "held_total": sum(held.values()),
            "decisions": decisions}
    flash = request.session.pop("flash", None)
    return page(request, "review.html", data, extra={"targets": _targets(), "flash": flash})


def _done(request: Request, report: ReleaseReport | None, message: str) -> Response:
    if wants_json(request):
        return JSONResponse(jsonable({"message": message,
                                      **(report.as_dict() if report else {})}))
    request.session["flash"] = message
    return RedirectResponse("/review", status_code=303)


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    if not isinstance(value, str) or not value.strip():
        raise HTTPException(400, f"{name} is required")
    return value.strip()


@form_post
async def review_map(request: Request, form: FormData) -> Response:
    """Map an unmapped value for a shop; every document waiting on it is re-processed at once."""
    settings: WebSettings = request.app.state.settings
    shop, field_name = _text(form, "shop"), _text(form, "field")
    value, target = _text(form, "value"), _text(form, "target")
    try:
        report = await asyncio.to_thread(
            map_value, settings.store, shop=shop, field_name=field_name, value=value, target=target,
            who=current_user(request) or "", resolve=resolver(settings.config))
    except ExchangeError as exc:
        return _done(request, None, f"not mapped: {exc}")
    return _done(request, report, f"{field_name} {value!r} → {target} for {shop}: {report.summary()}")


def _doc(request: Request) -> tuple[str, int]:
    kind = str(request.path_params["kind"])
    if kind not in KINDS:
        raise HTTPException(404, f"no such kind {kind!r}")
    return kind, int(request.path_params["doc_id"])


async def _release(request: Request, release: Callable[..., ReleaseReport], done: str,
                   failed: str) -> Response:
    """Re-process one held document from its original with ``release`` (accept or merge)."""
    settings: WebSettings = request.app.state.settings
    kind, doc_id = _doc(request)
    try:
        report = await asyncio.to_thread(release, settings.store, kind, doc_id,
                                         who=current_user(request) or "",
                                         resolve=resolver(settings.config))
    except ExchangeError as exc:
        return _done(request, None, f"{failed}: {exc}")
    return _done(request, report, f"{done}: {report.summary()}")


@form_post
async def review_accept(request: Request, _form: FormData) -> Response:
    """Accept what the file says for one document (a held change, or a hold to re-process)."""
    return await _release(request, accept, "accepted", "not accepted")


@form_post
async def review_merge(request: Request, _form: FormData) -> Response:
    """A customer-conflict hold: the new customer is the one sharing the e-mail (remembered)."""
    return await _release(request, merge_customer, "merged", "not merged")


@form_post
async def review_reject(request: Request, _form: FormData) -> Response:
    """Reject a held change: the stored version stands."""
    settings: WebSettings = request.app.state.settings
    kind, doc_id = _doc(request)
    try:
        await asyncio.to_thread(reject, settings.store, kind, doc_id, who=current_user(request) or "")
    except ExchangeError as exc:
        return _done(request, None, f"not rejected: {exc}")
    return _done(request, None, "rejected: the stored version stands")


@form_post
async def decision_delete(request: Request, _form: FormData) -> Response:
    """Forget a remembered decision (documents already released stay as they are)."""
    with request.app.state.settings.store.begin() as conn:
        gone = delete_decision(conn, int(request.path_params["decision_id"]))
    return _done(request, None, "decision forgotten" if gone else "no such decision")
