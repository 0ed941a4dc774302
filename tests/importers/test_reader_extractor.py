"""The one-pass extractor: simple paths, attributes, namespaces, repeated groups, XPath fallback."""

from __future__ import annotations

from lxml import etree

from exchange.importers.read.extractor import LINE_KEY, Extractor, Group, is_simple

NS = {"ord": "urn:order", "typ": "urn:type"}


def test_simple_paths_and_xpath_are_told_apart() -> None:
    assert is_simple("CUSTOMER/BILLING_ADDRESS/NAME")
    assert is_simple("ord:orderHeader/ord:date")
    assert is_simple("VARIANT/@id")
    assert not is_simple("ITEM[TYPE='billing']/NAME")
    assert not is_simple("sum(PRICE)")
    assert not is_simple(".//NAME")


def test_one_pass_reads_nested_paths_first_value_and_empty_elements() -> None:
    record = etree.fromstring(
        "<ORDER id=' 7 '><CODE> 2026001 </CODE><CODE>second</CODE><REMARK/>"
        "<CUSTOMER><BILLING_ADDRESS><NAME>Jana</NAME></BILLING_ADDRESS>"
        "<SHIPPING_ADDRESS><NAME>Petr</NAME></SHIPPING_ADDRESS></CUSTOMER>"
        "<ORDER_ITEMS><ITEM><NAME>A</NAME><CODE>a</CODE></ITEM>\n<ITEM><NAME>B</NAME></ITEM>"
        "</ORDER_ITEMS></ORDER>")
    extractor = Extractor(
        {"id": "@id", "number": "CODE", "note": "REMARK", "bill": "CUSTOMER/BILLING_ADDRESS/NAME",
         "ship": "CUSTOMER/SHIPPING_ADDRESS/NAME", "missing": "NOPE/NAME",
         "billing_again": "CUSTOMER/BILLING_ADDRESS/NAME",
         "second_item": "ORDER_ITEMS/ITEM[2]/NAME"},
        {"lines": Group("ORDER_ITEMS/ITEM", {"name": "NAME", "code": "CODE"})})
    out = extractor.extract(record)
    lines = out.pop("lines")
    assert out == {"id": "7", "number": "2026001", "note": "", "bill": "Jana", "ship": "Petr",
                   "billing_again": "Jana", "second_item": "B"}
    assert [{k: v for k, v in item.items() if k != LINE_KEY} for item in lines] == [
        {"name": "A", "code": "a"}, {"name": "B"}]
    assert [item[LINE_KEY] for item in lines] == [1, 2]


def test_prefixed_paths_match_namespaced_and_plain_records() -> None:
    paths = {"date": "ord:orderHeader/ord:date", "ids": "ord:orderHeader/typ:ids"}
    namespaced = etree.fromstring(
        '<ord:order xmlns:ord="urn:order" xmlns:typ="urn:type"><ord:orderHeader>'
        "<ord:date>2026-01-02</ord:date><typ:ids>X</typ:ids></ord:orderHeader></ord:order>")
    plain = etree.fromstring("<order><orderHeader><date>2026-01-02</date><ids>X</ids>"
                             "</orderHeader></order>")
    extractor = Extractor(paths, namespaces=NS)
    assert extractor.extract(namespaced) == extractor.extract(plain) == {
        "date": "2026-01-02", "ids": "X"}


def test_xpath_numbers_are_rendered_without_float_noise() -> None:
    record = etree.fromstring("<S><P>2437.5</P><P>511.88</P><R>-0.38</R></S>")
    out = Extractor({"total": "sum(P | R)", "none": "sum(Q)"}).extract(record)
    assert out == {"total": "2949", "none": "0"}
