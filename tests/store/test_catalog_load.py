"""Loading a catalogue CSV into a real store."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from exchange.catalog import load_catalog_csv
from exchange.errors import ConfigError
from exchange.store import Store
from exchange.store.catalog import list_products

CSV = (
    "code;ean;name;unit;vat_rate;labels;price:retail;price:wholesale;stock:W1;stock:W2\n"
    "A1;8590000000011;Mýdlo & <voňavé>;ks;21;eshop1,eshop2;1 199,90;150;10;5\n"
    "A2;;Šampon;ks;12;eshop1;89;70;3;\n"
    "A3;abc;Bad EAN;ks;21;;10;;;\n"
    ";;No code;ks;21;;10;;;\n"
    "A4;;Bad price;ks;21;;ten;;;\n"
)


def _write(tmp_path: Path, text: str, name: str = "catalog.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_good_rows_load_and_bad_rows_are_reported_with_row_numbers(store: Store, tmp_path: Path) -> None:
    report = load_catalog_csv(store, _write(tmp_path, CSV))
    assert (report.created, report.updated) == (2, 0)
    assert report.errors == [
        "catalog.csv:4: column ean: 'abc' is not an EAN (8, 12, 13 or 14 digits)",
        "catalog.csv:5: column code: empty",
        "catalog.csv:6: column price:retail: 'ten' is not a number",
    ]
    with store.connect() as conn:
        rows = {r["code"]: r for r in list_products(conn)}
    assert rows["A1"]["name"] == "Mýdlo & <voňavé>"
    assert rows["A1"]["prices"] == {"retail": Decimal("1199.90"), "wholesale": Decimal("150")}
    assert rows["A1"]["available"] == Decimal("15")
    assert rows["A2"]["vat_rate"] == Decimal("12")


def test_loading_again_updates_instead_of_duplicating(store: Store, tmp_path: Path) -> None:
    load_catalog_csv(store, _write(tmp_path, CSV))
    changed = CSV.replace("1 199,90", "999").replace(";10;5", ";7;5")
    report = load_catalog_csv(store, _write(tmp_path, changed))
    assert (report.created, report.updated, report.unchanged) == (0, 1, 1)  # A2 is untouched
    with store.connect() as conn:
        rows = {r["code"]: r for r in list_products(conn)}
    assert len(rows) == 2
    assert rows["A1"]["prices"]["retail"] == Decimal("999")
    assert rows["A1"]["available"] == Decimal("12")


def test_missing_required_column_is_a_clear_error(store: Store, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="missing column"):
        load_catalog_csv(store, _write(tmp_path, "code,ean\nA1,1\n"))


def test_unknown_column_is_reported(store: Store, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="unknown column"):
        load_catalog_csv(store, _write(tmp_path, "code,name,colour\nA1,x,red\n"))
