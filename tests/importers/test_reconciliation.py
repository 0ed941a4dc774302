"""Totals reconciliation as the profile sets it: the tolerance per line, and documents without lines."""

from __future__ import annotations

from pathlib import Path

import pytest

from exchange.errors import ConfigError
from exchange.importers.report import Outcome
from exchange.importers.run import import_file
from exchange.profiles import Profile, load_profile
from exchange.resources import profiles_dir
from exchange.store import Store
from tests.importers.engine_support import order_xml, write_orders

VITEX = ("pohoda", "vitex_all-invoices-response_cp1250.xml")


def _bundled_with(tmp_path: Path, name: str, kind: str, setting: str) -> Profile:
    """A bundled profile with one setting added to one kind's mapping."""
    text = (profiles_dir() / f"{name}.yaml").read_text(encoding="utf-8")
    head = f"\n  {kind}:\n"
    assert text.count(head) == 1
    path = tmp_path / f"{name}.yaml"
    path.write_text(text.replace(head, f"{head}    {setting}\n"), encoding="utf-8")
    return load_profile(path)


def _off_by_half(order_id: str, currency: str = "CZK") -> str:
    return (order_xml(order_id)
            .replace("<WITH_VAT>200.00</WITH_VAT></TOTAL_PRICE>",
                     "<WITH_VAT>200.50</WITH_VAT></TOTAL_PRICE>")
            .replace("<CODE>CZK</CODE>", f"<CODE>{currency}</CODE>"))


def test_the_tolerance_is_the_currencys_smallest_unit_unless_the_profile_sets_it(
        store: Store, tmp_path: Path) -> None:
    path = write_orders(tmp_path / "orders.xml", _off_by_half("1"), _off_by_half("2", "JPY"))

    default = import_file(store, path, "shoptet", "orders", quarantine=tmp_path / "q")

    # CZK: a cent per line, 0.50 is too far; JPY: a yen per line, 0.50 is within
    assert [(d.external_id, d.outcome) for d in default.documents] == [("1", Outcome.HELD)]
    assert default.counts[Outcome.IMPORTED] == 1
    loose = _bundled_with(tmp_path, "shoptet", "orders", "totals_tolerance: 0.5")
    again = write_orders(tmp_path / "again.xml", _off_by_half("3"))
    assert import_file(store, again, loose, "orders",
                       quarantine=tmp_path / "q").counts[Outcome.IMPORTED] == 1


def test_pohoda_invoices_without_lines_are_held_when_the_profile_says_so(
        store: Store, shared_samples: Path, tmp_path: Path) -> None:
    strict = _bundled_with(tmp_path, "pohoda", "invoices", "without_lines: hold")

    report = import_file(store, shared_samples.joinpath(*VITEX), strict, "invoices",
                         quarantine=tmp_path)

    held = {d.external_id for d in report.documents if d.outcome is Outcome.HELD
            and "but the document has no lines" in d.reason}
    assert len(held) == 7 and "250100013" in held


def test_a_negative_tolerance_is_a_profile_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="totals_tolerance"):
        _bundled_with(tmp_path, "shoptet", "orders", "totals_tolerance: -1")
