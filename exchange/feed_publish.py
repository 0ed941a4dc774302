"""Export a feed and publish it to an endpoint in one step; the destination's state moves only once it has it.

The feed is rendered and gated (``exchange.exporters.engine``), pushed (``exchange.sync.push``), and
only a delivered push records the publication and advances the destination's state. A held feed stays
in the staging folder; a queued or failed push leaves every change for the next run. A differential
of a feed whose platform is ``append-only`` gets its own remote name, so a shop fetching on its own
schedule misses none; the full feed keeps the plain name.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from exchange.exporters.engine import (
    DEFAULT_FEED,
    Differential,
    ExportResult,
    ProfileLike,
    hold,
    record,
    render_feed,
)
from exchange.exporters.render import publish
from exchange.store import Store
from exchange.store.feeds import PublicationStatus
from exchange.sync.push import push
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
