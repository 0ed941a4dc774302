"""Exporting a feed: query the store, render the profile's template, gate, publish, record.

A feed goes to a *destination*: a file (``-o``, always full, no state), or a job or endpoint whose
state records what it last received. :func:`render_feed` renders and gates without touching any
state; :func:`confirm` records the publication and advances the destination's state in one
transaction, once the destination really has the feed (see ``exchange.feed_publish``).
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from itertools import islice
from pathlib import Path
from typing import Any, Protocol

from exchange.errors import ConfigError, SchemaError
from exchange.exporters import gate
from exchange.exporters.query import ItemStream, StockRule
from exchange.exporters.render import (
    attributes_used,
    build_environment,
    load_template,
    publish,
    render_to_temp,
)
from exchange.exporters.validate import resolve_schema, validate_feed
from exchange.store import Store
from exchange.store.feeds import (
    FeedQuery,
    PublicationStatus,
    feed_codes,
    linked_ids,
    price_list_info,
    record_publication,
    save_shown_codes,
    shown_codes,
)
from exchange.store.types import utcnow

DEFAULT_FEED = "pricelist"
DRY_RUN_SAMPLE = 10
FILE_DESTINATION = "output:"  # a -o file: history for the gate, no differential state


class Differential(StrEnum):
    """How a feed's platform takes differential files (the feed option ``differential``)."""

    NONE = "none"  # each file is the whole catalogue (a shop pulling a URL): always full
    REPLACE = "replace"  # each delivered file is applied at once: a differential replaces the last
    APPEND_ONLY = "append-only"  # every differential gets its own file; the shop reads them all


class FeedContent(StrEnum):
    """What a feed carries (the feed option ``content``)."""

    ALL = "all"
    STOCK = "stock"
    PRICES = "prices"


class ProfileLike(Protocol):
    """What the engine reads of a profile: its name and its feeds (read-only, as on a frozen model)."""

    @property
    def name(self) -> str: ...

    @property
    def exports(self) -> Any: ...


@dataclass
class ExportResult:
    """What one export did: published, held or unchanged, how many items, against which run."""

    feed: str
    profile: str
    feed_key: str
    status: PublicationStatus
    output: Path
    item_count: int
    full: bool
    since: datetime | None
    previous_count: int | None
    drop_share: float
    price_list: str
    currency: str
    vat_included: bool
    reason: str = ""
    held_report: Path | None = None
    publication_id: int = 0
    destination: str = ""
    remote_name: str = ""
    withdrawn_count: int = 0
    warnings: list[str] = field(default_factory=list)
    sample: list[dict[str, Any]] = field(default_factory=list)
    dry_run: bool = False

    @property
    def published(self) -> bool:
        """True when the destination has the feed."""
        return self.status is PublicationStatus.PUBLISHED

    @property
    def ok(self) -> bool:
        """True unless the feed was held, queued or failed (nothing to publish is fine)."""
        return self.status in (PublicationStatus.PUBLISHED, PublicationStatus.UNCHANGED)

    def summary(self) -> str:
        """One line for people."""
        kind = "full" if self.full else f"changes since {self.since:%Y-%m-%d %H:%M:%S} UTC"
        hidden = f", {self.withdrawn_count} withdrawn" if self.withdrawn_count else ""
        to_file = not self.destination or self.destination.startswith(FILE_DESTINATION)
        where = f"written to {self.output}" if to_file else f"published to {self.destination}"
        if self.dry_run:
            verdict = "would be published" if self.ok else f"would be HELD: {self.reason}"
            return f"{self.feed_key}: dry run, {self.item_count} items ({kind}){hidden}; {verdict}"
        if self.status is PublicationStatus.UNCHANGED:
            return f"{self.feed_key}: no changes since {self.since:%Y-%m-%d %H:%M:%S} UTC; nothing published"
        if self.published:
            return f"{self.feed_key}: {self.item_count} items ({kind}){hidden} {where}"
        if self.status is PublicationStatus.HELD:
            return f"{self.feed_key}: HELD, {self.reason}; kept aside in {self.output}"
        return f"{self.feed_key}: NOT published ({self.status.value}): {self.reason}"

    def as_dict(self) -> dict[str, Any]:
        """The result as plain data (for --json and the publication record)."""
        return {
            "feed": self.feed, "profile": self.profile, "feed_key": self.feed_key,
            "status": self.status.value, "output": str(self.output), "item_count": self.item_count,
            "full": self.full, "since": self.since.isoformat() if self.since else None,
            "previous_count": self.previous_count, "drop_share": round(self.drop_share, 4),
            "price_list": self.price_list, "currency": self.currency,
            "vat_included": self.vat_included, "reason": self.reason,
            "held_report": str(self.held_report) if self.held_report else None,
            "destination": self.destination, "remote_name": self.remote_name,
            "withdrawn_count": self.withdrawn_count, "warnings": self.warnings,
            "dry_run": self.dry_run, "sample": self.sample,
        }


@dataclass
class RenderedFeed:
    """A feed rendered and gated, not yet published: the file, its verdict and the codes it shows."""

    result: ExportResult
    temp: Path | None
    started_at: datetime
    shown: list[str]
    withdrawn: list[str]
    passed: bool
    differential: Differential
    options: Mapping[str, Any]  # the feed's options with the call's overrides

    def discard(self) -> None:
        """Remove the rendered file (nothing was published)."""
        if self.temp is not None:
            self.temp.unlink(missing_ok=True)
            self.temp = None


def feed_spec(profile: ProfileLike, feed_name: str) -> Any:
    """The profile's feed ``feed_name``; ConfigError listing the feeds it offers."""
    try:
        return profile.exports[feed_name]
    except KeyError:
        offered = ", ".join(sorted(profile.exports)) or "none"
        raise ConfigError(f"profile {profile.name!r} has no feed {feed_name!r}; it offers: {offered}") \
            from None


def feed_key(profile_name: str, feed_name: str, label: str | None) -> str:
    """The name a feed's history is kept under: profile/feed, plus @label when filtered by label."""
    return f"{profile_name}/{feed_name}" + (f"@{label}" if label else "")


def _bool_option(options: Mapping[str, Any], key: str, default: bool) -> bool:
    value = options.get(key, default)
    if not isinstance(value, bool):
        raise ConfigError(f"feed option {key!r} must be true or false, not {value!r}")
    return value


def _amount_option(options: Mapping[str, Any], key: str) -> Decimal | None:
    value = options.get(key)
    if value is None:
        return None
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        amount = Decimal(-1)
    if isinstance(value, bool) or not amount.is_finite() or amount < 0:
        raise ConfigError(f"feed option {key!r} must be a number of 0 or more, not {value!r}")
    return amount


def differential_of(options: Mapping[str, Any]) -> Differential:
    """The feed's declared differential mode (``true`` reads as append-only, ``false`` as none)."""
    value = options.get("differential", Differential.NONE.value)
    if value is True:
        return Differential.APPEND_ONLY
    if value is False or value is None:
        return Differential.NONE
    try:
        return Differential(str(value))
    except ValueError:
        raise ConfigError(f"feed option 'differential' must be one of "
                          f"{', '.join(d.value for d in Differential)}, not {value!r}") from None


def content_of(options: Mapping[str, Any]) -> FeedContent:
    """What the feed carries: all, stock only or prices only."""
    value = options.get("content", FeedContent.ALL.value)
    try:
        return FeedContent(str(value))
    except ValueError:
        raise ConfigError(f"feed option 'content' must be one of "
                          f"{', '.join(c.value for c in FeedContent)}, not {value!r}") from None


def _validate_or_set_aside(temp: Path, target: Path, schema_name: str,
                           profile_path: Path | None) -> None:
    """Validate a rendered feed against its schema; an invalid one is kept as FILE.invalid, unpublished."""
    schema = resolve_schema(schema_name, profile_path)
    try:
        validate_feed(temp, schema, display_name=target.name)
    except SchemaError:
        os.replace(temp, target.with_name(target.name + ".invalid"))
        raise


def _withdrawn_shown(options: Mapping[str, Any]) -> bool:
    """Whether withdrawn products are sent as hidden (``withdrawn: hide``) or just left out (``omit``)."""
    value = options.get("withdrawn", "hide")
    if value not in ("hide", "omit"):
        raise ConfigError(f"feed option 'withdrawn' must be hide or omit, not {value!r}")
    return bool(value == "hide")


def _sample(item: Any) -> dict[str, Any]:
    return {"code": item.code, "name": item.name, "price": item.price, "available": item.available,
            "hidden": item.hidden}


def render_feed(store: Store, profile: ProfileLike, feed_name: str, target: Path, *,
                destination: str = "", changes: bool = False, price_list: str | None = None,
                vat_included: bool | None = None,
                warehouses: tuple[str, ...] | list[str] | None = None, label: str | None = None,
                force: bool = False, overrides: Mapping[str, Any] | None = None,
                dry_run: bool = False) -> RenderedFeed:
    """Render one feed for ``destination`` into a temporary file beside ``target`` and gate it.

    With a destination, products it shows that the feed no longer lists follow as hidden items,
    and ``changes`` renders only what changed since the destination's last publication. Nothing
    is published and no state changes.

    Raises:
        ConfigError: unknown feed, price list, warehouse, option or template; missing folder; a
            differential asked of a feed whose platform takes none; a feed that needs links has none.
        DocumentError: the template failed while rendering.
        SchemaError: the feed does not validate against the schema the feed names.
    """
    spec = feed_spec(profile, feed_name)
    options = {**(spec.options or {}), **(overrides or {})}
    label = label or spec.label
    key = feed_key(profile.name, feed_name, label)
    chosen_list = price_list or spec.price_list
    want_vat = spec.vat_included if vat_included is None else vat_included
    chosen_wh = tuple(warehouses) if warehouses else tuple(spec.warehouses)
    mode = differential_of(options)
    content = content_of(options)
    if changes and mode is Differential.NONE:
        raise ConfigError(f"feed {key} is always full: its platform takes no differential files "
                          f"(feed option differential: none); leave out --changes")
    tracked = bool(destination) and not destination.startswith(FILE_DESTINATION)
    if changes and not tracked:
        raise ConfigError("--changes needs a destination (--to ENDPOINT or a job): "
                          "a file written with -o is always full")
    stock_rule = StockRule(_amount_option(options, "safety_stock") or Decimal(0),
                           _amount_option(options, "max_stock"))
    started_at = utcnow()  # before reading: a change made during the export is caught next time

    with store.connect() as conn:
        last = gate.last_published(conn, key, destination=destination) if tracked else None
        last_full = gate.last_published(conn, key, destination=destination, full_only=True)
    since = last.started_at if (changes and last is not None) else None
    is_full = since is None
    link_platform = options.get("link_platform")
    query = FeedQuery(
        price_list=chosen_list, vat_included=want_vat, warehouses=chosen_wh, label=label,
        changed_since=since, require_price=_bool_option(options, "require_price", True),
        link_platform=link_platform, link_shop=options.get("link_shop"),
        linked_only=_bool_option(options, "linked_only", False),
        include_services=_bool_option(options, "include_services", True),
        leaf_only=_bool_option(options, "leaf_only", False),
        new_to=(key, destination) if tracked and since is not None else None,
    )
    env = build_environment(spec.template_dir)
    template = load_template(env, spec.template)
    used = attributes_used(env, template)
    nested = _bool_option(options, "nested", False)
    query = replace(query, with_labels=used is None or "labels" in used, grouped=nested)
    with store.connect() as conn:
        plist = price_list_info(conn, chosen_list)
        withdrawn: list[str] = []
        shown_count = 0
        if tracked:
            shown = shown_codes(conn, key, destination)
            shown_count = len(shown)
            withdrawn = sorted(shown - feed_codes(conn, query, plist))
        sent_withdrawn = withdrawn if _withdrawn_shown(options) else []
        external = linked_ids(conn, sent_withdrawn, link_platform, options.get("link_shop")) \
            if link_platform and sent_withdrawn else {}
        stream = ItemStream(conn, query, nested=nested,
                            stock=stock_rule, withdrawn=sent_withdrawn, collect_codes=tracked,
                            external_ids=external)
        feed_info = {
            "name": feed_name, "key": key, "profile": profile.name, "generated_at": started_at,
            "price_list": chosen_list, "currency": stream.currency, "vat_included": want_vat,
            "full": is_full, "since": since, "label": label, "warehouses": chosen_wh,
            "images": _bool_option(options, "images", True),
            "descriptions": _bool_option(options, "descriptions", True),
            "categories": _bool_option(options, "categories", True),
            "stock": content is not FeedContent.PRICES, "prices": content is not FeedContent.STOCK,
        }
        temp: Path | None = None
        sample: list[dict[str, Any]] = []
        try:
            if dry_run:
                items = iter(stream)
                sample = [_sample(i) for i in islice(items, DRY_RUN_SAMPLE)]
                for _ in items:
                    pass
            else:
                temp = render_to_temp(
                    template, {"items": stream, "feed": feed_info, "options": options}, target)
        finally:
            stream.close()
    count = stream.count
    if temp is not None and options.get("schema"):
        _validate_or_set_aside(temp, target, str(options["schema"]), getattr(profile, "path", None))

    warnings: list[str] = []
    if is_full:
        decision = gate.check(last_full, count, spec.gate_max_drop)
    else:  # a differential that would take too much off the shop is held like a shrunken feed
        decision = gate.check_withdrawals(shown_count, len(withdrawn), spec.gate_max_drop)
    if link_platform and count == 0 and _bool_option(options, "linked_only", False):
        with store.connect() as conn:
            any_links = feed_codes(conn, FeedQuery(
                price_list=chosen_list, require_price=False, link_platform=link_platform,
                link_shop=options.get("link_shop"), linked_only=True), plist)
        if not any_links:
            reason = (f"feed {key} lists only products linked to {link_platform} ids, and no product "
                      f"has one: import the shop's products or stock, or run `exchange catalog link "
                      f"--profile {link_platform} FILE`")
            decision = gate.GateDecision(False, decision.previous_count, decision.drop_share, reason)
            force = False
    passed = decision.passed or force
    if not decision.passed and force:
        warnings.append(f"gate overridden with --force: {decision.reason}")
    status = PublicationStatus.PUBLISHED if passed else PublicationStatus.HELD
    if passed and not is_full and count == 0 and not withdrawn:
        status = PublicationStatus.UNCHANGED
    result = ExportResult(
        feed=feed_name, profile=profile.name, feed_key=key, status=status,
        output=target, item_count=count, full=is_full, since=since,
        previous_count=decision.previous_count, drop_share=decision.drop_share,
        price_list=chosen_list, currency=stream.currency, vat_included=want_vat,
        reason="" if passed else decision.reason, destination=destination,
        withdrawn_count=len(withdrawn), warnings=warnings, sample=sample, dry_run=dry_run)
    return RenderedFeed(result, temp, started_at, stream.codes or [], withdrawn, passed, mode,
                        options)


def hold(store: Store, rendered: RenderedFeed, target: Path) -> ExportResult:
    """Keep a held feed aside as TARGET.held with a TARGET.held.json report, and record it."""
    result = rendered.result
    held = target.with_name(target.name + ".held")
    held_report = target.with_name(target.name + ".held.json")
    result.status = PublicationStatus.HELD
    result.output = held
    result.held_report = held_report
    if rendered.temp is not None:
        publish(rendered.temp, held)
        rendered.temp = None
    held_report.write_text(json.dumps(result.as_dict(), ensure_ascii=False, indent=2) + "\n",
                           encoding="utf-8")
    return record(store, rendered, PublicationStatus.HELD)


def record(store: Store, rendered: RenderedFeed, status: PublicationStatus,
           reason: str = "") -> ExportResult:
    """Record the run; when it was published to a destination, advance its state in the same transaction."""
    result = rendered.result
    result.status = status
    if reason:
        result.reason = reason
    with store.begin() as conn:
        result.publication_id = record_publication(
            conn, result.feed_key, status, result.item_count, rendered.started_at,
            str(result.output), result.as_dict(), destination=result.destination)
        if status is PublicationStatus.PUBLISHED and result.destination \
                and not result.destination.startswith(FILE_DESTINATION):
            save_shown_codes(conn, result.feed_key, result.destination, shown=rendered.shown,
                             withdrawn=rendered.withdrawn, replace_all=result.full)
    return result


def export_feed(store: Store, profile: ProfileLike, feed_name: str = DEFAULT_FEED,
                output: Path | str = "", *, price_list: str | None = None,
                vat_included: bool | None = None, warehouses: tuple[str, ...] | list[str] | None = None,
                label: str | None = None, force: bool = False,
                overrides: Mapping[str, Any] | None = None, destination: str = "",
                changes: bool = False, dry_run: bool = False) -> ExportResult:
    """Write one feed of a profile to the file ``output``; an empty or shrunken full feed is held.

    Without ``destination`` the file is a full feed and no state moves (its runs are kept under
    ``output:PATH`` for the shrink gate). With one (a job whose feed is the file itself), the file is
    that destination's publication.

    Raises:
        ConfigError: unknown feed, price list, warehouse or template; missing output folder.
        DocumentError: the template failed while rendering.
    """
    target = Path(output)
    if not str(output) or target.is_dir():
        raise ConfigError(f"output must be a file path, not {str(output)!r}")
    destination = destination or f"{FILE_DESTINATION}{target.absolute()}"
    rendered = render_feed(store, profile, feed_name, target, destination=destination,
                           changes=changes, price_list=price_list, vat_included=vat_included,
                           warehouses=warehouses, label=label, force=force, overrides=overrides,
                           dry_run=dry_run)
    if dry_run:
        return rendered.result
    if not rendered.passed:
        return hold(store, rendered, target)
    if rendered.result.status is PublicationStatus.UNCHANGED:
        rendered.discard()
        return record(store, rendered, PublicationStatus.UNCHANGED)
    if rendered.temp is None:  # pragma: no cover - rendered unless dry run
        raise ConfigError(f"{target}: nothing was rendered")
    publish(rendered.temp, target)
    rendered.temp = None
    target.with_name(target.name + ".held").unlink(missing_ok=True)
    target.with_name(target.name + ".held.json").unlink(missing_ok=True)
    return record(store, rendered, PublicationStatus.PUBLISHED)
