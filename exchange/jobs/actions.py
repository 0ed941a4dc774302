"""What jobs do: pull and import a shop's files, export and push its feed, import a watched folder's
files (POHODA's answers to a handoff among them), hand documents to the ERP, realise orders.

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
from exchange.store.feeds import PublicationStatus
from exchange.transport.local import refuse_reason

if TYPE_CHECKING:
    from exchange.importers.report import ImportReport
    from exchange.shopreturn.watermarks import WatermarkSettings
    from exchange.store.processed_files import FileOrigin
    from exchange.sync.pull import Prepare


def _shop(ctx: JobContext) -> ShopConfig:
    return ctx.config.shops[ctx.job.shop]


def _importer(ctx: JobContext) -> Callable[[Path, FileOrigin | None], ImportReport]:
    """Import one local file for the job's shop, as its configuration says."""
    from exchange.importers.run import HistoryRun, import_file
    from exchange.profiles import load_profile

    shop = _shop(ctx)
    profile = load_profile(shop.profile)
    if shop.anonymous_customer is not None:  # the shop's own retail customer wins the profile's
        options = profile.import_options.model_copy(
            update={"anonymous_customer": shop.anonymous_customer})
        profile = profile.model_copy(update={"import_options": options})
    history = HistoryRun(job=ctx.job.name, run_id=ctx.run_id)

    watermark = watermark_settings(shop, profile.import_options.timezone)

    def run(path: Path, origin: FileOrigin | None = None) -> ImportReport:
        return import_file(
            ctx.store, path, profile, shop.import_as, shop=shop.name,
            statuses=list(shop.statuses) or None, warehouse=shop.warehouse,
            point_of_sale=shop.point_of_sale, quarantine=ctx.config.folders.quarantine,
            history=history, origin=origin, watermark=watermark)

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
    source = _source_url(ctx, shop, shop.orders_from)
    result = pipeline(ctx.store, source, ctx.config.folders.inbox, _importer(ctx),
                      stop=ctx.stop,
                      after_each=lambda _pulled, report: _record(ctx, report, summary),
                      prepare=_resolver(ctx, shop, source))
    summary.add("pulled", len(result.imported) + len(result.deferred))
    if result.deferred:  # the file in hand was finished; the rest waits in the inbox
        summary.add("deferred", len(result.deferred))
    for skipped in result.skipped:
        ctx.event("not_taken", skipped.reason, document=skipped.name)
    return summary


def _resolver(ctx: JobContext, shop: ShopConfig, source: str) -> Prepare | None:
    """What completes each pulled file before its import, as the shop's profile says (or None)."""
    from exchange.profiles import load_profile
    from exchange.sync.prestashop_refs import resolver_for

    def warn(name: str, message: str) -> None:
        ctx.event("not_resolved", message, level="warning", document=name)

    return resolver_for(load_profile(shop.profile), shop.import_as, source, warn)


def _source_url(ctx: JobContext, shop: ShopConfig, url: str) -> str:
    """The shop's export URL with ``{since}`` (its watermark) and ``{until}`` (now) filled in."""
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    from exchange.profiles import load_profile
    from exchange.shopreturn.watermarks import has_range, ranged_url, since_for

    if not has_range(url):
        return url
    zone = load_profile(shop.profile).import_options.timezone
    settings = watermark_settings(shop, zone)
    return ranged_url(url, since=since_for(ctx.store, shop.name, shop.import_as, settings),
                      until=datetime.now(UTC), tz=ZoneInfo(zone), overlap=settings.overlap)


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
        refused = refuse_reason(folder, path)
        if refused == "vanished":
            continue
        if refused is not None:  # a symlink, or a file outside the folder: never read or moved
            summary.add("refused")
            summary.add("warnings")
            ctx.event("refused", f"{path.name}: {refused}", level="warning", document=path.name)
            continue
        if _is_erp_response(path):  # POHODA's answer to a handoff, back in the watched folder
            from exchange.handoff.responses import import_response

            answer = import_response(ctx.store, path, job=ctx.job.name, run_id=ctx.run_id)
            summary.add("erp_answers", len(answer.items))
            if answer.exit_code:
                summary.add("erp_refused")
                summary.add("warnings")
            accepted = True
        else:
            report = importer(path, None)
            _record(ctx, report, summary)
            accepted = report.file_error is None
        target = folder / ("processed" if accepted else "failed")
        target.mkdir(exist_ok=True)
        shutil.move(str(path), str(target / path.name))
    return summary


def _is_erp_response(path: Path) -> bool:
    from exchange.handoff.responses import is_import_response

    return path.suffix.lower() == ".xml" and is_import_response(path)


def export_and_push(ctx: JobContext) -> RunSummary:
    """Render the shop's feed for this job (a destination) and publish it to feed_to or the feeds folder.

    The job's state records what its destination last received. Where the feed's platform takes
    differential files, each run sends only what changed since then; otherwise a full feed.
    """
    from exchange.exporters.engine import Differential, differential_of, export_feed, feed_spec
    from exchange.feed_publish import publish_feed
    from exchange.profiles import load_profile

    shop = _shop(ctx)
    summary = RunSummary()
    folder = ctx.config.folders.feeds
    folder.mkdir(parents=True, exist_ok=True)
    profile = load_profile(shop.profile)
    name = f"{shop.name}-{ctx.job.feed}.xml"
    destination = f"job:{ctx.job.name}"
    if shop.feed_to:
        mode = differential_of(feed_spec(profile, ctx.job.feed).options or {})
        result = publish_feed(ctx.store, profile, ctx.job.feed, endpoint=shop.feed_to,
                              staging=folder, remote_name=name, destination=destination,
                              changes=mode is not Differential.NONE, overrides=ctx.job.options,
                              force=ctx.force)
    else:  # a file others fetch: always whole
        result = export_feed(ctx.store, profile, ctx.job.feed, folder / name,
                             destination=destination, overrides=ctx.job.options, force=ctx.force)
    if ctx.force and result.published:
        ctx.event("feed_forced", "; ".join(result.warnings) or "published past the feed gate",
                  level="warning", document=result.remote_name or name)
    summary.add("items", result.item_count)
    if result.withdrawn_count:
        summary.add("withdrawn", result.withdrawn_count)
    document = result.remote_name or name
    if result.status is PublicationStatus.HELD:
        summary.add("held")
        ctx.event("feed_held", result.reason, level="warning", document=document)
    elif result.status is PublicationStatus.UNCHANGED:
        ctx.event("feed_unchanged", "no changes: nothing published", document=document)
    elif result.status is PublicationStatus.QUEUED:
        summary.add("queued")
        ctx.event("queued", result.reason, level="warning", document=document)
    elif result.status is PublicationStatus.FAILED:
        summary.add("failed")
        ctx.event("push_failed", result.reason, level="error", document=document)
    else:
        summary.add("pushed" if shop.feed_to else "written")
        where = f"to {shop.feed_to}" if shop.feed_to else f"in {folder}"
        ctx.event("pushed" if shop.feed_to else "feed_written",
                  f"{result.item_count} items {where}", document=document)
    return summary


def reconcile_shop(ctx: JobContext) -> RunSummary:
    """Compare the shop's product export with the shop's feed; the drift counts go into the run."""
    import tempfile

    from exchange.exporters.reconcile import reconcile
    from exchange.profiles import load_profile

    shop = _shop(ctx)
    source = ctx.job.shop_export
    if not source:
        raise ConfigError(f"job {ctx.job.name!r}: a reconcile job needs shop_export")
    summary = RunSummary()
    with tempfile.TemporaryDirectory() as tmp:
        if "://" in source:
            from exchange.sync.fetch import fetch_file

            path = fetch_file(source, Path(tmp))
        else:
            path = Path(source)
        report = reconcile(ctx.store, load_profile(shop.profile), path, feed_name=ctx.job.feed,
                           shop_export_name=source)
    for kind, count in report.counts.items():
        summary.add(kind, count)
    if report.drifted:
        summary.add("warnings")
    ctx.event("reconciled", "; ".join(f"{k} {v}" for k, v in report.counts.items()),
              level="warning" if report.drifted else "info", document=source,
              details=report.as_dict())
    return summary


def hand_off_documents(ctx: JobContext) -> RunSummary:
    """Hand the shop's new and changed documents to the ERP's endpoint (pohoda or isdoc).

    The files are published atomically; while the endpoint is down they wait in the outbox, in
    order, as feeds do. The documents count as handed off once written or queued.
    """
    from exchange.handoff.run import hand_off, request_from

    job = ctx.job
    request = request_from(ctx.config, job.documents, job.format, output=None, endpoint=job.to,
                           shop=job.shop)
    result = hand_off(ctx.store, request, job=job.name, run_id=ctx.run_id)
    summary = RunSummary()
    summary.add("handed_off", result.documents)
    if result.updates:
        summary.add("changed", result.updates)
    if result.left_out:
        summary.add("left_out", len(result.left_out))
        summary.add("warnings")
    if result.push_status == "queued":
        summary.add("queued")
        ctx.event("queued", result.push_error, level="warning", document=job.to or "")
    elif result.push_status == "failed":
        summary.add("failed")
        ctx.event("push_failed", result.push_error, level="error", document=job.to or "")
    return summary


def realise_auto(ctx: JobContext) -> RunSummary:
    """``orders realise --auto`` for the job's shop; every decision is an event with its reasons."""
    from exchange.handoff.realise import Selection, realise_orders, settings_from_config

    report = realise_orders(ctx.store, Selection.AUTO, shop=ctx.job.shop,
                            settings=settings_from_config(ctx.config), job=ctx.job.name,
                            run_id=ctx.run_id)
    summary = RunSummary()
    summary.add("realised", len(report.realised))
    summary.add("not_realised", len(report.decisions) - len(report.realised))
    return summary


def watermark_settings(shop: ShopConfig, timezone: str) -> WatermarkSettings:
    """The shop's ``since:`` (naive: in the profile's time zone) and overlap."""
    from datetime import timedelta
    from zoneinfo import ZoneInfo

    from exchange.shopreturn.watermarks import WatermarkSettings, as_utc

    since = as_utc(shop.since, ZoneInfo(timezone)) if shop.since is not None else None
    return WatermarkSettings(since, timedelta(seconds=shop.watermark_overlap))


def send_status(ctx: JobContext) -> RunSummary:
    """Send the shop its orders whose status, payment or tracking changed (``do: status``).

    The job is the destination: it remembers what the shop confirmed. Without ``status_to`` the
    document is written into the feeds folder.
    """
    from exchange.profiles import load_profile
    from exchange.shopreturn.publish import export_order_status

    shop = _shop(ctx)
    summary = RunSummary()
    profile = load_profile(shop.profile)
    folder = ctx.config.folders.feeds
    folder.mkdir(parents=True, exist_ok=True)
    destination = f"job:{ctx.job.name}"
    if shop.status_to:
        result = export_order_status(ctx.store, profile, endpoint=shop.status_to, staging=folder,
                                     shop=shop.name, destination=destination)
    else:
        result = export_order_status(ctx.store, profile, output=folder, shop=shop.name,
                                     destination=destination)
    summary.add("orders", len(result.orders))
    for number, why in result.skipped:
        ctx.event("order_status_skipped", why, level="warning", document=number)
    if result.status is PublicationStatus.QUEUED:
        summary.add("queued")
        ctx.event("queued", result.reason, level="warning", document=destination)
    elif result.status is PublicationStatus.FAILED:
        summary.add("failed")
        ctx.event("push_failed", result.reason, level="error", document=destination)
    elif result.status is PublicationStatus.PUBLISHED:
        summary.add("pushed" if shop.status_to else "written", len(result.documents))
        ctx.event("order_status_sent", result.summary(), document=destination,
                  details=result.as_dict())
    return summary


ACTIONS: dict[str, Action] = {
    JobAction.IMPORT.value: pull_and_import,
    JobAction.WATCH.value: import_watched,
    JobAction.EXPORT.value: export_and_push,
    JobAction.RECONCILE.value: reconcile_shop,
    JobAction.HANDOFF.value: hand_off_documents,
    JobAction.REALISE.value: realise_auto,
    JobAction.STATUS.value: send_status,
}
