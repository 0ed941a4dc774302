"""Import watermarks: per shop and document kind, the newest document time imported (UTC).

A document the store has never seen whose time is older than the watermark minus the overlap is
skipped, with the reason, and reserves nothing: a full export (or the first sync of a shop that
has years of orders) does not book archived orders again. A document the store knows still takes
its changes. The overlap (``watermark_overlap:``, 10 minutes by default) lets a document that
arrives a little late through; idempotence (the content hash) absorbs what comes twice.

``since:`` in ``exchange.yaml`` seeds the watermark of a shop that has none; ``exchange shops
reset NAME --since DATE`` sets it, backwards too.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any

from sqlalchemy import Connection

from exchange.errors import ConfigError
from exchange.store import Store
from exchange.store.order_status import list_watermarks, save_watermark, watermark_of

DEFAULT_OVERLAP = timedelta(minutes=10)
KINDS = ("orders", "invoices")


@dataclass(frozen=True)
class WatermarkSettings:
    """A shop's watermark settings from ``exchange.yaml``."""

    since: datetime | None = None
    overlap: timedelta = DEFAULT_OVERLAP


@dataclass(frozen=True)
class Watermark:
    """One stored watermark."""

    shop: str
    kind: str
    watermark: datetime


def as_utc(value: date | datetime, tz: tzinfo) -> datetime:
    """A date (its midnight) or a datetime (naive: in ``tz``) as an aware UTC datetime."""
    if not isinstance(value, datetime):
        value = datetime.combine(value, time(0), tzinfo=tz)
    elif value.tzinfo is None:
        value = value.replace(tzinfo=tz)
    return value.astimezone(UTC)


class WatermarkGate:
    """One import's view of its shop's watermark: what it skips, and the newest time it took."""

    def __init__(self, conn: Connection, shop: str, kind: str, settings: WatermarkSettings) -> None:
        self.shop = shop
        self.kind = kind
        stored = watermark_of(conn, shop, kind)
        if stored is None and settings.since is not None:
            stored = save_watermark(conn, shop, kind, settings.since.astimezone(UTC), "config",
                                    forward_only=True)
        self.watermark = stored
        self.cutoff = stored - settings.overlap if stored is not None else None
        self.newest: datetime | None = None

    @classmethod
    def open(cls, conn: Connection, shop: str, kind: str,
             settings: WatermarkSettings) -> WatermarkGate | None:
        """The gate of a shop that uses watermarks (one stored, or ``since:``); None otherwise."""
        if settings.since is None and watermark_of(conn, shop, kind) is None:
            return None
        return cls(conn, shop, kind, settings)

    def skip_reason(self, when: datetime) -> str:
        """Why a document new to the store, of time ``when`` (UTC), is skipped; '' when it is not."""
        if self.cutoff is None or self.watermark is None or when >= self.cutoff:
            return ""
        return (f"older than {self.shop}'s {self.kind} watermark "
                f"{self.watermark:%Y-%m-%d %H:%M:%S} UTC (`exchange shops reset` moves it): "
                f"not imported, reserves nothing")

    def took(self, when: datetime) -> None:
        """A document of time ``when`` (UTC) was imported (or was there already)."""
        if self.newest is None or when > self.newest:
            self.newest = when

    def save(self, conn: Connection) -> None:
        """Move the stored watermark forward to the newest document taken."""
        if self.newest is not None:
            save_watermark(conn, self.shop, self.kind, self.newest, "import", forward_only=True)


def reset_watermark(store: Store, shop: str, since: datetime,
                    kinds: Sequence[str] | None = None) -> list[Watermark]:
    """Set the shop's watermark (of each kind) to ``since``, backwards too."""
    when = since.astimezone(UTC)
    with store.begin() as conn:
        return [Watermark(shop, kind, save_watermark(conn, shop, kind, when, "reset",
                                                     forward_only=False))
                for kind in kinds or KINDS]


def watermark_rows(store: Store) -> list[dict[str, Any]]:
    """Every stored watermark, for ``exchange status`` and ``shops watermarks``."""
    with store.connect() as conn:
        return [{"shop": r["shop"], "kind": r["kind"], "watermark": r["watermark"],
                 "set_by": r["set_by"]} for r in list_watermarks(conn)]


class _Moment:
    """A time for a URL placeholder: ``{since}`` is ISO local time, ``{since:%d.%m.%Y}`` strftime."""

    def __init__(self, value: datetime) -> None:
        self.value = value

    def __format__(self, spec: str) -> str:
        return self.value.strftime(spec or "%Y-%m-%dT%H:%M:%S")


def has_range(url: str) -> bool:
    """True when an endpoint URL asks for a date range (``{since}``, ``{until}``)."""
    return "{since" in url or "{until" in url


def ranged_url(url: str, *, since: datetime | None, until: datetime, tz: tzinfo,
               overlap: timedelta = DEFAULT_OVERLAP) -> str:
    """The URL with ``{since}`` (the watermark less the overlap) and ``{until}`` (now) filled in,
    in the shop's time zone.

    Raises:
        ConfigError: ``{since}`` without a watermark or ``since:``, or a malformed placeholder.
    """
    if "{since" in url and since is None:
        raise ConfigError(f"{redacted(url)}: {{since}} needs a watermark: set since: for the shop "
                          "or run `exchange shops reset NAME --since DATE`")
    start = (since - overlap).astimezone(tz) if since is not None else until.astimezone(tz)
    try:
        return url.format(since=_Moment(start), until=_Moment(until.astimezone(tz)))
    except (KeyError, IndexError, ValueError) as exc:
        raise ConfigError(f"{redacted(url)}: only {{since}} and {{until}} can be filled in "
                          f"({exc})") from exc


def redacted(url: str) -> str:
    """The URL without its query (a shop key may be in it)."""
    return url.split("?", 1)[0]


def since_for(store: Store, shop: str, kind: str, settings: WatermarkSettings) -> datetime | None:
    """The shop's stored watermark of ``kind``, else its ``since:``."""
    with store.connect() as conn:
        stored = watermark_of(conn, shop, kind)
    return stored if stored is not None else settings.since
