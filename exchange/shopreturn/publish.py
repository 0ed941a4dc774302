"""``exchange export order-status``: the orders whose outgoing state changed since a destination last
confirmed, rendered through the profile's status template and published; the destination's state
advances only once it has them.

A destination remembers the newest outgoing event it confirmed. An export whose push waits in the
outbox is *pending*: the next export sends only what came after it (so the shop never hears a
change twice), and the pending export counts as confirmed once the outbox has delivered all of it.
If the outbox gives up on it (a failed entry), its changes are sent again.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection

from exchange.documents import OrderStatus
from exchange.errors import ConfigError, DocumentError, TransportError
from exchange.exporters.render import load_template, publish, render_to_temp
from exchange.profiles import Profile
from exchange.profiles.models import StatusExport, ValueMap
from exchange.profiles.vocabulary import DocumentKind, StatusSplit
from exchange.shopreturn.events import PAID, collect_changes
from exchange.shopreturn.prestashop import CarrierUpdate, carrier_updates
from exchange.shopreturn.templates import OrderView, build_environment, order_view, render_plain
from exchange.store import Store
from exchange.store.feeds import PublicationStatus, record_publication
from exchange.store.order_status import (
    DestinationState,
    changed_orders,
    destination_state,
    last_event_id,
    outbox_states,
    save_destination,
)
from exchange.store.outbox import OutboxStatus
from exchange.store.types import utcnow
from exchange.sync.push import push_many
from exchange.transport import Endpoint, Transport, check_name, open_transport
from exchange.transport.endpoint import parse_endpoint

#: Before these an order's payment is its confirmation: ``paid`` falls back to ``confirmed``.
_BEFORE_PROCESSING = {OrderStatus.NEW.value, OrderStatus.CONFIRMED.value, OrderStatus.ON_HOLD.value}


@dataclass
class StatusExportResult:
    """What one status export did."""

    profile: str
    shop: str
    destination: str
    status: PublicationStatus
    orders: list[str] = field(default_factory=list)  # numbers of the orders sent
    documents: list[str] = field(default_factory=list)  # remote (or file) names
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (number, why)
    reason: str = ""
    confirmed: int = 0  # the destination's confirmed event after the export
    dry_run: bool = False
    started_at: datetime = field(default_factory=utcnow)

    @property
    def ok(self) -> bool:
        """True unless the push failed for good."""
        return self.status is not PublicationStatus.FAILED

    def summary(self) -> str:
        """One line for the terminal."""
        what = f"{len(self.orders)} order(s) in {len(self.documents)} document(s)"
        if self.dry_run:
            return f"order status for {self.shop}: would send {what} to {self.destination}" \
                if self.orders else f"order status for {self.shop}: nothing to send"
        if self.status is PublicationStatus.UNCHANGED:
            return f"order status for {self.shop}: no changes for {self.destination}"
        tail = f": {self.reason}" if self.reason else ""
        return f"order status for {self.shop}: {what} {self.status.value}{tail}"

    def as_dict(self) -> dict[str, Any]:
        """For ``--json`` and the history."""
        return {"profile": self.profile, "shop": self.shop, "destination": self.destination,
                "status": self.status.value, "orders": self.orders, "documents": self.documents,
                "skipped": [{"order": n, "reason": r} for n, r in self.skipped],
                "reason": self.reason, "confirmed_event": self.confirmed, "dry_run": self.dry_run}


def status_spec(profile: Profile) -> StatusExport:
    """The profile's ``order_status:`` section; ConfigError when it has none."""
    if profile.order_status is None:
        raise ConfigError(f"profile {profile.name!r} has no order_status: section (status templates "
                          "ship with prestashop, upgates and native; see docs/shop-return.md)")
    return profile.order_status


def status_map(profile: Profile) -> ValueMap | None:
    """The status map of the profile's orders (what the shop calls each ERP status)."""
    if DocumentKind.ORDERS not in profile.kinds:
        return None
    return profile.mapping(DocumentKind.ORDERS).maps.get("status")


def shop_status_of(vmap: ValueMap | None, row: dict[str, Any]) -> str:
    """The shop's value for the order's outgoing status ('' when the map sends none back).

    A payment the ERP recorded goes back as ``paid``; a shop without an outgoing ``paid`` hears
    ``confirmed`` for an order not yet processed, and its current status otherwise.
    """
    status = str(row["status"])
    if vmap is None:
        return status
    if row.get("kind") == PAID:
        for candidate in (PAID, *((OrderStatus.CONFIRMED.value,) if status in _BEFORE_PROCESSING
                                  else ())):
            found = vmap.outgoing(candidate)
            if found is not None:
                return found
    return vmap.outgoing(status) or ""


def destination_for(endpoint: str | Endpoint | None, output: Path | None, shop: str) -> str:
    """The state key of a status destination: an endpoint's URL or a file, per shop."""
    if endpoint is not None:
        return f"order-status:{shop}:{parse_endpoint(endpoint).url}"
    return f"order-status:{shop}:file:{Path(output or '').resolve()}"


def _settle(conn: Connection, state: DestinationState) -> DestinationState:
    """A pending export whose outbox entries were all delivered is confirmed; a failed one forgotten."""
    if state.pending is None:
        return state
    found = outbox_states(conn, state.pending_entries)
    statuses = [found.get(i) for i in state.pending_entries]
    if all(s == OutboxStatus.DELIVERED for s in statuses):
        return DestinationState(state.destination, state.pending)
    if any(s != OutboxStatus.PENDING for s in statuses):  # given up (or removed): send again
        return DestinationState(state.destination, state.confirmed)
    return state


def _documents(spec: StatusExport, views: list[OrderView]) -> list[tuple[dict[str, Any], str]]:
    """(template context, name) per document, as the spec splits the orders."""
    stamp = f"{utcnow():%Y%m%dT%H%M%S%f}"
    if spec.split is StatusSplit.ORDER:
        return [({"orders": [v], "order": v, "columns": list(spec.columns)},
                 spec.name.format(stamp=stamp, number=v.number, columns=""))
                for v in views]
    if spec.split is StatusSplit.COLUMNS:
        groups: dict[tuple[str, ...], list[OrderView]] = {}
        for v in views:
            groups.setdefault(tuple(c for c in spec.columns if v.filled(c)), []).append(v)
        return [({"orders": group, "columns": list(cols)},
                 spec.name.format(stamp=stamp, number="", columns="-".join(cols) or "none"))
                for cols, group in groups.items()]
    return [({"orders": views, "columns": list(spec.columns)},
             spec.name.format(stamp=stamp, number="", columns=""))]


def export_order_status(store: Store, profile: Profile, *, endpoint: str | Endpoint | None = None,
                        output: Path | None = None, staging: Path = Path("feeds"),
                        shop: str | None = None, destination: str | None = None,
                        dry_run: bool = False,
                        connect: Callable[[Endpoint], Transport] = open_transport
                        ) -> StatusExportResult:
    """Send the shop the orders whose outgoing state changed since ``destination`` confirmed.

    Raises:
        ConfigError: no ``order_status:`` in the profile, a template that is missing or broken.
        DocumentError: the template raised while rendering.
    """
    if (endpoint is None) == (output is None):
        raise ConfigError("give either an endpoint or an output file")
    spec = status_spec(profile)
    shop = shop or profile.import_options.shop
    dest = destination or destination_for(endpoint, output, shop)
    env = build_environment(spec.template_dir)
    template = load_template(env, spec.template)
    vmap = status_map(profile)
    result = StatusExportResult(profile.name, shop, dest, PublicationStatus.UNCHANGED,
                                dry_run=dry_run)
    if dry_run:  # what would go, with nothing written: the realised orders' events rolled back
        with store.connect() as conn:
            trans = conn.begin()
            try:
                state, upto, rows = _changes(conn, dest, shop)
            finally:
                trans.rollback()
    else:
        with store.begin() as conn:
            collect_changes(conn)  # realised orders since the last look
        with store.connect() as conn:
            state, upto, rows = _changes(conn, dest, shop, collect=False)
    views: list[OrderView] = []
    for row in rows:
        view = order_view(row, shop_status_of(vmap, row), profile.import_options.timezone)
        if spec.split is StatusSplit.ORDER and not view.shop_status:
            result.skipped.append((view.number, f"the status map sends nothing back for "
                                                f"{view.status!r} (give it direction out or both)"))
            continue
        views.append(view)
    if dry_run:
        result.orders = [v.number for v in views]
        result.documents = [name for _ctx, name in _documents(spec, views)] if views else []
        result.confirmed = state.confirmed
        return result
    if not views:
        # nothing to send: the events seen (if any were skipped) are confirmed all the same
        _finish(store, result, DestinationState(dest, upto if state.pending is None
                                                else state.confirmed, state.pending,
                                                state.pending_entries), len(rows))
        return result
    result.orders = [v.number for v in views]
    # an output folder (a job's feeds folder) takes the spec's names; an output file its own
    into = None if output is None else output if output.is_dir() else output.parent
    folder = (staging if into is None else into) / \
        f".order-status-{result.started_at:%Y%m%dT%H%M%S%f}"
    folder.mkdir(parents=True, exist_ok=True)
    files: list[Path] = []
    carriers: list[CarrierUpdate] = []
    try:
        documents = views
        if endpoint is not None and spec.options.get("order_carriers"):
            # PrestaShop: tracking numbers by order_carriers, read before anything is sent;
            # an order whose tracking number alone changed gets no order_history (no e-mail)
            try:
                carriers, skipped = carrier_updates(views, parse_endpoint(endpoint), folder,
                                                    connect)
            except (TransportError, DocumentError) as exc:
                result.status = PublicationStatus.FAILED
                result.reason = (f"reading PrestaShop's order_carriers: {exc}; nothing was "
                                 "sent, the changes stay for the next run")
                _finish(store, result, state, len(rows))
                return result
            result.skipped += skipped
            documents = [v for v in views if set(v.changes) != {"tracking"}]
        for i, (context, name) in enumerate(_documents(spec, documents) if documents else []):
            target = _target(folder, name, None if output is None or output.is_dir() else output,
                             i)
            values = {**context, "shop": shop, "profile": profile.name,
                      "generated_at": result.started_at, "options": spec.options}
            if endpoint is None:
                publish(render_to_temp(template, values, target), target)  # durable: it stays
            else:
                # a staging copy, gone after the push (what waits is copied into the spool):
                # no fsync per document, which cost 6 ms each
                render_plain(template, values, target)
            files.append(target)
        result.documents = [f.name for f in files] + [c.document.name for c in carriers]
        if endpoint is None:
            for f in files:
                publish(f, (into or Path()) / f.name)
            result.status = PublicationStatus.PUBLISHED
            _finish(store, result, DestinationState(dest, upto), len(rows))
            return result
        pushed = push_many(files, endpoint, store, spool_dir=staging / "outbox",
                           connect=connect) if files else []
        for carrier in carriers:  # each order_carrier is PUT to its own URL
            pushed += push_many([carrier.document], carrier.endpoint, store,
                                spool_dir=staging / "outbox", connect=connect)
    finally:
        for f in (*files, *(c.document for c in carriers)):
            f.unlink(missing_ok=True)
        if folder.exists() and not any(folder.iterdir()):
            folder.rmdir()
    failed = [p for p in pushed if not p.delivered and not p.waiting]
    waiting = [p.entry.id for p in pushed if p.waiting]
    if failed:
        result.status = PublicationStatus.FAILED
        result.reason = "; ".join(f"{p.entry.remote_name}: {p.entry.last_error}" for p in failed) \
            + "; the changes stay for the next run"
        _finish(store, result, state, len(rows))
    elif waiting:
        result.status = PublicationStatus.QUEUED
        result.reason = f"{len(waiting)} document(s) wait in the outbox for {parse_endpoint(endpoint)}"
        _finish(store, result, DestinationState(dest, state.confirmed, upto,
                                                (*state.pending_entries, *waiting)), len(rows))
    else:
        # the outbox delivers an endpoint's queue in order: an earlier pending export went first
        result.status = PublicationStatus.PUBLISHED
        _finish(store, result, DestinationState(dest, upto), len(rows))
    return result


def _changes(conn: Connection, destination: str, shop: str, *, collect: bool = True
             ) -> tuple[DestinationState, int, list[dict[str, Any]]]:
    """The destination's settled state, the newest event, and the orders changed since it."""
    if collect:
        collect_changes(conn)
    state = _settle(conn, destination_state(conn, destination))
    after = state.pending if state.pending is not None else state.confirmed
    upto = last_event_id(conn, shop)
    return state, upto, changed_orders(conn, shop, after, upto)


def _target(folder: Path, name: str, output: Path | None, index: int) -> Path:
    if output is None:
        return folder / check_name(name)
    if index == 0:
        return folder / output.name
    return folder / f"{output.stem}-{index + 1}{output.suffix}"


def _finish(store: Store, result: StatusExportResult, state: DestinationState, seen: int) -> None:
    """Store the destination's new state and the export's record, in one transaction."""
    result.confirmed = state.confirmed
    with store.begin() as conn:
        save_destination(conn, state)
        record_publication(conn, f"order-status:{result.profile}", result.status,
                           len(result.orders), result.started_at, _names(result.documents),
                           {**result.as_dict(), "events_seen": seen}, destination=result.destination)


def with_template(profile: Profile, template: str | None) -> Profile:
    """The profile sending its status through ``template`` (e.g. the generic native/order-status.xml.j2)."""
    if template is None:
        return profile
    base = profile.order_status
    spec = StatusExport.model_validate(
        {"template": template, "split": StatusSplit.ALL.value,
         "name": "order-status-{stamp}" + "".join(Path(template.removesuffix(".j2")).suffixes)})
    if base is not None and base.template_dir is not None:
        spec = spec.model_copy(update={"template_dir": base.template_dir})
    return profile.model_copy(update={"order_status": spec})


def _names(documents: list[str], limit: int = 900) -> str:
    """The documents' names for the publication's ``output`` (a column of 1,000 characters)."""
    joined = ", ".join(documents)
    if len(joined) <= limit:
        return joined
    return f"{documents[0][:400]} … {documents[-1][:400]} ({len(documents)} documents)"


def destination_rows(store: Store) -> list[dict[str, Any]]:
    """Each status destination: the newest event it confirmed, and documents still in the outbox."""
    from exchange.store.order_status import list_destinations

    with store.connect() as conn:
        states = list_destinations(conn)
        waiting = outbox_states(conn, [i for s in states for i in s.pending_entries])
    return [{"destination": s.destination, "confirmed_event": s.confirmed,
             "waiting": sum(1 for i in s.pending_entries if waiting.get(i) == OutboxStatus.PENDING)}
            for s in states]
