"""What jobs do: pull and import a shop's files, export and push its feed, import a watched folder's files.

Registered explicitly in :data:`ACTIONS` (job ``do:`` value → function).
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from exchange.config import JobAction, ShopConfig
from exchange.errors import ConfigError
from exchange.jobs.runner import Action, JobContext, RunSummary

if TYPE_CHECKING:
    from exchange.importers.report import ImportReport


def _shop(ctx: JobContext) -> ShopConfig:
    return ctx.config.shops[ctx.job.shop]


def _importer(ctx: JobContext) -> Callable[[Path], ImportReport]:
    """Import one local file for the job's shop, as its configuration says."""
    from exchange.importers.engine import HistoryRun, import_file
    from exchange.profiles import load_profile

    shop = _shop(ctx)
    profile = load_profile(shop.profile)
    history = HistoryRun(job=ctx.job.name, run_id=ctx.run_id)

    def run(path: Path) -> ImportReport:
        return import_file(
            ctx.store, path, profile, shop.import_as, shop=shop.name,
            statuses=list(shop.statuses) or None, warehouse=shop.warehouse,
            point_of_sale=shop.point_of_sale, quarantine=ctx.config.folders.quarantine,
            history=history)

    return run


def _record(ctx: JobContext, report: ImportReport, summary: RunSummary) -> None:
    """Count a file's outcomes into the run (the import wrote its events into the run's history)."""
    for outcome, count in report.counts.items():
        if count:
            summary.add(outcome.value, count)
    if report.file_error is not None or not report.ok:
        summary.add("quarantined" if report.quarantined else "warnings")
    ctx.lease.renew()


def pull_and_import(ctx: JobContext) -> RunSummary:
    """Pull the shop's new files into the inbox, import each, then clean the remote copies up."""
    from exchange.pipeline import pull_and_import as pipeline

    shop = _shop(ctx)
    if not shop.orders_from:
        raise ConfigError(f"shop {shop.name!r} has no orders_from endpoint")
    summary = RunSummary()
    result = pipeline(ctx.store, shop.orders_from, ctx.config.folders.inbox, _importer(ctx),
                      stop=ctx.stop,
                      after_each=lambda _pulled, report: _record(ctx, report, summary))
    summary.add("pulled", len(result.imported) + len(result.deferred))
    if result.deferred:  # the file in hand was finished; the rest waits in the inbox
        summary.add("deferred", len(result.deferred))
    for skipped in result.skipped:
        ctx.event("not_taken", skipped.reason, document=skipped.name)
    return summary


def import_watched(ctx: JobContext) -> RunSummary:
    """Import the files that settled in a watched folder; move each to processed/ or failed/."""
    summary = RunSummary()
    folder = ctx.job.folder
    if folder is None:
        raise ConfigError(f"job {ctx.job.name!r}: a watch job needs a folder")
    importer = _importer(ctx)
    for path in ctx.files or []:
        if ctx.stop.is_set():
            summary.add("deferred")
            continue
        if not path.is_file():
            continue
        report = importer(path)
        _record(ctx, report, summary)
        accepted = report.file_error is None
        target = folder / ("processed" if accepted else "failed")
        target.mkdir(exist_ok=True)
        shutil.move(str(path), str(target / path.name))
    return summary


def export_and_push(ctx: JobContext) -> RunSummary:
    """Render the shop's feed; when it is published and the shop has feed_to, push it there."""
    from exchange.exporters.engine import export_feed
    from exchange.profiles import load_profile
    from exchange.sync.push import push

    shop = _shop(ctx)
    summary = RunSummary()
    folder = ctx.config.folders.feeds
    folder.mkdir(parents=True, exist_ok=True)
    output = folder / f"{shop.name}-{ctx.job.feed}.xml"
    result = export_feed(ctx.store, load_profile(shop.profile), ctx.job.feed, output)
    summary.add("items", result.item_count)
    if result.status != "published":
        summary.add("held")
        ctx.event("feed_held", result.reason, level="warning", document=output.name)
        return summary
    ctx.event("feed_written", f"{result.item_count} items", document=output.name)
    if shop.feed_to:
        pushed = push(output, shop.feed_to, ctx.store, spool_dir=folder / "outbox")
        if pushed.delivered:
            summary.add("pushed")
            ctx.event("pushed", f"to {pushed.entry.endpoint}", document=output.name)
        else:
            summary.add("queued")
            ctx.event("queued", pushed.entry.last_error or "waiting in the outbox",
                      level="warning", document=output.name)
    return summary


ACTIONS: dict[str, Action] = {
    JobAction.IMPORT.value: pull_and_import,
    JobAction.WATCH.value: import_watched,
    JobAction.EXPORT.value: export_and_push,
}
