"""The feeds page: each destination's last publication, "publish anyway" for a held one, drift.

A held feed was stopped by its gate (it lost too many items, or has none). When the hold came from
an export job of ``exchange.yaml`` (its destination is ``job:NAME``), the page offers "publish
anyway": the job runs once at once with ``force``, as ``exchange run --once NAME --force`` does, and
the history records who asked. The drift table shows the newest report of every shop export that
a reconcile job or ``exchange reconcile`` compared with the feed.
"""

from __future__ import annotations

import asyncio
from typing import Any

from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from exchange.cli.common import jsonable
from exchange.config import Config, JobAction
from exchange.errors import ExchangeError
from exchange.exporters.reconcile import DRIFT_KINDS
from exchange.store.console import last_publications, latest_reconciliations, publication_row
from exchange.store.history import record_event
from exchange.web.auth import current_user, form_post
from exchange.web.render import page, wants_json

JOB_DESTINATION = "job:"
DRIFT_SAMPLE = 5  # items of each drift kind shown


def forcing_job(config: Config | None, destination: str) -> str | None:
    """The export job that publishes to ``destination``, when the console may run it with force."""
    if config is None or not destination.startswith(JOB_DESTINATION):
        return None
    name = destination[len(JOB_DESTINATION):]
    job = config.jobs.get(name)
    return name if job is not None and job.action is JobAction.EXPORT else None


def _drift(row: dict[str, Any]) -> dict[str, Any]:
    details = row.get("details") or {}
    counts = details.get("counts", {k: v for k, v in details.items() if isinstance(v, int)})
    samples = {kind: items[:DRIFT_SAMPLE] for kind, items in details.items()
               if isinstance(items, list)}
    return {"id": row["id"], "shop_export": row["document"], "at": row["at"],
            "level": row["level"], "counts": counts, "samples": samples}


async def feeds(request: Request) -> Response:
    """The last publication (or hold) of every feed at every destination, and the drift reports."""
    settings = request.app.state.settings
    with settings.store.connect() as conn:
        rows = last_publications(conn)
        drift = [_drift(r) for r in latest_reconciliations(conn)]
    for row in rows:
        row["force_job"] = (forcing_job(settings.config, row["destination"])
                            if row["status"] == "held" else None)
    return page(request, "feeds.html", {"feeds": rows, "drift": drift},
                extra={"drift_kinds": DRIFT_KINDS})


@form_post
async def publish_anyway(request: Request, _form: FormData) -> Response:
    """Run the export job behind a held publication once, past its gate."""
    from exchange.jobs.actions import ACTIONS
    from exchange.jobs.runner import run_job

    settings = request.app.state.settings
    publication_id = int(request.path_params["publication_id"])
    with settings.store.connect() as conn:
        held = publication_row(conn, publication_id)
    if held is None:
        raise HTTPException(404, f"no feed publication {publication_id}")
    job = forcing_job(settings.config, held["destination"])
    if held["status"] != "held" or not held["newest"] or job is None:
        raise HTTPException(409, "only the newest hold of an export job of exchange.yaml can be "
                                 "published from here; else use `exchange export … --force`")
    user = current_user(request) or "?"
    with settings.store.begin() as conn:
        record_event(conn, kind="feed_force_asked",
                     message=f"{user} asked to publish {held['feed']} anyway "
                             f"(held: publication {publication_id})",
                     level="warning", job=job, document=held["feed"], details={"by": user})
    try:
        outcome = await asyncio.to_thread(run_job, settings.store, settings.config,
                                          settings.config.job(job), actions=ACTIONS,
                                          holder=f"console:{user}", force=True)
        result: dict[str, Any] = {
            "job": job, "ok": outcome.status != "failed", "status": outcome.status,
            "counts": outcome.counts, "message": outcome.message, "by": user}
    except ExchangeError as exc:
        result = {"job": job, "ok": False, "status": "failed", "counts": {}, "message": str(exc),
                  "by": user}
    if wants_json(request):
        return JSONResponse(jsonable(result), status_code=200 if result["ok"] else 502)
    counts = ", ".join(f"{k} {v}" for k, v in sorted(result["counts"].items()))
    request.session["flash"] = (f"{job}: {result['status']}" + (f", {counts}" if counts else "")
                                + (f": {result['message']}" if result["message"] else ""))
    return RedirectResponse("/feeds", status_code=303)
