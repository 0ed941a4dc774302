"""The hardened streaming source: hostile XML, malformed XML, encodings, memory clearing."""

from __future__ import annotations

import codecs
from pathlib import Path

import pytest

from exchange.documents import Order
from exchange.errors import XmlSyntaxError
from exchange.importers.read.elements import iter_elements
from exchange.importers.read.records import DocumentKind, read_records
from exchange.profiles import load_profile

ORDER = ("<ORDER><ORDER_ID>{id}</ORDER_ID><DATE>2026-01-05 10:00:00</DATE>"
         "<CUSTOMER><BILLING_ADDRESS><NAME>{name}</NAME></BILLING_ADDRESS></CUSTOMER></ORDER>")


def _orders(path: Path) -> list[Order]:
    out = []
    for record in read_records(path, load_profile("shoptet"), DocumentKind.ORDERS):
        assert isinstance(record.document, Order), record.error
        out.append(record.document)
    return out


def _names(path: Path) -> list[str]:
    return [o.customer.billing.name for o in _orders(path)]


XXE = """<?xml version="1.0"?>
<!DOCTYPE ORDERS [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<ORDERS><ORDER><ORDER_ID>1</ORDER_ID><REMARK>&xxe;</REMARK></ORDER></ORDERS>
"""
LAUGHS = """<?xml version="1.0"?>
<!-- a comment first -->
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
<ORDERS><ORDER><ORDER_ID>&lol3;</ORDER_ID></ORDER></ORDERS>
"""


@pytest.mark.parametrize(("text", "line"), [(XXE, 2), (LAUGHS, 3)])
def test_doctype_and_entities_are_rejected(tmp_path: Path, text: str, line: int) -> None:
    path = tmp_path / "hostile.xml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(XmlSyntaxError, match="DOCTYPE/ENTITY") as info:
        list(read_records(path, load_profile("shoptet"), DocumentKind.ORDERS))
    assert info.value.line == line
    assert info.value.file == str(path)


def test_an_undeclared_entity_reference_is_not_resolved(tmp_path: Path) -> None:
    path = tmp_path / "entity.xml"
    path.write_text("<ORDERS><ORDER><ORDER_ID>&xxe;</ORDER_ID></ORDER></ORDERS>", encoding="utf-8")
    with pytest.raises(XmlSyntaxError, match="not well-formed"):
        list(read_records(path, load_profile("shoptet"), DocumentKind.ORDERS))


def test_malformed_xml_reports_its_line_after_the_good_records(tmp_path: Path) -> None:
    path = tmp_path / "broken.xml"
    path.write_text("<ORDERS>\n" + ORDER.format(id=1, name="A") + "\n"
                    "<ORDER><ORDER_ID>2</ORDER_ID>\n<NAME>unclosed</ORDER>\n</ORDERS>\n",
                    encoding="utf-8")
    seen = []
    with pytest.raises(XmlSyntaxError) as info:
        for record in read_records(path, load_profile("shoptet"), DocumentKind.ORDERS):
            seen.append(record.external_id)
    assert seen == ["1"]  # streamed before the error: provisional until the generator ends
    assert info.value.line == 4
    assert str(path) in str(info.value)


def test_declared_windows_1250(tmp_path: Path) -> None:
    path = tmp_path / "cp1250.xml"
    text = ('<?xml version="1.0" encoding="windows-1250"?>\n<ORDERS>'
            + ORDER.format(id=1, name="Řehoř Žluťoučký") + "</ORDERS>")
    path.write_bytes(text.encode("cp1250"))
    assert _names(path) == ["Řehoř Žluťoučký"]


def test_undeclared_non_utf8_uses_the_profile_fallback(tmp_path: Path) -> None:
    path = tmp_path / "undeclared.xml"
    path.write_bytes(("<ORDERS>" + ORDER.format(id=1, name="Łukasz Świętek Ďaš") + "</ORDERS>")
                     .encode("cp1250"))
    assert _names(path) == ["Łukasz Świętek Ďaš"]


def test_undeclared_non_utf8_without_fallback_is_an_error_with_the_line(tmp_path: Path) -> None:
    path = tmp_path / "undeclared.xml"
    path.write_bytes(("<ORDERS>\n\n" + ORDER.format(id=1, name="Šárka") + "</ORDERS>")
                     .encode("cp1250"))
    with pytest.raises(XmlSyntaxError, match="not valid UTF-8") as info:
        list(iter_elements(path, ("/ORDERS/ORDER",)))
    assert info.value.line == 3


def test_declared_utf8_with_latin2_bytes_is_never_mojibake(tmp_path: Path) -> None:
    path = tmp_path / "lying.xml"
    path.write_bytes(('<?xml version="1.0" encoding="UTF-8"?>\n<ORDERS>'
                      + ORDER.format(id=1, name="Šárka") + "</ORDERS>").encode("cp1250"))
    with pytest.raises(XmlSyntaxError):
        list(read_records(path, load_profile("shoptet"), DocumentKind.ORDERS))


@pytest.mark.parametrize(("bom", "codec"), [(codecs.BOM_UTF16_LE, "utf-16-le"),
                                            (codecs.BOM_UTF16_BE, "utf-16-be"),
                                            (codecs.BOM_UTF8, "utf-8")])
def test_bom_encodings(tmp_path: Path, bom: bytes, codec: str) -> None:
    path = tmp_path / "bom.xml"
    text = "<ORDERS>" + ORDER.format(id=1, name="Ærøskøbing Čech") + "</ORDERS>"
    path.write_bytes(bom + text.encode(codec))
    assert _names(path) == ["Ærøskøbing Čech"]


def test_utf16_with_bom_and_declaration(tmp_path: Path) -> None:
    path = tmp_path / "utf16.xml"
    text = ('<?xml version="1.0" encoding="UTF-16"?>\n<ORDERS>'
            + ORDER.format(id=7, name="Žofie") + "</ORDERS>")
    path.write_bytes(text.encode("utf-16"))  # Python writes a BOM for "utf-16"
    assert _names(path) == ["Žofie"]


def test_records_are_cleared_as_they_are_read(tmp_path: Path) -> None:
    path = tmp_path / "many.xml"
    path.write_text("<ORDERS>" + "".join(ORDER.format(id=i, name=f"N{i}") for i in range(50))
                    + "</ORDERS>", encoding="utf-8")
    previous = None
    for elem in iter_elements(path, ("/ORDERS/ORDER",)):
        before = elem.getprevious()
        # at most the record just read is still there, emptied; older ones left the tree
        assert before is None or (before is previous and len(before) == 0)
        assert before is None or before.getprevious() is None
        previous = elem


def test_record_path_matches_the_full_path_not_only_the_tag(tmp_path: Path) -> None:
    path = tmp_path / "nested.xml"
    path.write_text("<ORDERS><ARCHIVE><ORDER><ORDER_ID>9</ORDER_ID></ORDER></ARCHIVE>"
                    + ORDER.format(id=1, name="A") + "</ORDERS>", encoding="utf-8")
    assert [o.external_id for o in _orders(path)] == ["1"]


def test_unknown_declared_encoding(tmp_path: Path) -> None:
    path = tmp_path / "enc.xml"
    path.write_text('<?xml version="1.0" encoding="klingon-8"?><ORDERS/>', encoding="ascii")
    with pytest.raises(XmlSyntaxError, match="klingon-8"):
        list(iter_elements(path, ("/ORDERS/ORDER",)))


def test_a_missing_file_is_a_document_error(tmp_path: Path) -> None:
    with pytest.raises(XmlSyntaxError, match="cannot read the file"):
        list(read_records(tmp_path / "nope.xml", load_profile("shoptet"), DocumentKind.ORDERS))
