"""DTDs are refused whatever the encoding: UTF-16/32 without a BOM (XML appendix F), and by what the
parser saw, not only by a byte scan of the prolog. Before, 6 of 6 such files imported with exit 0."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from exchange.cli import cli
from exchange.errors import XmlSyntaxError
from exchange.importers.read.elements import iter_elements
from exchange.importers.read.source import SourceEncoding, SourceFile
from exchange.importers.run import import_file
from exchange.store import Store
from tests.reliability.store_view import document_counts

ORDER = ("<ORDER><ORDER_ID>{id}</ORDER_ID><DATE>2026-01-05 10:00:00</DATE><CUSTOMER><BILLING_ADDRESS>"
         "<NAME>{name}</NAME></BILLING_ADDRESS></CUSTOMER>"
         "<ORDER_ITEMS><ITEM><CODE>MUG-01</CODE><AMOUNT>1</AMOUNT></ITEM></ORDER_ITEMS></ORDER>")
WIDE = ("utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be")
DTDS = {
    "xxe-file": '<!DOCTYPE ORDERS [<!ENTITY x SYSTEM "file:///etc/hostname">]>',
    "xxe-network": '<!DOCTYPE ORDERS [<!ENTITY x SYSTEM "http://127.0.0.1:9/x">]>',
    "laughs": '<!DOCTYPE ORDERS [<!ENTITY l "lol"><!ENTITY x "&l;&l;&l;&l;&l;&l;&l;&l;">]>',
}


def _xml(encoding: str, doctype: str = "", name: str = "&x;", declared: str | None = None) -> bytes:
    decl = f'<?xml version="1.0" encoding="{declared or encoding[:6].upper()}"?>\n'
    body = "<ORDERS>" + ORDER.format(id=41, name=name) + "</ORDERS>\n"
    return (decl + (doctype + "\n" if doctype else "") + body).encode(encoding)


def _refused(store: Store, path: Path, tmp_path: Path) -> str:
    before = document_counts(store)
    original = path.read_bytes()
    report = import_file(store, path, "shoptet", "orders", shop="eshop",
                         quarantine=tmp_path / "quarantine")
    assert report.file_error is not None
    assert document_counts(store) == before  # nothing of the refused file is kept
    assert path.read_bytes() == original  # the original stays where it was
    return report.file_error


@pytest.mark.parametrize("encoding", WIDE)
@pytest.mark.parametrize("attack", sorted(DTDS))
def test_a_dtd_in_utf16_or_utf32_without_a_bom_is_refused(
        sqlite_store: Store, tmp_path: Path, encoding: str, attack: str) -> None:
    path = tmp_path / f"{attack}-{encoding}.xml"
    path.write_bytes(_xml(encoding, DTDS[attack]))
    assert "DOCTYPE" in _refused(sqlite_store, path, tmp_path)


@pytest.mark.parametrize("encoding", WIDE)
def test_utf16_and_utf32_without_a_bom_are_read_right(sqlite_store: Store, tmp_path: Path,
                                                      encoding: str) -> None:
    path = tmp_path / f"plain-{encoding}.xml"
    path.write_bytes(_xml(encoding, name="Šárka Čechová"))
    source = SourceFile.scan(path)
    assert source.problem is None
    assert source.encoding is not None and source.encoding.how == "detected"
    names = [e.findtext(".//NAME") for e in iter_elements(source, ("/ORDERS/ORDER",))]
    assert names == ["Šárka Čechová"]


def test_a_declaration_that_names_another_encoding_is_refused(sqlite_store: Store,
                                                              tmp_path: Path) -> None:
    path = tmp_path / "liar.xml"
    path.write_bytes(_xml("utf-16-le", name="Jan", declared="windows-1250"))
    error = _refused(sqlite_store, path, tmp_path)
    assert "windows-1250" in error and "UTF-16-LE" in error


@pytest.mark.parametrize(("start", "what"), [(b"\x00\x00<\x00", "UCS-4"), (b"Lo\xa7\x94", "EBCDIC")])
def test_unusual_byte_orders_are_refused_by_name(sqlite_store: Store, tmp_path: Path, start: bytes,
                                                 what: str) -> None:
    path = tmp_path / "odd.xml"
    path.write_bytes(start + b"\x00" * 64)
    assert what in _refused(sqlite_store, path, tmp_path)


@pytest.mark.parametrize("attack", sorted(DTDS))
def test_the_parser_refuses_a_dtd_the_prolog_check_missed(tmp_path: Path, attack: str) -> None:
    """The byte scan is one layer; the parser's own view (docinfo) is the other."""
    path = tmp_path / "missed.xml"
    path.write_bytes(_xml("utf-8", DTDS[attack]))
    blind = SourceFile(path, path.stat().st_size, "0" * 64, 4, SourceEncoding("utf-8", "utf-8", None))
    with pytest.raises(XmlSyntaxError, match="DOCTYPE"):
        list(iter_elements(blind, ("/ORDERS/ORDER",)))
    with pytest.raises(XmlSyntaxError, match="DOCTYPE"):  # also when no record matches at all
        list(iter_elements(blind, ("/NOTHING/HERE",)))


def test_the_cli_exits_non_zero_for_a_utf32_doctype(tmp_path: Path) -> None:
    path = tmp_path / "hostile.xml"
    path.write_bytes(_xml("utf-32-le", DTDS["xxe-file"]))
    db = tmp_path / "exchange.db"
    Store(f"sqlite:///{db}").close()
    result = CliRunner().invoke(cli, ["--db", f"sqlite:///{db}", "import", "-p", "shoptet",
                                      "--as", "orders", "--quarantine", str(tmp_path / "q"),
                                      str(path)])
    assert result.exit_code != 0
    assert "DOCTYPE" in result.output
