"""Magento lists a configurable product twice: the child row (price 0, parent_item_id) is not read."""

from __future__ import annotations

from pathlib import Path

from exchange.importers.read.records import read_records
from exchange.profiles import load_profile

# the shape of the shared Magento 2 sample (other/zynk_magento2_orders.xml) with the parent row
# the REST API lists beside a configurable's child row; values invented
ORDER = """<?xml version="1.0" encoding="utf-8"?>
<ArrayOfSalesOrder xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
  <SalesOrder>
    <created_at>2016-02-01T11:00:50</created_at>
    <entity_id>7</entity_id>
    <grand_total>34</grand_total>
    <increment_id>000000007</increment_id>
    <items>
      <item>
        <item_id>1</item_id><name>Iris Workout Top</name><parent_item_id xsi:nil="true" />
        <price>29</price><price_incl_tax>29</price_incl_tax><product_type>configurable</product_type>
        <qty_ordered>1</qty_ordered><sku>WS03-XS-Red</sku><tax_percent>0</tax_percent>
      </item>
      <item>
        <item_id>2</item_id><name>Iris Workout Top-XS-Red</name><parent_item_id>1</parent_item_id>
        <price>0</price><product_type>simple</product_type>
        <qty_ordered>1</qty_ordered><sku>WS03-XS-Red</sku><tax_percent xsi:nil="true" />
      </item>
    </items>
    <order_currency_code>GBP</order_currency_code>
    <shipping_amount>5</shipping_amount>
    <shipping_incl_tax>5</shipping_incl_tax>
    <shipping_tax_amount>0</shipping_tax_amount>
    <status>complete</status>
  </SalesOrder>
</ArrayOfSalesOrder>
"""


def test_a_configurable_product_is_one_line_and_the_order_adds_up(tmp_path: Path) -> None:
    path = tmp_path / "orders.xml"
    path.write_text(ORDER, encoding="utf-8")

    [record] = list(read_records(path, load_profile("magento2"), "orders"))

    assert record.error is None
    assert record.review_reasons == []
    order = record.document
    assert order is not None
    assert [(ln.kind.value, ln.code, ln.quantity, ln.unit_price) for ln in order.lines] == [
        ("product", "WS03-XS-Red", 1, 29), ("shipping", "", 1, 5)]
    assert order.total == 34
