"""Quarantine: each failed file with its report, a download of the original, and Retry."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, RedirectResponse, Response

from exchange.cli.common import jsonable
from exchange.errors import ExchangeError
from exchange.jobs.quarantine import error_report_of
from exchange.jobs.quarantine import inspect as inspect_file
from exchange.jobs.quarantine import retry as retry_file
from exchange.web.auth import current_user, form_post
from exchange.web.render import page, wants_json

REPORT_SUFFIX = ".error.txt"


def quarantined_files(folder: Path) -> list[Path]:
    """The files waiting in the quarantine folder (not their reports, not resolved/)."""
    if not folder.is_dir():
        return []
    return sorted((p for p in folder.iterdir() if p.is_file() and not p.name.endswith(REPORT_SUFFIX)),
                  key=lambda p: p.stat().st_mtime, reverse=True)


def _entry(path: Path) -> dict[str, Any]:
    found = inspect_file(path)
    stat = path.stat()
    return {"name": path.name, "size": stat.st_size,
            "quarantined_at": datetime.fromtimestamp(stat.st_mtime, UTC),
            "profile": found.profile, "kind": found.kind, "shop": found.shop,
            "has_report": found.report is not None}


def _named(request: Request) -> Path:
    """The quarantined file a URL names; only names listed in the folder are served (no paths)."""
    name = str(request.path_params["name"])
    folder: Path = request.app.state.settings.quarantine
    for path in quarantined_files(folder):
        if path.name == name:
            return path
    raise HTTPException(404, f"no quarantined file {name!r}")


async def quarantine_list(request: Request) -> Response:
    """Every quarantined file, newest first."""
    folder: Path = request.app.state.settings.quarantine
    files = [_entry(p) for p in quarantined_files(folder)]
    return page(request, "quarantine.html", {"folder": str(folder), "files": files})


async def quarantine_detail(request: Request) -> Response:
    """One quarantined file's report."""
    path = _named(request)
    report = error_report_of(path)
    text = report.read_text(encoding="utf-8", errors="replace") if report.is_file() else ""
    return page(request, "quarantine_file.html", {**_entry(path), "report": text})


async def quarantine_download(request: Request) -> Response:
    """The original file, as it arrived."""
    path = _named(request)
    return FileResponse(path, filename=path.name, media_type="application/octet-stream",
                        content_disposition_type="attachment")


@form_post
async def quarantine_retry(request: Request, _form: FormData) -> Response:
    """Import the file again (after the profile or the data was fixed)."""
    path = _named(request)
    store = request.app.state.settings.store
    try:
        report = await asyncio.to_thread(retry_file, store, path)
        result = {"name": path.name, "ok": bool(report.ok), "summary": report.summary(),
                  "by": current_user(request)}
    except ExchangeError as exc:
        result = {"name": path.name, "ok": False, "summary": str(exc), "by": current_user(request)}
    if wants_json(request):
        return JSONResponse(jsonable(result))
    request.session["flash"] = f"{path.name}: {result['summary']}"
    return RedirectResponse("/quarantine", status_code=303)
