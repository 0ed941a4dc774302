"""The dashboard: jobs, leases, the outbox, what waits for a person, and 30 days at a glance."""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from exchange.store.console import (
    count_events,
    daily_outcomes,
    feed_series,
    held_counts,
    latest_runs,
    lock_rows,
    outbox_pending,
)
from exchange.store.leases import SCHEDULER
from exchange.store.types import utcnow
from exchange.web.charts import Series, line, stacked_bars
from exchange.web.pages.quarantine import quarantined_files
from exchange.web.render import page
from exchange.web.settings import WebSettings

DAYS = 30


def _jobs(settings: WebSettings, runs: dict[str, dict[str, Any]], locks: list[dict[str, Any]],
          now: datetime) -> list[dict[str, Any]]:
    from exchange.config import JobAction
    from exchange.jobs.timing import next_run

    live = {lk["job"]: lk["holder"] for lk in locks if lk["expires_at"] > now}
    configured = settings.config.jobs if settings.config else {}
    names = list(configured) + sorted(set(runs) - set(configured))
    rows = []
    local_now = now.astimezone()
    for name in names:
        last = runs.get(name) or {}
        job = configured.get(name)
        upcoming = ""
        if job is not None:
            if job.action == JobAction.WATCH:
                upcoming = "on file arrival"
            else:
                due = next_run(job, last.get("started_at"), local_now)
                upcoming = due.strftime("%Y-%m-%d %H:%M") if due else "by hand only"
        rows.append({"job": name, "action": job.action if job else "", "configured": job is not None,
                     "last_started": last.get("started_at"), "last_finished": last.get("finished_at"),
                     "duration_s": last.get("duration_s"), "result": last.get("status", "never run"),
                     "next_run": upcoming, "holder": live.get(name, "")})
    return rows


def counts_data(settings: WebSettings) -> dict[str, Any]:
    """The dashboard's counters: what waits for a person, the outbox, the scheduler's holder."""
    now = utcnow()
    with settings.store.connect() as conn:
        locks = lock_rows(conn)
        pending = outbox_pending(conn)
        held = held_counts(conn)
        alerts = count_events(conn, "alert", now - timedelta(hours=24))
    scheduler = [lk for lk in locks if lk["job"] == SCHEDULER and lk["expires_at"] > now]
    return {"scheduler_holder": scheduler[0]["holder"] if scheduler else "", "leases": locks,
            "outbox_pending": pending, "held": held, "held_total": sum(held.values()),
            "quarantined": len(quarantined_files(settings.quarantine)), "alerts_24h": alerts}


CHART_TTL_S = 60.0  # the 30-day charts aggregate the whole history: drawn at most once a minute


def _chart_data(settings: WebSettings, cache: dict[str, Any]) -> tuple[Any, Any]:
    now = time.monotonic()
    if "at" not in cache or now - cache["at"] > CHART_TTL_S:
        with settings.store.connect() as conn:
            cache.update(at=now, daily=daily_outcomes(conn, DAYS, utcnow()), feeds=feed_series(conn))
    return cache["daily"], cache["feeds"]


def dashboard_data(settings: WebSettings, cache: dict[str, Any] | None = None) -> dict[str, Any]:
    """Everything the dashboard shows, as plain data (``cache`` keeps the charts' figures a minute)."""
    now = utcnow()
    counters = counts_data(settings)
    with settings.store.connect() as conn:
        runs = latest_runs(conn)
    daily, feeds = _chart_data(settings, {} if cache is None else cache)
    return {
        "jobs": _jobs(settings, runs, counters["leases"], now),
        **counters,
        "daily": [{"day": day, **counts} for day, counts in daily.items()],
        "feeds": {name: [{"at": p["created_at"], "status": p["status"], "items": p["item_count"]}
                         for p in pubs] for name, pubs in feeds.items()},
    }


def _charts(data: dict[str, Any]) -> dict[str, Any]:
    days = data["daily"]
    labels = [d["day"].isoformat() for d in days]
    bars = stacked_bars(labels, [
        Series("imported", "imported", [d["imported"] + d["updated"] for d in days]),
        Series("held", "held", [d["held"] for d in days]),
        Series("failed", "failed", [d["failed"] for d in days])],
        f"documents per day, last {DAYS} days")
    feeds = {name: line([p["at"].strftime("%Y-%m-%d %H:%M") for p in pubs],
                        [p["items"] for p in pubs], f"{name}: items per publication")
             for name, pubs in data["feeds"].items()}
    return {"daily_chart": bars, "feed_charts": feeds}


async def dashboard(request: Request) -> Response:
    """The dashboard page (``/``, twin ``/dashboard.json``)."""
    data = dashboard_data(request.app.state.settings, request.app.state.charts)
    return page(request, "dashboard.html", data, extra=_charts(data))


async def counts(request: Request) -> Response:
    """The counters alone: htmx refreshes them in place."""
    data = counts_data(request.app.state.settings)
    return page(request, "_counts.html", data)
