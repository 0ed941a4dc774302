"""Exporting a feed: query the store, render the profile's template, gate, publish atomically, record."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from exchange.errors import ConfigError, SchemaError
from exchange.exporters import gate
from exchange.exporters.gate import PublicationStatus
from exchange.exporters.query import FeedQuery, ItemStream
from exchange.exporters.render import build_environment, load_template, publish, render_to_temp
from exchange.exporters.validate import resolve_schema, validate_feed
from exchange.store import Store
from exchange.store.types import utcnow

DEFAULT_FEED = "pricelist"


class _ProfileLike(Protocol):
    name: str
    exports: Any


@dataclass
class ExportResult:
    """What one export did: published or held, how many items, against which previous run."""

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
    warnings: list[str] = field(default_factory=list)

    @property
    def published(self) -> bool:
        """True when the feed was renamed into place."""
        return self.status is PublicationStatus.PUBLISHED

    def summary(self) -> str:
        """One line for people."""
        kind = "full" if self.full else f"changes since {self.since:%Y-%m-%d %H:%M:%S} UTC"
        if self.published:
            return f"{self.feed_key}: {self.item_count} items ({kind}) written to {self.output}"
        return f"{self.feed_key}: HELD, {self.reason}; kept aside in {self.output}"

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
            "warnings": self.warnings,
        }


def feed_spec(profile: _ProfileLike, feed_name: str) -> Any:
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


def _bool_option(options: Any, key: str, default: bool) -> bool:
    value = options.get(key, default)
    if not isinstance(value, bool):
        raise ConfigError(f"feed option {key!r} must be true or false, not {value!r}")
    return value


def _validate_or_set_aside(temp: Path, target: Path, schema_name: str,
                           profile_path: Path | None) -> None:
    """Validate a rendered feed against its schema; an invalid one is kept as FILE.invalid, unpublished."""
    schema = resolve_schema(schema_name, profile_path)
    try:
        validate_feed(temp, schema, display_name=target.name)
    except SchemaError:
        os.replace(temp, target.with_name(target.name + ".invalid"))
        raise


def export_feed(store: Store, profile: _ProfileLike, feed_name: str = DEFAULT_FEED,
                output: Path | str = "", *, price_list: str | None = None,
                vat_included: bool | None = None, warehouses: tuple[str, ...] | list[str] | None = None,
                label: str | None = None, full: bool = False, force: bool = False) -> ExportResult:
    """Render one feed of a profile into ``output``; a full feed that shrank too much is held back.

    Raises:
        ConfigError: unknown feed, price list, warehouse or template; missing output folder.
        DocumentError: the template failed while rendering.
    """
    spec = feed_spec(profile, feed_name)
    target = Path(output)
    if not str(output) or target.is_dir():
        raise ConfigError(f"output must be a file path, not {str(output)!r}")
    options = spec.options or {}
    label = label or spec.label
    key = feed_key(profile.name, feed_name, label)
    chosen_list = price_list or spec.price_list
    want_vat = spec.vat_included if vat_included is None else vat_included
    chosen_wh = tuple(warehouses) if warehouses else tuple(spec.warehouses)
    differential = _bool_option(options, "differential", False)
    started_at = utcnow()  # before reading: a change made during the export is caught next time

    with store.connect() as conn:
        last = gate.last_published(conn, key)
        last_full = gate.last_published(conn, key, full_only=True)
    since = last.started_at if (differential and not full and last is not None) else None
    is_full = since is None

    env = build_environment(spec.template_dir)
    template = load_template(env, spec.template)
    query = FeedQuery(
        price_list=chosen_list, vat_included=want_vat, warehouses=chosen_wh, label=label,
        changed_since=since, require_price=_bool_option(options, "require_price", True),
        link_platform=options.get("link_platform"), link_shop=options.get("link_shop"),
        linked_only=_bool_option(options, "linked_only", False),
        include_services=_bool_option(options, "include_services", True),
        leaf_only=_bool_option(options, "leaf_only", False),
    )
    with store.connect() as conn:
        stream = ItemStream(conn, query, nested=_bool_option(options, "nested", False))
        feed_info = {
            "name": feed_name, "key": key, "profile": profile.name, "generated_at": started_at,
            "price_list": chosen_list, "currency": stream.currency, "vat_included": want_vat,
            "full": is_full, "since": since, "label": label, "warehouses": chosen_wh,
        }
        try:
            temp = render_to_temp(template, {"items": stream, "feed": feed_info, "options": options},
                                  target)
        finally:
            stream.close()
    count = stream.count
    if options.get("schema"):
        _validate_or_set_aside(temp, target, str(options["schema"]), getattr(profile, "path", None))

    decision = gate.check(last_full, count, spec.gate_max_drop) if is_full else \
        gate.GateDecision(True, last_full.item_count if last_full else None, 0.0)
    result = ExportResult(
        feed=feed_name, profile=profile.name, feed_key=key, status=PublicationStatus.PUBLISHED,
        output=target, item_count=count, full=is_full, since=since,
        previous_count=decision.previous_count, drop_share=decision.drop_share,
        price_list=chosen_list, currency=stream.currency, vat_included=want_vat)
    held = target.with_name(target.name + ".held")
    held_report = target.with_name(target.name + ".held.json")
    if decision.passed or force:
        if not decision.passed:
            result.warnings.append(f"gate overridden with --force: {decision.reason}")
        publish(temp, target)
        held.unlink(missing_ok=True)
        held_report.unlink(missing_ok=True)
    else:
        result.status = PublicationStatus.HELD
        result.reason = decision.reason
        result.output = held
        result.held_report = held_report
        publish(temp, held)
        held_report.write_text(json.dumps(result.as_dict(), ensure_ascii=False, indent=2) + "\n",
                               encoding="utf-8")
    with store.begin() as conn:
        result.publication_id = gate.record(conn, key, result.status, count, started_at,
                                            str(result.output), result.as_dict())
    return result
