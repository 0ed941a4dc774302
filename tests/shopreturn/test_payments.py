"""The payment map: shop payment (and delivery) → ERP payment kind and sync mode, applied by the import;
an ERP-settled payment ignores the shop's paid flag and goes back to the shop as paid."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from exchange.errors import ConfigError
from exchange.importers.report import Outcome
from exchange.importers.run import import_file
from exchange.profiles import load_profile
from exchange.resources import profiles_dir
from exchange.shopreturn.events import set_status
from exchange.shopreturn.publish import export_order_status
from exchange.store import Store
from tests.importers.engine_support import rows

UPGATES_ORDERS = Path(__file__).parent.parent / "profiles" / "fixtures" / "upgates_orders.xml"
# the fixture: 2026000123 Dobírka with Zásilkovna, PAID_YN 1; 2026000124 Bankovní převod, unpaid
MAP = """
payments:
  unmapped: {unmapped}
{default}  methods:
    - {{payment: Dobírka, shipping: Zásilkovna, kind: delivery, sync: erp}}
    - {{payment: dobirka, kind: cash, sync: erp}}
    - {{payment: Platba kartou, kind: creditcard, sync: shop}}
"""


def _profile(tmp_path: Path, unmapped: str = "hold", default: str = "") -> Path:
    text = (profiles_dir() / "upgates.yaml").read_text(encoding="utf-8")
    path = tmp_path / "upgates-payments.yaml"
    path.write_text(text + MAP.format(unmapped=unmapped, default=default), encoding="utf-8")
    return path


def _orders(store: Store) -> dict[str, dict[str, object]]:
    return {str(o["number"]): o for o in rows(store, "orders")}


def test_erp_settled_payment_ignores_the_shops_paid_flag_and_an_unmapped_one_is_held(
        store: Store, tmp_path: Path) -> None:
    report = import_file(store, UPGATES_ORDERS, load_profile(_profile(tmp_path)))
    outcomes = {d.external_id: (d.outcome, d.reason) for d in report.documents}
    assert outcomes["2026000124"][0] is Outcome.HELD
    assert "payment 'Bankovní převod' with shipping 'Osobní odběr' is not in the profile's " \
        "payments: map (unmapped: hold)" in outcomes["2026000124"][1]
    orders = _orders(store)
    # the shop said PAID_YN 1, but cash on delivery is settled in the ERP
    assert orders["2026000123"]["paid"] is None and orders["2026000123"]["paid_at"] is None
    terms = {(t["external_id"], t["kind"], t["sync"], t["mapped"]) for t in rows(store,
                                                                              "order_payments")}
    # the entry with its shipping wins over the one without
    assert terms == {("2026000123", "delivery", "erp", True)}


def test_an_unmapped_payment_takes_the_default_with_a_warning(store: Store, tmp_path: Path) -> None:
    profile = load_profile(_profile(tmp_path, "default", "  default: {kind: draft, sync: shop}\n"))
    report = import_file(store, UPGATES_ORDERS, profile)
    assert report.counts[Outcome.IMPORTED] == 2, report.as_dict()
    events = [e for e in rows(store, "events") if e["document"] == "orders:upgates:2026000124"]
    assert any("took the default (draft, settled in the shop)" in w
               for e in events for w in (e["details"] or {}).get("warnings", []))
    assert _orders(store)["2026000124"]["paid"] is False  # settled in the shop: its flag stands
    assert {(t["external_id"], t["mapped"]) for t in rows(store, "order_payments")} == {
        ("2026000123", True), ("2026000124", False)}


def test_the_erps_payment_goes_back_as_paid(store: Store, tmp_path: Path) -> None:
    profile = load_profile(_profile(tmp_path))
    import_file(store, UPGATES_ORDERS, profile)
    set_status(store, "2026000123", "paid")
    out = tmp_path / "out"
    out.mkdir()
    result = export_order_status(store, profile, output=out)
    assert result.orders == ["2026000123"]
    [path] = out.glob("*.csv")
    with path.open(encoding="utf-8", newline="") as handle:
        [row] = list(csv.DictReader(handle, delimiter=";"))
    # a new order paid in the ERP: Upgates hears "Zaplacená" (confirmed) and PAID_YN 1
    assert (row["[ORDER_STATUS]"], row["[PAID_YN]"]) == ("Zaplacená", "1")


def test_unmapped_default_needs_a_default(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"payments.default: required when unmapped: default"):
        load_profile(_profile(tmp_path, "default"))
