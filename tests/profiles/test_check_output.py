"""`profiles check` output a user can read: unread elements limited, nil and empty ones grouped."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from exchange.cli import cli
from exchange.profiles import load_profile
from exchange.profiles.check import check_profile

SAMPLE = """\
<orders xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><order>
<id>1</id><number>7</number><date_created_gmt>2026-01-02T03:04:05</date_created_gmt>
<total>10.00</total><shipping_total>2.00</shipping_total><shipping_tax>0.42</shipping_tax>
<a1>x</a1><a2>x</a2><a3>x</a3><a4>x</a4><a5>x</a5>
<gone xsi:nil="true"/><void xsi:nil="true"/><blank></blank>
<line_items><line_item><name>Cup</name><quantity>1</quantity><price>8</price></line_item></line_items>
</order></orders>
"""


def _sample(tmp_path: Path) -> Path:
    path = tmp_path / "orders.xml"
    path.write_text(SAMPLE, encoding="utf-8")
    return path


def test_nil_and_empty_elements_are_grouped_apart(tmp_path: Path) -> None:
    [orders] = check_profile(load_profile("woocommerce"), _sample(tmp_path)).kinds
    assert dict(orders.unknown_elements) == {f"a{i}": 1 for i in range(1, 6)}
    assert orders.unread_nil == ["gone", "void"]
    assert orders.unread_empty == ["blank"]


def test_labels_say_where_the_field_is_in_the_profile(tmp_path: Path) -> None:
    [orders] = check_profile(load_profile("woocommerce"), _sample(tmp_path)).kinds
    labels = {p.label: p.record_path for p in orders.paths}
    assert labels["totals_lines[0].unit_price_excl"] == "shipping_total"
    assert labels["lines.quantity"] == "line_items/line_item/quantity"
    assert not any(label.startswith("totals.totals") for label in labels)


def test_the_unread_list_is_limited(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["profiles", "check", "woocommerce", str(_sample(tmp_path)),
                                      "--unread-limit", "2"])
    assert result.exit_code == 0, result.output
    out = result.output
    assert "    a1  (1x)\n    a2  (1x)\n    … and 3 more (--unread-limit 0 shows all)" in out
    assert "  2 unread element(s) always xsi:nil: gone, void" in out
    assert "  1 unread element(s) always empty: blank" in out
    assert "lines.quantity" in out and "← line_items/line_item/quantity" in out
    everything = CliRunner().invoke(cli, ["profiles", "check", "woocommerce",
                                          str(_sample(tmp_path)), "--unread-limit", "0"]).output
    assert "    a5  (1x)" in everything and "more (--unread-limit" not in everything


def test_a_payment_taken_from_a_line_that_would_be_held_fails_strict(tmp_path: Path) -> None:
    shoptet = (Path(load_profile("shoptet").path)).read_text(encoding="utf-8")
    profile = tmp_path / "pay.yaml"
    profile.write_text(shoptet.replace("\n    maps:\n", "\n    maps:\n      payment:\n"
                                       "        values: {převodem: bank}\n", 1), encoding="utf-8")
    fixture = Path(__file__).parent.parent / "fixtures" / "import" / "shoptet_orders.xml"
    [orders] = check_profile(load_profile(profile), fixture).kinds
    assert orders.held == 2
    assert orders.review_reasons["payment 'Dobírka' has no mapping and the profile has no default"] == 1
    # the methods taken from the lines are listed with the values seen, and what they become
    seen = {(v.what, v.value): v.outcome for v in orders.values}
    assert seen[("payment (from a line)", "Dobírka")] == "no mapping and no default: held for review"
    assert seen[("shipping (from a line)", "Zásilkovna - výdejní místo")] == (
        "kept as is (the profile has no map)")
    result = CliRunner().invoke(cli, ["profiles", "check", str(profile), str(fixture), "--strict"])
    assert result.exit_code == 1
    assert "HELD  2 of 2 document(s) would be held for review:" in result.output


def test_bundled_profiles_on_their_samples_strict_fails_only_the_held_one(
        shared_samples: Path) -> None:
    cases = {"magento1": "other/zynk_magento1_orders.xml",
             "magento2": "other/zynk_magento2_orders.xml",
             "shopify": "other/zynk_shopify_orders.xml"}
    reports = {name: check_profile(load_profile(name), shared_samples / sample)
               for name, sample in cases.items()}

    # the Magento 2 sample's lines do not add up to its total: an import holds it, so --strict fails
    assert [n for n, r in reports.items() if r.has_problems] == ["magento2"]
    [m2] = reports["magento2"].kinds
    assert m2.held == 1
    assert any("does not match the lines" in reason for reason in m2.review_reasons)
    [shop] = reports["shopify"].kinds
    assert [r.split(":")[0] for r in shop.repairs] == ["line 112", "line 129", "line 169"]
    text = "\n".join(reports["shopify"].lines())
    assert "REPAIRED 3 place(s) (recover: true):" in text
    # an XPath of a line field is shown as evaluated on the line element
    assert "lines.vat_rate" in text
    assert "← line-items/line-item: round(sum(tax-lines/tax-line/rate) * 10000) div 100" in text
