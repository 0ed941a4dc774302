"""Profile loading and validation: every problem at once, with file, line and key."""

from __future__ import annotations

from pathlib import Path

import pytest

from exchange.errors import ConfigError, ProfileError
from exchange.profiles import DocumentKind, ExportSpec, list_profiles, load_profile

BROKEN = """\
name: broken
import:
  timezone: Mars/Olympus
  unknown_product: ignore
  colour: blue
kinds:
  orders:
    record: /ORDERS/ORDER
    fields:
      external_id: ORDER_ID
      created_at: {path: DATE, format: "%Y-%m-%d"}
      numbr: CODE
      total: {path: "TOTAL[", format: "%d"}
      billing.name: ns:CUSTOMER/NAME
    lines:
      path: ORDER_ITEMS/ITEM
      classify: item_types
      fields:
        quantity: AMOUNT
    maps:
      status:
        values:
          Vyřizuje se: in_progress
        default: new
  refunds:
    record: /R
"""


def _problems(tmp_path: Path, text: str) -> list[str]:
    path = tmp_path / "p.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ProfileError) as info:
        load_profile(path)
    return info.value.problems


def test_every_problem_is_reported_at_once_with_lines(tmp_path: Path) -> None:
    problems = _problems(tmp_path, BROKEN)
    where = str(tmp_path / "p.yaml")
    expected = [
        f"{where}:5: import.colour: unknown key",
        f"{where}:3: import.timezone: unknown time zone 'Mars/Olympus'",
        f"{where}:4: import.unknown_product: 'ignore' is not one of create, text",
        f"{where}:12: kinds.orders.fields.numbr: unknown field",
        f"{where}:13: kinds.orders.fields.total: invalid XPath",
        f"{where}:13: kinds.orders.fields.total.format: format and timezone apply only to dates",
        f"{where}:14: kinds.orders.fields.billing.name: namespace prefix 'ns' is not declared",
        f"{where}:17: kinds.orders.lines.classify: no value map named 'item_types'",
        f"{where}:23: kinds.orders.maps.status.values.Vyřizuje se: 'in_progress' is not one of",
        f"{where}:25: kinds.refunds: unknown kind",
    ]
    for start in expected:
        assert any(p.startswith(start) for p in problems), (start, problems)
    assert len(problems) == len(expected)


def test_the_error_message_lists_the_problems(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text(BROKEN, encoding="utf-8")
    with pytest.raises(ProfileError, match=r"has 10 problem\(s\)") as info:
        load_profile(path)
    assert "  - " + str(path) + ":12: kinds.orders.fields.numbr" in str(info.value)


def test_invalid_yaml_names_the_line(tmp_path: Path) -> None:
    problems = _problems(tmp_path, "name: x\nkinds:\n  orders: [\n")
    assert problems[0].startswith(f"{tmp_path / 'p.yaml'}:4:")


def test_duplicate_keys_are_problems(tmp_path: Path) -> None:
    problems = _problems(tmp_path, "kinds:\n  stock:\n    record: /S/I\n    fields:\n"
                                   "      product_code: A\n      on_hand: B\n      on_hand: C\n")
    assert problems == [f"{tmp_path / 'p.yaml'}:7: on_hand: duplicate key"]


def test_required_fields_and_record(tmp_path: Path) -> None:
    problems = _problems(tmp_path, "kinds:\n  orders:\n    fields:\n      number: CODE\n")
    assert any("kinds.orders.record: required" in p for p in problems)
    assert any("kinds.orders.fields.external_id: required" in p for p in problems)


def test_a_minimal_user_profile_gets_defaults(tmp_path: Path) -> None:
    path = tmp_path / "mini.yaml"
    path.write_text("kinds:\n  stock:\n    record: /S/I\n    fields:\n      product_code: A\n"
                    "      on_hand: B\n", encoding="utf-8")
    profile = load_profile(path)
    assert profile.name == "mini"
    assert profile.import_options.timezone == "Europe/Prague"
    assert profile.import_options.warehouse == "MAIN"
    assert profile.mapping("stock").dedupe_key == ("product_code",)
    with pytest.raises(ConfigError, match="cannot read orders; it reads: stock"):
        profile.mapping(DocumentKind.ORDERS)


def test_exports_are_parsed_into_export_specs(tmp_path: Path) -> None:
    path = tmp_path / "feed.yaml"
    path.write_text("exports:\n  pricelist:\n    template: t/p.xml.j2\n    warehouses: [A, B]\n"
                    "    gate_max_drop: 0.5\n    template_dir: mytemplates\n"
                    "    options: {currency: EUR}\n", encoding="utf-8")
    spec = load_profile(path).exports["pricelist"]
    assert spec == ExportSpec(name="pricelist", template="t/p.xml.j2", warehouses=("A", "B"),
                              gate_max_drop=0.5, template_dir=tmp_path / "mytemplates",
                              options={"currency": "EUR"})


def test_bad_export_values_are_problems(tmp_path: Path) -> None:
    problems = _problems(tmp_path, "exports:\n  feed:\n    gate_max_drop: 3\n")
    assert any(":3: exports.feed.gate_max_drop: must be a number between 0 and 1" in p
               for p in problems)
    assert any("exports.feed.template: required" in p for p in problems)


def test_unknown_profile_names_the_bundled_ones() -> None:
    with pytest.raises(ConfigError, match=r"unknown profile 'nope' \(bundled: .*shoptet"):
        load_profile("nope")


def test_missing_profile_file() -> None:
    with pytest.raises(ConfigError, match="profile file not found"):
        load_profile("/nonexistent/profile.yaml")


def test_every_bundled_profile_validates() -> None:
    names = {p.name for p in list_profiles()}
    assert {"shoptet", "prestashop", "pohoda", "woocommerce"} <= names
    shoptet = load_profile("shoptet")
    assert set(shoptet.kinds) == {DocumentKind.ORDERS, DocumentKind.PRODUCTS, DocumentKind.INVOICES}
    assert load_profile("prestashop").mapping("orders").records == (
        "/prestashop/order", "/prestashop/orders/order")
