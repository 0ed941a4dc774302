"""Column types that keep Decimal and timezone-aware datetimes exact on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import DateTime, Numeric, String
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator, TypeEngine

from exchange.documents import AMOUNT_DECIMALS, AMOUNT_INTEGER_DIGITS, amount_problem

DEC_PRECISION = AMOUNT_INTEGER_DIGITS + AMOUNT_DECIMALS
SQLITE_DEC_LENGTH = 30  # sign, 15 digits, point, 6 decimals, with room


def decimal_text(value: Decimal) -> str:
    """How SQLite keeps a Decimal: its exact plain text (no exponent), checked against the range."""
    problem = amount_problem(value)
    if problem is not None:
        raise ValueError(f"amount {value} is out of range: {problem}")
    return format(value, "f")


def to_decimal(value: Any) -> Decimal | None:
    """A stored number back as an exact Decimal (text on SQLite; a float from an older store)."""
    if value is None or isinstance(value, Decimal):
        return value
    if isinstance(value, float):
        return Decimal(repr(value))
    return Decimal(value)


class Dec(TypeDecorator[Decimal]):
    """An exact Decimal column: 15 integer digits and 6 decimals.

    PostgreSQL holds it as NUMERIC(21, 6). SQLite has no decimal type and its NUMERIC affinity turns
    numbers into floats (99999999999999999999.99 becomes 1.0e+20), so there the column is text
    (VARCHAR affinity) holding the plain decimal; SQL arithmetic on it still works.
    """

    impl = Numeric(DEC_PRECISION, AMOUNT_DECIMALS)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(String(SQLITE_DEC_LENGTH))
        return dialect.type_descriptor(Numeric(DEC_PRECISION, AMOUNT_DECIMALS))

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if value is None:
            return None
        value = value if isinstance(value, Decimal) else Decimal(value)
        if dialect.name == "sqlite":
            return decimal_text(value)
        problem = amount_problem(value)
        if problem is not None:
            raise ValueError(f"amount {value} is out of range: {problem}")
        return value

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        return to_decimal(value)


class UtcDateTime(TypeDecorator[datetime]):
    """A timezone-aware timestamp stored in UTC; naive input is refused."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store; timestamps must be tz-aware")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        moment: datetime = value
        if moment.tzinfo is None:
            return moment.replace(tzinfo=UTC)
        return moment.astimezone(UTC)


def utcnow() -> datetime:
    """Now, in UTC, timezone-aware."""
    return datetime.now(UTC)
