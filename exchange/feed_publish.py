"""Export a feed and publish it to an endpoint in one step; the destination's state moves only once it has it.

The feed is rendered and gated (``exchange.exporters.engine``), pushed (``exchange.sync.push``), and
only a delivered push records the publication and advances the destination's state. A held feed stays
in the staging folder; a queued or failed push leaves every change for the next run. A differential
of a feed whose platform is ``append-only`` gets its own remote name, so a shop fetching on its own
schedule misses none; the full feed keeps the plain name.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from exchange.errors import DocumentError, TransportError
from exchange.exporters.engine import (
    DEFAULT_FEED,
    Differential,
    ExportResult,
    ProfileLike,
    RenderedFeed,
    hold,
    record,
    render_feed,
)
from exchange.exporters.render import publish
from exchange.store import Store
from exchange.store.feeds import PublicationStatus
from exchange.sync.push import push, push_many
from exchange.transport import Endpoint, Transport, check_name, open_transport
from exchange.transport.endpoint import parse_endpoint


def destination_of(endpoint: str | Endpoint, remote_name: str) -> str:
    """The state key of a feed published as ``remote_name`` at ``endpoint``."""
    return f"{parse_endpoint(endpoint).url.rstrip('/')}/{remote_name}"


def changes_name(remote_name: str, stamp: str) -> str:
    """The remote name of one differential run of an append-only feed (``feed.changes-STAMP.xml``)."""
    path = Path(remote_name)
    return f"{path.stem}.changes-{stamp}{path.suffix}"


def publish_feed(store: Store, profile: ProfileLike, feed_name: str = DEFAULT_FEED, *,
                 endpoint: str | Endpoint, staging: Path, remote_name: str | None = None,
                 destination: str | None = None, changes: bool = False,
                 price_list: str | None = None, vat_included: bool | None = None,
                 warehouses: tuple[str, ...] | list[str] | None = None, label: str | None = None,
                 force: bool = False, overrides: Mapping[str, Any] | None = None,
                 dry_run: bool = False,
                 connect: Callable[[Endpoint], Transport] = open_transport) -> ExportResult:
    """Render FEED for the destination at ``endpoint`` and push it; record what the destination got.

    Raises:
        ConfigError, DocumentError, SchemaError: as :func:`exchange.exporters.engine.render_feed`.
    """
    ep = parse_endpoint(endpoint)
    name = check_name(remote_name or f"{Path(profile.name).stem}-{feed_name}.xml")
    dest = destination or destination_of(ep, name)
    staging.mkdir(parents=True, exist_ok=True)
    target = staging / name
    rendered = render_feed(store, profile, feed_name, target, destination=dest, changes=changes,
                           price_list=price_list, vat_included=vat_included, warehouses=warehouses,
                           label=label, force=force, overrides=overrides, dry_run=dry_run)
    result = rendered.result
    if dry_run:
        return result
    if not rendered.passed:
        return hold(store, rendered, target)
    if result.status is PublicationStatus.UNCHANGED:
        rendered.discard()
        return record(store, rendered, PublicationStatus.UNCHANGED)
    stamp = f"{rendered.started_at:%Y%m%dT%H%M%S%f}"
    differential_name = not result.full and rendered.differential is Differential.APPEND_ONLY
    result.remote_name = changes_name(name, stamp) if differential_name else name
    local = staging / f"{Path(name).stem}.{stamp}{Path(name).suffix}"
    if rendered.temp is not None:
        publish(rendered.temp, local)
        rendered.temp = None
    result.output = local
    if rendered.options.get("stock_availables") and ep.scheme in ("http", "https"):
        return _put_stock_availables(store, rendered, local, ep, staging, connect)
    try:
        pushed = push(local, ep, store, remote_name=result.remote_name,
                      spool_dir=staging / "outbox", connect=connect)
    finally:
        local.unlink(missing_ok=True)  # delivered, or copied into the outbox spool
    if pushed.delivered:
        return record(store, rendered, PublicationStatus.PUBLISHED)
    status = PublicationStatus.QUEUED if pushed.waiting else PublicationStatus.FAILED
    return record(store, rendered, status,
                  f"push to {ep} {'waits in the outbox' if pushed.waiting else 'failed'}: "
                  f"{pushed.entry.last_error}; the changes stay for the next run")


def _put_stock_availables(store: Store, rendered: RenderedFeed, local: Path, ep: Endpoint,
                          staging: Path, connect: Callable[[Endpoint], Transport]
                          ) -> ExportResult:
    """PrestaShop: each changed ``stock_available`` read from the shop and PUT to its own URL
    (:mod:`exchange.shopreturn.prestashop_stock`); published once every PUT is delivered."""
    from exchange.shopreturn.prestashop_stock import plan_stock

    result = rendered.result
    folder = staging / f".stock-availables-{rendered.started_at:%Y%m%dT%H%M%S%f}"
    folder.mkdir(parents=True, exist_ok=True)
    pushed = []
    try:
        try:
            plan = plan_stock(local, ep, folder, connect)
        except (TransportError, DocumentError) as exc:
            return record(store, rendered, PublicationStatus.FAILED,
                          f"reading PrestaShop's stock_availables: {exc}; nothing was sent, the "
                          "changes stay for the next run")
        result.warnings += plan.missing
        for update in plan.updates:  # each stock_available is PUT to its own URL, in order
            pushed += push_many([update.document], update.endpoint, store,
                                spool_dir=staging / "outbox", connect=connect)
    finally:
        local.unlink(missing_ok=True)
        shutil.rmtree(folder, ignore_errors=True)
    result.remote_name = "stock_availables"  # one resource per PUT, each at its own URL
    failed = [p for p in pushed if not p.delivered and not p.waiting]
    if failed:
        return record(store, rendered, PublicationStatus.FAILED,
                      "; ".join(f"{p.entry.remote_name}: {p.entry.last_error}" for p in failed)
                      + "; the changes stay for the next run")
    waiting = [p for p in pushed if p.waiting]
    if waiting:
        return record(store, rendered, PublicationStatus.QUEUED,
                      f"{len(waiting)} stock_available(s) wait in the outbox for {ep}")
    return record(store, rendered, PublicationStatus.PUBLISHED)
