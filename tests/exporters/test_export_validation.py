"""A feed whose profile names a schema is validated before it is published."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

from exchange.errors import ConfigError, SchemaError
from exchange.exporters.engine import export_feed
from exchange.store import Store
from tests.exporters.conftest import profile_with

NATIVE = "native/pricelist.xml.j2"


def test_a_valid_feed_is_published(catalogue: Store, out: Path) -> None:
    profile = profile_with(NATIVE, options={"schema": "pricelist.xsd"})
    result = export_feed(catalogue, profile, "pricelist", out / "feed.xml")
    assert result.item_count > 0
    assert etree.parse(str(out / "feed.xml")).getroot().tag == "{urn:exchange:pricelist:1}pricelist"


def test_an_invalid_feed_is_kept_aside_and_the_published_one_stays(catalogue: Store, out: Path,
                                                                   tmp_path: Path) -> None:
    target = out / "feed.xml"
    target.write_text("<old/>", encoding="utf-8")
    own = tmp_path / "templates"
    (own / "native").mkdir(parents=True)
    (own / "native" / "pricelist.xml.j2").write_text(
        '<pricelist xmlns="urn:exchange:pricelist:1" version="1" generated="2026-11-24T10:00:00Z"'
        ' price-list="retail" currency="CZK" vat-included="true" full="true">\n'
        "{% for item in items %}<bogus>{{ item.code }}</bogus>\n{% endfor %}</pricelist>\n",
        encoding="utf-8")
    profile = profile_with(NATIVE, template_dir=own, options={"schema": "pricelist.xsd"})
    with pytest.raises(SchemaError, match=r"does not validate against pricelist\.xsd") as caught:
        export_feed(catalogue, profile, "pricelist", target)
    assert caught.value.line == 2
    assert target.read_text(encoding="utf-8") == "<old/>"
    assert (out / "feed.xml.invalid").exists()


def test_an_unknown_schema_is_a_config_error(catalogue: Store, out: Path) -> None:
    with pytest.raises(ConfigError, match=r"schema 'nope\.xsd' not found"):
        export_feed(catalogue, profile_with(NATIVE, options={"schema": "nope.xsd"}), "pricelist",
                    out / "feed.xml")
