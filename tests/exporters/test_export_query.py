"""The price-list query: prices per list and VAT basis, sellable stock, labels, changes, variants."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from exchange.errors import ConfigError
from exchange.exporters.query import FeedQuery, ItemStream, convert_price
from exchange.store import Store
from exchange.store.catalog import product_id_by_code, set_price
from exchange.store.types import utcnow
from tests.exporters.conftest import NASTY_NAME

D = Decimal


def items(store: Store, nested: bool = False, **query: object) -> dict[str, object]:
    query.setdefault("price_list", "retail")
    with store.connect() as conn:
        stream = ItemStream(conn, FeedQuery(**query), nested=nested)  # type: ignore[arg-type]
        return {item.code: item for item in stream}


def test_retail_items_carry_price_with_vat_and_sellable_stock(catalogue: Store) -> None:
    got = items(catalogue)
    assert set(got) == {"KAVA-1", "TRI", "TRI-M", "TRI-L", "DOPRAVA", "KNIHA"}  # BEZCENY has no retail price
    kava = got["KAVA-1"]
    assert kava.name == NASTY_NAME
    assert kava.price == D("121.00")
    assert kava.currency == "CZK"
    assert kava.available == 12  # (10 - 3) in MAIN + 5 in W2
    assert kava.labels == ("eshop1",)
    assert got["TRI-L"].available == 0  # reserved more than on hand: nothing to sell, never negative
    assert got["TRI-M"].available == D("2.5")
    assert got["DOPRAVA"].available is None  # a service carries no stock
    assert got["TRI"].available == 0


def test_stock_only_from_chosen_warehouses(catalogue: Store) -> None:
    assert items(catalogue, warehouses=("MAIN",))["KAVA-1"].available == 7
    assert items(catalogue, warehouses=("W2",))["KAVA-1"].available == 5
    assert items(catalogue, warehouses=("W2",))["TRI-M"].available == 0


def test_price_converted_to_the_feeds_vat_basis(catalogue: Store) -> None:
    net = items(catalogue, vat_included=False)
    assert net["KAVA-1"].price == D("100.00")
    gross = items(catalogue, price_list="wholesale", vat_included=True)
    assert gross["KAVA-1"].price == D("96.80")
    assert gross["BEZCENY"].price == D("11.20")
    assert gross["KNIHA"].price == D("280.00")  # 0 % VAT


def test_conversion_rounds_half_up() -> None:
    assert convert_price(D("0.15"), D("10"), stored_with_vat=False, want_vat=True) == D("0.17")
    assert convert_price(D("100"), D("21"), stored_with_vat=True, want_vat=False) == D("82.64")


def test_label_filter_keeps_variants_of_a_labelled_parent(catalogue: Store) -> None:
    assert set(items(catalogue, label="eshop1")) == {"KAVA-1", "TRI", "TRI-M", "TRI-L"}
    assert set(items(catalogue, label="eshop2")) == {"KNIHA"}


def test_changed_since_selects_products_and_prices_changed_later(catalogue: Store) -> None:
    mark = utcnow() + timedelta(seconds=1)
    assert items(catalogue, changed_since=mark) == {}
    with catalogue.begin() as conn:
        from exchange.documents import Price

        pid = product_id_by_code(conn, "KNIHA")
        assert pid is not None
        set_price(conn, pid, Price("retail", D("310"), "CZK", True))
    later = items(catalogue, changed_since=mark - timedelta(seconds=1))
    assert set(later) == {"KNIHA"}
    assert later["KNIHA"].price == D("310.00")


def test_services_and_parents_can_be_left_out(catalogue: Store) -> None:
    assert "DOPRAVA" not in items(catalogue, include_services=False)
    leaves = items(catalogue, leaf_only=True)
    assert "TRI" not in leaves
    assert {"TRI-M", "TRI-L"} <= set(leaves)


def test_nested_groups_variants_under_their_parent(catalogue: Store) -> None:
    got = items(catalogue, nested=True)
    assert set(got) == {"KAVA-1", "TRI", "DOPRAVA", "KNIHA"}
    assert [v.code for v in got["TRI"].variants] == ["TRI-L", "TRI-M"]
    assert got["KAVA-1"].variants == []


def test_nested_variant_without_its_parent_gets_a_parent_shell(catalogue: Store) -> None:
    mark = utcnow() + timedelta(seconds=1)
    with catalogue.begin() as conn:
        from exchange.documents import Price

        pid = product_id_by_code(conn, "TRI-M")
        assert pid is not None
        set_price(conn, pid, Price("retail", D("255"), "CZK", True))
    got = items(catalogue, nested=True, changed_since=mark - timedelta(seconds=1))
    assert list(got) == ["TRI"]
    assert got["TRI"].name == "Tričko"
    assert got["TRI"].price is None
    assert [v.code for v in got["TRI"].variants] == ["TRI-M"]


def test_links_give_the_platform_id(catalogue: Store) -> None:
    got = items(catalogue, link_platform="prestashop", link_shop="ps", linked_only=True)
    assert {code: item.external_id for code, item in got.items()} == {"KAVA-1": "10", "TRI-M": "11-3"}


def test_unknown_price_list_or_warehouse_is_a_clear_error(catalogue: Store) -> None:
    with pytest.raises(ConfigError, match="unknown price list 'vip'; known: retail, wholesale"):
        items(catalogue, price_list="vip")
    with pytest.raises(ConfigError, match="unknown warehouse NOPE; known: MAIN, W2"):
        items(catalogue, warehouses=("MAIN", "NOPE"))


def test_count_is_the_number_of_rows_read(catalogue: Store) -> None:
    with catalogue.connect() as conn:
        stream = ItemStream(conn, FeedQuery("retail"), nested=True)
        parents = list(stream)
    assert len(parents) == 4
    assert stream.count == 6
