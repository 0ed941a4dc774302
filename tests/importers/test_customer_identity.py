"""Customer identity: ids first, an e-mail only with a name or company that agrees, no blank rows."""

from __future__ import annotations

from pathlib import Path

from exchange.documents import Customer
from exchange.importers.report import Outcome
from exchange.importers.run import import_file
from exchange.importers.write.matching import Matcher
from exchange.store import Store
from tests.importers.engine_support import count, order_xml, rows, shoptet, write_orders

WOO = ("woocommerce", "zynk_woocommerce_v3_orders.xml")


def test_people_sharing_a_support_address_are_not_merged(store: Store, shared_samples: Path,
                                                          tmp_path: Path) -> None:
    sample = shared_samples.joinpath(*WOO)
    text = sample.read_text(encoding="utf-8")
    assert text.count("<email>support@zynk.com</email>") == 1
    import_file(store, sample, "woocommerce", "orders", quarantine=tmp_path)
    (adam,) = rows(store, "customers")
    assert (adam["name"], adam["email"]) == ("Adam Wardle", "support@zynk.com")
    # another person orders through the same support address: another order, another name,
    # no company, no shop customer id
    other = tmp_path / "eva.xml"
    other.write_text(text.replace("<id>9</id>", "<id>10</id>").replace("<number>20</number>",
                                                                     "<number>21</number>")
                     .replace("<first_name>Adam</first_name>", "<first_name>Eva</first_name>")
                     .replace("<last_name>Wardle</last_name>", "<last_name>Svobodová</last_name>")
                     .replace("<company>Zynk Software Ltd</company>", "<company />")
                     .replace("<customer_id>2</customer_id>", "<customer_id>0</customer_id>"),
                     encoding="utf-8")

    report = import_file(store, other, "woocommerce", "orders", quarantine=tmp_path)

    (held,) = report.documents
    assert (held.outcome, held.external_id) == (Outcome.HELD, "10")
    assert (f"the e-mail support@zynk.com is also that of customer #{adam['id']} (Adam Wardle)"
            in held.reason)
    eva = [c for c in rows(store, "customers") if c["id"] != adam["id"]]
    assert [c["name"] for c in eva] == ["Eva Svobodová"]
    by_id = {o["external_id"]: o for o in rows(store, "orders")}
    assert by_id["9"]["customer_id"] == adam["id"]
    assert by_id["10"]["customer_id"] == eva[0]["id"]


def test_an_e_mail_with_the_same_name_or_company_is_the_same_customer(store: Store) -> None:
    matcher = Matcher(platform="woocommerce", shop="woo", create_products=False)
    with store.begin() as conn:
        first, same_name, same_company = matcher.customer_ids(conn, [
            Customer(name="Adam Wardle", company="Zynk Software Ltd", email="support@zynk.com"),
            Customer(name="adam  wardle", email="Support@Zynk.com"),
            Customer(name="A. Wardle", company="ZYNK SOFTWARE LTD", email="support@zynk.com")])
    assert first == same_name == same_company
    assert count(store, "customers") == 1


def test_orders_without_customer_data_make_no_blank_customers(store: Store,
                                                              tmp_path: Path) -> None:
    bare = ("<ORDER><ORDER_ID>{n}</ORDER_ID><CODE>2026{n}</CODE><DATE>2026-01-15 10:00:00</DATE>"
            "<STATUS>Vyřizuje se</STATUS><CURRENCY><CODE>CZK</CODE></CURRENCY>"
            "<TOTAL_PRICE><WITH_VAT>0</WITH_VAT></TOTAL_PRICE><ORDER_ITEMS/></ORDER>\n")
    path = write_orders(tmp_path / "pos.xml", bare.format(n=1), bare.format(n=2))

    import_file(store, path, shoptet(), "orders", quarantine=tmp_path)
    assert count(store, "customers") == 0
    assert {o["customer_id"] for o in rows(store, "orders")} == {None}

    # with an anonymous customer, they all go to that one retail customer of the shop
    again = write_orders(tmp_path / "pos2.xml", bare.format(n=3), bare.format(n=4))
    import_file(store, again, shoptet(anonymous_customer="Maloobchodní zákazník"), "orders",
                quarantine=tmp_path)
    import_file(store, write_orders(tmp_path / "pos3.xml", bare.format(n=5)),
                shoptet(anonymous_customer="Maloobchodní zákazník"), "orders", quarantine=tmp_path)
    (retail,) = rows(store, "customers")
    assert retail["name"] == "Maloobchodní zákazník"
    assert [o["customer_id"] for o in rows(store, "orders")][2:] == [retail["id"]] * 3


def test_prestashop_orders_make_no_blank_customer(store: Store, shared_samples: Path,
                                                  tmp_path: Path) -> None:
    # the order names its customer by id_customer only
    import_file(store, shared_samples / "prestashop" / "axelor_order.xml", "prestashop", "orders",
                quarantine=tmp_path)
    assert count(store, "customers") == 0
    (order,) = rows(store, "orders")
    assert order["customer_id"] is None


def test_the_erps_customer_data_stands_unless_the_profile_says_update(store: Store,
                                                                      tmp_path: Path) -> None:
    import_file(store, write_orders(tmp_path / "a.xml", order_xml(
        "1", company_id="12345678", name="Jana Nováková")), shoptet(), "orders",
        quarantine=tmp_path)
    later = order_xml("2", company_id="12345678", name="Jana Dvořáková", email="jana@dvorak.cz")

    import_file(store, write_orders(tmp_path / "b.xml", later), shoptet(), "orders",
                quarantine=tmp_path)
    (customer,) = rows(store, "customers")
    assert (customer["name"], customer["email"]) == ("Jana Nováková", "jana@example.cz")

    import_file(store, write_orders(tmp_path / "c.xml", later.replace(
        "<ORDER_ID>2<", "<ORDER_ID>3<")), shoptet(update_customers=True), "orders",
        quarantine=tmp_path)
    (customer,) = rows(store, "customers")
    assert (customer["name"], customer["email"], customer["city"]) == (
        "Jana Dvořáková", "jana@dvorak.cz", "Brno")



def test_a_shop_in_exchange_yaml_names_its_own_retail_customer(store: Store,
                                                                tmp_path: Path) -> None:
    from exchange.config import load_config
    from exchange.jobs.actions import ACTIONS
    from exchange.jobs.runner import run_job

    bare = ("<ORDER><ORDER_ID>{n}</ORDER_ID><CODE>2026{n}</CODE><DATE>2026-01-15 10:00:00</DATE>"
            "<STATUS>Vyřizuje se</STATUS><CURRENCY><CODE>CZK</CODE></CURRENCY>"
            "<TOTAL_PRICE><WITH_VAT>0</WITH_VAT></TOTAL_PRICE><ORDER_ITEMS/></ORDER>\n")
    shop_dir = tmp_path / "shop"
    shop_dir.mkdir()
    write_orders(shop_dir / "pos.xml", bare.format(n=1), bare.format(n=2))
    work = tmp_path / "work"
    work.mkdir()
    (work / "exchange.yaml").write_text(f"""\
folders: {{inbox: inbox, quarantine: quarantine, feeds: feeds, logs: logs}}
shops:
  till:
    profile: shoptet
    orders_from: {shop_dir.as_uri()}/?settle=0
    anonymous_customer: Pokladna
jobs:
  pull: {{do: import, shop: till, every: 10 minutes}}
""", encoding="utf-8")
    config = load_config(work / "exchange.yaml")

    result = run_job(store, config, config.job("pull"), actions=ACTIONS)

    assert result.status == "ok", result.message
    (retail,) = rows(store, "customers")
    assert retail["name"] == "Pokladna"
    assert [o["customer_id"] for o in rows(store, "orders")] == [retail["id"]] * 2
