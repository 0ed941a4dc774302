"""Matching customers and products to the store, with run caches that survive a rolled-back savepoint."""

from __future__ import annotations

from decimal import Decimal

from exchange.documents import Address, Customer, Product
from exchange.importers.write.matching import Matcher, ProductRef
from exchange.store import Store
from exchange.store.catalog import upsert_product
from tests.importers.engine_support import count, rows


def _matcher(create: bool = True) -> Matcher:
    return Matcher(platform="shoptet", shop="eshop", create_products=create)


def test_customers_by_vat_id_then_company_id_then_email_else_created(store: Store) -> None:
    matcher = _matcher()
    with store.begin() as conn:
        (firm,) = matcher.customer_ids(conn, [Customer(name="Firma", vat_id="CZ 111",
                                                       company_id="111", email="a@firma.cz")])
        ids = matcher.customer_ids(conn, [
            Customer(vat_id="cz111"),                       # VAT id, spaces and case ignored
            Customer(company_id="111", email="x@y.cz"),     # company id
            Customer(email="A@Firma.cz"),                   # e-mail, case ignored
            Customer(name="Eva", email="eva@example.cz", billing=Address(city="Brno")),
            Customer(name="eva ", email="eva@example.cz"),  # same new customer, once
        ])
    assert ids[:3] == [firm, firm, firm]
    assert ids[3] == ids[4] != firm
    assert count(store, "customers") == 2
    eva = rows(store, "customers", id=ids[3])[0]
    assert (eva["name"], eva["city"]) == ("Eva", "Brno")
    # a fresh run (no caches) finds them in the store
    with store.begin() as conn:
        assert _matcher().customer_ids(conn, [Customer(email="eva@example.cz")]) == [ids[3]]


def test_customer_external_id_link_is_remembered(store: Store) -> None:
    with store.begin() as conn:
        (first,) = _matcher().customer_ids(conn, [Customer(external_id="C-77", email="a@b.cz")])
    (link,) = rows(store, "links")
    assert (link["kind"], link["external_id"], link["local_id"]) == ("customer", "C-77", first)
    with store.begin() as conn:
        # the shop still knows the customer as C-77 after the e-mail changed
        assert _matcher().customer_ids(conn, [Customer(external_id="C-77",
                                                       email="new@b.cz")]) == [first]


def test_products_by_code_then_ean_then_exact_name(store: Store) -> None:
    with store.begin() as conn:
        a, _ = upsert_product(conn, Product(code="A", name="Hrnek", ean="859001"))
        b, _ = upsert_product(conn, Product(code="B", name="Talíř"))
        found = _matcher(create=False).product_ids(conn, [
            ProductRef("A", "", ""), ProductRef("X", "859001", ""), ProductRef("", "", "Talíř"),
            ProductRef("Y", "", "talíř"), ProductRef("B", "859001", "Hrnek")])
    assert found == [a, a, b, None, b]


def test_unknown_products_are_created_once_with_their_details(store: Store) -> None:
    matcher = _matcher(create=True)
    with store.begin() as conn:
        ids = matcher.product_ids(conn, [ProductRef("N1", "", "Nový", "bal", Decimal("12")),
                                         ProductRef("N1", "", "Nový", "bal", Decimal("12")),
                                         ProductRef("", "", "Bez kódu")])
    assert ids[0] == ids[1] is not None
    assert ids[2] is None  # without a code nothing can be created
    (created,) = rows(store, "products")
    assert (created["code"], created["unit"], created["vat_rate"]) == ("N1", "bal", Decimal("12"))


def test_caches_forget_what_a_rolled_back_savepoint_created(store: Store) -> None:
    matcher = _matcher(create=True)
    with store.begin() as conn:
        mark = matcher.mark()
        savepoint = conn.begin_nested()
        matcher.customer_ids(conn, [Customer(email="gone@example.cz")])
        matcher.product_ids(conn, [ProductRef("GONE", "", "Gone")])
        savepoint.rollback()
        matcher.rollback_to(mark)
        (cid,) = matcher.customer_ids(conn, [Customer(email="gone@example.cz")])
        (pid,) = matcher.product_ids(conn, [ProductRef("GONE", "", "Gone")])
    assert rows(store, "customers", id=cid)
    assert rows(store, "products", id=pid)
