"""``recover: true``: raw ampersands (and an undeclared xsi prefix) repaired while streaming, each
repair a warning with its line; without it such a file is refused with the line."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from lxml import etree

from exchange.errors import ConfigError
from exchange.importers.read import repair
from exchange.importers.read.repair import AmpersandRepair, RepairLog
from exchange.importers.report import Outcome
from exchange.importers.run import import_file
from exchange.profiles import load_profile
from exchange.resources import profiles_dir
from exchange.store import Store

SHOPIFY = "other/zynk_shopify_orders.xml"
WOO_LEGACY = "woocommerce/zynk_woocommerce_legacyapi_orders.xml"


def _repaired(data: bytes, block: int, monkeypatch: pytest.MonkeyPatch) -> tuple[bytes, list[str]]:
    monkeypatch.setattr(repair, "BLOCK", block)
    log = RepairLog()
    reader = AmpersandRepair(io.BytesIO(data), log)
    out = b""
    while chunk := reader.read(5):
        out += chunk
    return out, [r.warning() for r in log.pending]


def _copy_without_recover(tmp_path: Path, name: str) -> Path:
    text = (profiles_dir() / f"{name}.yaml").read_text(encoding="utf-8")
    assert "    recover: true\n" in text
    target = tmp_path / f"{name}_strict.yaml"
    target.write_text(text.replace("    recover: true\n", ""), encoding="utf-8")
    return target


@pytest.mark.parametrize("block", [1, 3, 64, 1 << 16])
def test_only_raw_ampersands_outside_cdata_comments_and_pis_are_repaired(
        monkeypatch: pytest.MonkeyPatch, block: int) -> None:
    data = (b'<?xml version="1.0"?>\n<!-- R&D -->\n<r a="x & y">\n'
            b"<t>Tyne & Wear</t><u>&amp; &lt; &#38; &#x26; &apos;</u>\n"
            b"<c><![CDATA[Fish & Chips]]></c><?pi a & b?>\n<v>A&B & C&</v></r>\n")

    out, warnings = _repaired(data, block, monkeypatch)

    root = etree.fromstring(out)
    assert root.get("a") == "x & y"
    assert root.findtext("t") == "Tyne & Wear"
    assert root.findtext("u") == "& < & & '"
    assert root.findtext("c") == "Fish & Chips"
    assert root.findtext("v") == "A&B & C&"
    assert b"<!-- R&D -->" in out and b"<?pi a & b?>" in out
    assert warnings == [f"line {n}: a raw '&' was read as '&amp;' (recover: true)"
                        for n in (3, 4, 6, 6, 6)]


def test_an_undeclared_xsi_prefix_is_declared_once_and_reported(
        monkeypatch: pytest.MonkeyPatch) -> None:
    data = b"<r>\n<a/>\n<b xsi:nil='true'/>\n<c xsi:nil='true'/></r>"

    out, warnings = _repaired(data, 2, monkeypatch)

    assert etree.fromstring(out).find("b").get(f"{{{repair.XSI_URI.decode()}}}nil") == "true"
    assert warnings == ["line 3: the prefix xsi: is used without a declaration; it is read as "
                        "the XML Schema instance namespace (recover: true)"]
    declared = b'<r xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">\n<b xsi:nil="true"/></r>'
    assert _repaired(declared, 7, monkeypatch) == (declared, [])


def test_the_repair_streams_a_block_at_a_time() -> None:
    consumed = 0

    class Counting(io.BytesIO):
        def read(self, size: int | None = -1) -> bytes:
            nonlocal consumed
            data = super().read(size)
            consumed += len(data)
            return data

    body = b"<o>Tyne & Wear</o>\n" * 200_000  # 4 MB
    data = b'<r xmlns:xsi="' + repair.XSI_URI + b'">' + body + b"</r>"
    log = RepairLog()
    reader = AmpersandRepair(Counting(data), log)
    first = reader.read(1 << 14)

    assert len(first) == 1 << 14
    assert consumed <= 2 * repair.BLOCK  # never the whole file
    rest = reader.read()
    assert first + rest == data.replace(b" & ", b" &amp; ")
    assert log.total == 200_000 and log.pending[-1].line == 200_000


def test_without_recover_a_raw_ampersand_refuses_the_file_with_its_line(
        sqlite_store: Store, shared_samples: Path, tmp_path: Path) -> None:
    strict = load_profile(_copy_without_recover(tmp_path, "shopify"))

    report = import_file(sqlite_store, shared_samples / SHOPIFY, strict, "orders",
                         quarantine=tmp_path / "q")

    assert report.file_error is not None
    assert report.file_error_line == 112, report.file_error
    assert "xmlParseEntityRef" in report.file_error
    assert report.counts[Outcome.IMPORTED] == 0


@pytest.mark.parametrize(("sample", "profile", "lines", "parallel"), [
    (SHOPIFY, "shopify", [112, 129, 169], False),
    (SHOPIFY, "shopify", [112, 129, 169], True),  # read in a reader process, as big files are
    (WOO_LEGACY, "woocommerce_legacy", [33, 46, 81, 98, 111, 140, 151], False),
])
def test_with_recover_every_repair_is_a_warning_of_its_document(
        sqlite_store: Store, shared_samples: Path, tmp_path: Path, sample: str, profile: str,
        lines: list[int], parallel: bool) -> None:
    report = import_file(sqlite_store, shared_samples / sample, profile, "orders",
                         quarantine=tmp_path / "q", parallel=parallel)

    assert report.file_error is None
    [document] = report.documents
    repairs = [w for w in document.warnings if w.endswith("(recover: true)")]
    assert [int(w.split(":")[0].removeprefix("line ")) for w in repairs] == lines


def test_recover_and_a_schema_do_not_go_together(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text("kinds:\n  orders:\n    record: /ORDERS/ORDER\n    recover: true\n"
                    "    schema: pricelist.xsd\n    fields: {external_id: CODE}\n",
                    encoding="utf-8")
    with pytest.raises(ConfigError, match="recover cannot be combined with schema"):
        load_profile(path)


@pytest.mark.parametrize("block", range(1, 24))
def test_a_cdata_section_cut_by_any_block_boundary_is_left_alone(
        monkeypatch: pytest.MonkeyPatch, block: int) -> None:
    data = b'<r xmlns:xsi="' + repair.XSI_URI + b'">' + b"<d>x</d>" * 70 + \
        b"<c><![CDATA[a & b]]></c><!-- c & d --><e>&amp;</e></r>"
    monkeypatch.setattr(repair, "_TAIL", 12)  # > the longest marker: boundaries near each one

    out, warnings = _repaired(data, block, monkeypatch)

    assert (out, warnings) == (data, [])
