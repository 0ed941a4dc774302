"""Every bounded text of an order is checked against the store's column before it is written.

The writer checks all bounds in one generated expression and walks the document again only when
something does not fit; these tests make each bounded text one character too long in turn and
expect the writer to name that very field (a bound left out of the expression would let the
over-long value through to the database).
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from dataclasses import fields
from datetime import UTC
from pathlib import Path
from typing import Any

import pytest

from exchange.documents import Money, Order
from exchange.importers.read.records import read_records
from exchange.importers.write.documents import (
    _BILLING_TEXTS,
    _CUSTOMER_TEXTS,
    OrderWriter,
    WriteContext,
)
from exchange.importers.write.matching import Matcher
from exchange.profiles import load_profile
from exchange.resources import samples_dir
from exchange.store import Store
from exchange.store.bulk import Bulk
from exchange.store.customers import LINK_ID_LIMIT


@pytest.fixture
def writer(store: Store) -> Iterator[OrderWriter]:
    with store.connect() as conn:
        ctx = WriteContext(shop="shop", source_file="x.xml", timezone=UTC,
                           matcher=Matcher(platform="shoptet", shop="shop", create_products=False))
        yield OrderWriter(ctx, Bulk(conn))


def _order() -> Order:
    sample = samples_dir() / "shoptet" / "orders-export.xml"
    records = read_records(Path(sample), load_profile("shoptet"), "orders")
    order = next(r.document for r in records if isinstance(r.document, Order) and r.document.lines)
    assert isinstance(order, Order)
    return order


def _bounds(writer: OrderWriter) -> list[tuple[str, int]]:
    """(field as too_long names it, its limit) for every bound the writer keeps."""
    out = [*writer._doc_texts, *writer._money_texts]
    out += [(f"customer.{n}", k) for n, k in _CUSTOMER_TEXTS]
    out += [(f"billing.{n}", k) for n, k in _BILLING_TEXTS]
    out += [("customer.external_id", LINK_ID_LIMIT)]
    out += [(f"lines[1].{n}", k) for n, k in writer._line_texts]
    return out


def _set(order: Order, name: str, value: str) -> None:
    target: Any
    if name.startswith("customer."):
        target, attr = order.customer, name.split(".", 1)[1]
        if attr != "external_id" and hasattr(order.customer.billing, attr):
            setattr(order.customer.billing, attr, "")  # the customer's own value is the one read
    elif name.startswith("billing."):
        target, attr = order.customer.billing, name.split(".", 1)[1]
    elif name.startswith("lines[1]."):
        target, attr = order.lines[0], name.split(".", 1)[1]
    elif name in {f.name for f in fields(Money)} and not hasattr(order, name):
        target, attr = order.money, name
    else:
        target, attr = order, name
    setattr(target, attr, value)


def test_an_order_that_fits_passes(writer: OrderWriter) -> None:
    assert writer.too_long("1", _order()) is None


def test_each_bounded_text_one_character_too_long_is_named(writer: OrderWriter) -> None:
    bounds = _bounds(writer)
    assert len(bounds) > 20  # the order's texts, its money's, its customer's and its lines'
    base = _order()
    for name, limit in bounds:
        order = copy.deepcopy(base)
        _set(order, name, "x" * (limit + 1))
        found = writer.too_long("1", order)
        assert found is not None, f"{name} of {limit + 1} characters was let through"
        assert found[0] == name
        assert f"at most {limit}" in found[1]
        _set(order, name, "x" * limit)
        assert writer.too_long("1", order) is None, f"{name} of exactly {limit} was refused"


def test_an_external_id_one_character_too_long_is_named(writer: OrderWriter) -> None:
    limit = writer._id_limit
    assert writer.too_long("9" * (limit + 1), _order())[0] == "external_id"  # type: ignore[index]
    assert writer.too_long("9" * limit, _order()) is None
