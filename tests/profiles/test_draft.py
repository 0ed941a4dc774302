"""`exchange profiles new --from SAMPLE.xml`: a starting profile that reads the sample it came from."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from exchange.cli import cli
from exchange.cli.common import EXIT_CONFIG, run_cli
from exchange.profiles import DocumentKind, load_profile
from exchange.profiles.check import check_profile
from exchange.profiles.draft import draft_profile, normalised

SAMPLES = {  # sample: (record, lines, fields that must be found without an edit)
    "other/zynk_magento1_orders.xml": ("/ArrayOfOrderInfo/OrderInfo", "items/OrderProduct"),
    "other/zynk_magento2_orders.xml": ("/ArrayOfSalesOrder/SalesOrder", "items/item"),
    "woocommerce/zynk_woocommerce_v3_orders.xml": ("/orders/order", "line_items/line_item"),
}
MUST = ("external_id", "number", "created_at", "total", "currency", "customer.email", "status",
        "lines.code", "lines.name", "lines.quantity", "lines.unit_price")


@pytest.mark.parametrize("sample", sorted(SAMPLES))
def test_a_draft_reads_every_record_of_its_sample(shared_samples: Path, tmp_path: Path,
                                                  sample: str) -> None:
    source = shared_samples / sample
    draft = draft_profile(source, "mine")
    assert (draft.record, draft.lines_path) == SAMPLES[sample]
    assert set(MUST) <= set(draft.mapped), set(MUST) - set(draft.mapped)
    path = tmp_path / "mine.yaml"
    path.write_text(draft.text, encoding="utf-8")
    report = check_profile(load_profile(path), source)
    [orders] = report.kinds
    assert orders.errors == []
    assert orders.documents == orders.records > 0
    assert all(p.state == "ok" for p in orders.paths if p.field in ("number", "total", "currency"))


def test_values_seen_become_maps_to_finish(shared_samples: Path) -> None:
    text = draft_profile(shared_samples / "other/zynk_magento1_orders.xml", "m1").text
    assert "      status:\n        values:\n          pending: new  # map me\n" in text
    assert "checkmo: checkmo  # map me" in text
    assert "#   increment_id" not in text  # mapped, so not listed as unmapped
    assert "#   base_grand_total: '77.9900'" in text


def test_names_match_in_several_languages() -> None:
    assert normalised("PSČ") == "psc"
    assert normalised("Post-Leit_Zahl") == "postleitzahl"


def test_cli_new_writes_a_profile_and_says_what_it_mapped(
        shared_samples: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "woo.yaml"
    sample = str(shared_samples / "woocommerce/zynk_woocommerce_v3_orders.xml")
    runner = CliRunner()
    result = runner.invoke(cli, ["profiles", "new", "--from", sample, str(target)])
    assert result.exit_code == 0, result.output
    assert "canonical fields mapped" in result.output
    assert load_profile(target).mapping(DocumentKind.ORDERS).records == ("/orders/order",)
    assert run_cli(cli, ["profiles", "new", "--from", sample, str(target)]) == EXIT_CONFIG
    assert "already exists (use --force to overwrite)" in capsys.readouterr().err
