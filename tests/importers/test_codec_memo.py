"""The memos on the import's hot path give the same values as computing afresh."""

from __future__ import annotations

from decimal import Decimal

import pytest

from exchange.documents import Customer, LineKind, Order, OrderLine
from exchange.importers.read.content_hash import document_hash
from exchange.importers.read.converters import to_decimal
from exchange.importers.read.wire import decode, encode
from exchange.memo import Memo


def _order(*prices: str) -> Order:
    from datetime import UTC, datetime

    lines = [OrderLine(LineKind.PRODUCT, "x", Decimal(1), Decimal(p)) for p in prices]
    return Order("1", "1", datetime(2026, 1, 1, tzinfo=UTC), "CZK", Customer(), lines)


def test_equal_prices_encode_alike_but_zero_keeps_its_sign() -> None:
    assert encode(_order("100.00"))[5][0][3] == encode(_order("100"))[5][0][3] == "1E+2"
    assert encode(_order("0.00"))[5][0][3] == "0"
    assert encode(_order("-0"))[5][0][3] == "-0"
    assert document_hash(_order("0")) != document_hash(_order("-0"))


def test_decode_gives_back_equal_documents() -> None:
    order = _order("12.50", "12.5", "0", "-3")
    assert decode(Order, encode(order)) == order


def test_to_decimal_repeated_text_same_value_and_bad_text_keeps_failing() -> None:
    assert to_decimal("1 234,50") == to_decimal("1 234,50") == Decimal("1234.50")
    for _ in range(2):
        with pytest.raises(ValueError, match="not a number"):
            to_decimal("12abc")


def test_memo_is_bounded_and_keeps_only_what_it_may() -> None:
    memo: Memo[int, int] = Memo(lambda k: k * 2, keep=lambda k: k > 0, limit=3)
    assert [memo[k] for k in (1, 2, 3, 4, -1)] == [2, 4, 6, 8, -2]
    assert len(memo) <= 3
    assert -1 not in memo
