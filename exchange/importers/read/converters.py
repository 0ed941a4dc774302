"""Text → value converters for imported fields: decimals, dates, booleans, country codes.

Each converter takes stripped, non-empty text and raises :class:`ValueError` with a readable reason;
the reader turns that into a MappingError naming file, line and field.
"""

from __future__ import annotations

from datetime import date, datetime, tzinfo
from decimal import Decimal, InvalidOperation

from exchange.documents import amount_problem
from exchange.importers.read.countries import country_code

__all__ = ["country_code", "to_bool", "to_date", "to_datetime", "to_decimal"]

_NULL_DATES = frozenset({"0000-00-00 00:00:00", "0000-00-00", "0000-00-00T00:00:00"})
_ISO_FORMATS = frozenset({"%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d", "iso"})
_TRUE = frozenset({"1", "true", "yes", "y", "ano", "a", "t", "on"})
_FALSE = frozenset({"0", "false", "no", "n", "ne", "f", "off"})
_SPACES = str.maketrans("", "", " \u00a0\u202f\u2009\t")
# Parsed numbers by their text: an export repeats the same prices, quantities and rates all the time.
_DECIMALS: dict[str, Decimal] = {}
_DECIMALS_MAX = 8192


def to_decimal(text: str) -> Decimal:
    """A decimal from ``1234.5``, ``1234,5``, ``1 234,50`` (space or NBSP thousands) or ``1,234.50``."""
    value = _DECIMALS.get(text)
    if value is None:
        value = _parse_decimal(text)
        problem = amount_problem(value)
        if problem is not None:
            raise ValueError(f"{text!r} is out of range: {problem}")
        if len(_DECIMALS) >= _DECIMALS_MAX:
            _DECIMALS.clear()
        _DECIMALS[text] = value
    return value


def _parse_decimal(text: str) -> Decimal:
    """:func:`to_decimal` without the cache."""
    if "_" not in text:
        # fast path: plain numbers are the norm; anything else raises and takes the slow path
        try:
            value = Decimal(text)
        except InvalidOperation:
            pass
        else:
            if value.is_finite():
                return value
            raise ValueError(f"{text!r} is not a number")
    s = text
    if "," in s or " " in s or "\u00a0" in s or "\u202f" in s or "\u2009" in s or "\t" in s:
        s = s.translate(_SPACES)
        if "," in s:
            if "." in s:
                # both present: the last one is the decimal separator
                if s.rfind(",") > s.rfind("."):
                    s = s.replace(".", "").replace(",", ".")
                else:
                    s = s.replace(",", "")
            elif s.count(",") == 1:
                s = s.replace(",", ".")
            else:
                raise ValueError(f"{text!r} is not a number")
    if "_" in s:
        raise ValueError(f"{text!r} is not a number")
    try:
        value = Decimal(s)
    except InvalidOperation:
        raise ValueError(f"{text!r} is not a number") from None
    if not value.is_finite():
        raise ValueError(f"{text!r} is not a number")
    return value


#: the years a document's date and time may fall in (anything else is a broken export)
_FIRST_YEAR, _LAST_YEAR = 1900, 2199


def to_datetime(text: str, fmt: str | None, zone: tzinfo) -> datetime | None:
    """A tz-aware datetime; naive text is taken in ``zone``; ``0000-00-00 00:00:00`` gives None."""
    if text in _NULL_DATES:
        return None
    try:
        if fmt is None or fmt in _ISO_FORMATS:
            value = datetime.fromisoformat(text)
        else:
            value = datetime.strptime(text, fmt)  # noqa: DTZ007 - the zone is attached below
    except ValueError:
        expected = fmt or "YYYY-MM-DD HH:MM:SS"
        raise ValueError(f"{text!r} is not a date/time in the format {expected}") from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=zone)
    if not _FIRST_YEAR <= value.year <= _LAST_YEAR:  # year 1 in UTC+1 overflowed the store's UTC
        raise ValueError(f"{text!r} is out of range: a date/time from {_FIRST_YEAR} to {_LAST_YEAR}")
    return value


def to_date(text: str, fmt: str | None) -> date | None:
    """A date (a time part, if any, is dropped); ``0000-00-00`` gives None."""
    if text in _NULL_DATES:
        return None
    try:
        if fmt is None or fmt in _ISO_FORMATS:
            return date.fromisoformat(text[:10])
        return datetime.strptime(text, fmt).date()  # noqa: DTZ007 - a calendar date, no zone
    except ValueError:
        raise ValueError(f"{text!r} is not a date in the format {fmt or 'YYYY-MM-DD'}") from None


def to_bool(text: str) -> bool:
    """A boolean from 1/0, true/false, yes/no, ano/ne (any case)."""
    key = text.strip().casefold()
    if key in _TRUE:
        return True
    if key in _FALSE:
        return False
    raise ValueError(f"{text!r} is not a yes/no value")
