"""Converters: decimals, dates with time zones, booleans, country names."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from exchange.importers.read.converters import country_code, to_bool, to_date, to_datetime, to_decimal

PRAGUE = ZoneInfo("Europe/Prague")


@pytest.mark.parametrize(("text", "expected"), [
    ("1234.50", "1234.50"), ("1234,50", "1234.50"), ("1 234,50", "1234.50"),
    ("1\u00a0234,50", "1234.50"), ("3\u202f955,49", "3955.49"), ("1,234.50", "1234.50"),
    ("1.234,50", "1234.50"), ("-50,00", "-50.00"), ("180.000000", "180.000000"), ("0", "0"),
    ("25,125", "25.125"),
])
def test_decimals(text: str, expected: str) -> None:
    assert to_decimal(text) == Decimal(expected)
    assert str(to_decimal(text)) == expected


@pytest.mark.parametrize("text", ["abc", "1,2,3", "NaN", "Infinity", "1_000", "12 kč", ""])
def test_not_decimals(text: str) -> None:
    with pytest.raises(ValueError, match="is not a number"):
        to_decimal(text)


def test_naive_datetime_takes_the_profile_zone_with_dst() -> None:
    winter = to_datetime("2026-01-15 10:00:00", "%Y-%m-%d %H:%M:%S", PRAGUE)
    summer = to_datetime("2026-07-15 10:00:00", "%Y-%m-%d %H:%M:%S", PRAGUE)
    assert winter == datetime(2026, 1, 15, 10, tzinfo=PRAGUE)
    assert winter is not None and winter.utcoffset() is not None
    assert winter.utcoffset().total_seconds() == 3600  # type: ignore[union-attr]
    assert summer is not None and summer.utcoffset().total_seconds() == 7200  # type: ignore[union-attr]


def test_datetime_with_an_explicit_offset_keeps_it() -> None:
    value = to_datetime("2026-01-15T10:00:00+00:00", None, PRAGUE)
    assert value is not None and value.utcoffset().total_seconds() == 0  # type: ignore[union-attr]


def test_custom_date_format() -> None:
    assert to_datetime("15.1.2026 8:05", "%d.%m.%Y %H:%M", PRAGUE) == datetime(
        2026, 1, 15, 8, 5, tzinfo=PRAGUE)
    assert to_date("15.01.2026", "%d.%m.%Y") == date(2026, 1, 15)


@pytest.mark.parametrize("text", ["0000-00-00 00:00:00", "0000-00-00"])
def test_null_dates_are_none(text: str) -> None:
    assert to_datetime(text, "%Y-%m-%d %H:%M:%S", PRAGUE) is None
    assert to_date(text, None) is None


def test_bad_dates_name_the_expected_format() -> None:
    with pytest.raises(ValueError, match="format %Y-%m-%d %H:%M:%S"):
        to_datetime("29.3.2026", "%Y-%m-%d %H:%M:%S", PRAGUE)
    with pytest.raises(ValueError, match="is not a date"):
        to_date("2026-13-01", None)


@pytest.mark.parametrize(("text", "expected"), [
    ("1", True), ("true", True), ("Ano", True), ("yes", True), ("0", False), ("false", False),
    ("ne", False), ("NO", False)])
def test_booleans(text: str, expected: bool) -> None:
    assert to_bool(text) is expected


def test_not_a_boolean() -> None:
    with pytest.raises(ValueError, match="yes/no"):
        to_bool("maybe")


@pytest.mark.parametrize(("text", "expected"), [
    ("Česká republika", "CZ"), ("česká republika", "CZ"), ("Ceska republika", "CZ"), ("Česko", "CZ"),
    ("Slovensko", "SK"), ("Slovenská republika", "SK"), ("Polska", "PL"), ("Polsko", "PL"),
    ("Deutschland", "DE"), ("Německo", "DE"), ("Niemcy", "DE"), ("Österreich", "AT"),
    ("Germany", "DE"), ("United Kingdom", "GB"), ("CZE", "CZ"), ("SVK", "SK"), ("DEU", "DE"),
    ("POL", "PL"), ("cz", "CZ"), ("SK", "SK"), ("USA", "US"), ("Maďarsko", "HU"),
])
def test_country_names_and_codes(text: str, expected: str) -> None:
    assert country_code(text) == expected


@pytest.mark.parametrize("text", ["Atlantis", "", "XX"])
def test_unknown_countries(text: str) -> None:
    assert country_code(text) is None
