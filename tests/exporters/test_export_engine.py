"""The export engine: atomic publishing, the feed gate, differential feeds, history, errors."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from lxml import etree
from sqlalchemy import delete, update

from exchange.documents import Price
from exchange.errors import ConfigError
from exchange.exporters.engine import export_feed
from exchange.exporters.gate import PublicationStatus, publications
from exchange.profiles import ExportSpec, load_profile
from exchange.store import Store
from exchange.store.catalog import product_id_by_code, set_price
from exchange.store.schema import product_prices, products, stock_levels
from exchange.store.types import utcnow
from tests.exporters.conftest import FakeProfile, profile_with

NATIVE = "native/pricelist.xml.j2"
N = "{urn:exchange:pricelist:1}"


def codes(path: Path) -> set[str]:
    root = etree.parse(str(path)).getroot()
    return {el.text for el in root.iter(f"{N}code", "CODE", "ITEM_ID", "{http://base.google.com/ns/1.0}id")}


def drop_products(store: Store, *codes_: str) -> None:
    with store.begin() as conn:
        conn.execute(delete(products).where(products.c.code.in_(codes_)))


def age_catalogue(store: Store) -> None:
    """Date every product and price an hour back, as if the catalogue was loaded long ago."""
    past = utcnow() - timedelta(hours=1)
    with store.begin() as conn:
        conn.execute(update(products).values(updated_at=past))
        conn.execute(update(product_prices).values(updated_at=past))
        conn.execute(update(stock_levels).values(updated_at=past))


def test_publishes_and_records_the_run(catalogue: Store, out: Path) -> None:
    target = out / "feed.xml"
    result = export_feed(catalogue, profile_with(NATIVE), "pricelist", target)
    assert result.status is PublicationStatus.PUBLISHED
    assert result.item_count == 6
    assert result.full
    assert codes(target) == {"KAVA-1", "TRI", "TRI-M", "TRI-L", "DOPRAVA", "KNIHA"}
    assert sorted(p.name for p in out.iterdir()) == ["feed.xml"]  # no temporary file left behind
    with catalogue.connect() as conn:
        runs = publications(conn, "test/pricelist")
    assert [(r.status, r.item_count, r.full) for r in runs] == [(PublicationStatus.PUBLISHED, 6, True)]


def test_gate_holds_a_feed_that_shrank_and_keeps_the_last_one(catalogue: Store, out: Path) -> None:
    target = out / "feed.xml"
    profile = profile_with(NATIVE, gate_max_drop=0.2)
    export_feed(catalogue, profile, "pricelist", target)
    before = target.read_bytes()
    drop_products(catalogue, "KAVA-1", "KNIHA")  # 6 -> 4 items: a 33 % drop
    result = export_feed(catalogue, profile, "pricelist", target)
    assert result.status is PublicationStatus.HELD
    assert result.previous_count == 6
    assert result.item_count == 4
    assert "from 6 to 4" in result.reason
    assert target.read_bytes() == before  # the platform keeps reading the last good feed
    held = out / "feed.xml.held"
    assert codes(held) == {"TRI", "TRI-M", "TRI-L", "DOPRAVA"}
    report = json.loads((out / "feed.xml.held.json").read_text(encoding="utf-8"))
    assert report["status"] == "held"
    assert report["previous_count"] == 6
    # held again: still compared with the last *published* feed, not the held one
    assert export_feed(catalogue, profile, "pricelist", target).status is PublicationStatus.HELD
    forced = export_feed(catalogue, profile, "pricelist", target, force=True)
    assert forced.published
    assert forced.warnings and "--force" in forced.warnings[0]
    assert codes(target) == {"TRI", "TRI-M", "TRI-L", "DOPRAVA"}
    assert not held.exists()


def test_gate_lets_a_small_drop_through(catalogue: Store, out: Path) -> None:
    profile = profile_with(NATIVE, gate_max_drop=0.2)
    export_feed(catalogue, profile, "pricelist", out / "feed.xml")
    drop_products(catalogue, "KNIHA")  # 6 -> 5: 17 %
    assert export_feed(catalogue, profile, "pricelist", out / "feed.xml").published


def test_differential_feed_lists_only_changes_of_its_destination(catalogue: Store, out: Path) -> None:
    profile = profile_with(NATIVE, options={"differential": "replace"})
    target = out / "feed.xml"
    age_catalogue(catalogue)
    first = export_feed(catalogue, profile, "pricelist", target, destination="job:j", changes=True)
    assert first.full  # nothing published yet: everything
    with catalogue.begin() as conn:
        pid = product_id_by_code(conn, "KNIHA")
        assert pid is not None
        set_price(conn, pid, Price("retail", Decimal("333"), "CZK", True))
    second = export_feed(catalogue, profile, "pricelist", target, destination="job:j", changes=True)
    assert not second.full
    assert second.since is not None
    assert codes(target) == {"KNIHA"}
    assert etree.parse(str(target)).getroot().get("full") == "false"
    unchanged = export_feed(catalogue, profile, "pricelist", target, destination="job:j", changes=True)
    assert unchanged.status is PublicationStatus.UNCHANGED  # nothing changed: nothing published
    assert codes(target) == {"KNIHA"}
    full = export_feed(catalogue, profile, "pricelist", target, destination="job:j")
    assert full.full
    assert full.item_count == 6
    other = export_feed(catalogue, profile, "pricelist", out / "other.xml", destination="job:k",
                        changes=True)
    assert other.full and other.item_count == 6  # a new destination gets everything


def test_a_file_written_with_o_is_always_full(catalogue: Store, out: Path) -> None:
    profile = profile_with(NATIVE, options={"differential": "append-only"})
    export_feed(catalogue, profile, "pricelist", out / "feed.xml")
    again = export_feed(catalogue, profile, "pricelist", out / "feed.xml")
    assert again.full and again.item_count == 6
    with pytest.raises(ConfigError, match="needs a destination"):
        export_feed(catalogue, profile, "pricelist", out / "feed.xml", changes=True)


def test_changes_are_refused_for_a_platform_that_takes_only_full_feeds(catalogue: Store,
                                                                      out: Path) -> None:
    profile = profile_with(NATIVE, options={"differential": "none"})
    with pytest.raises(ConfigError, match="always full"):
        export_feed(catalogue, profile, "pricelist", out / "feed.xml", destination="job:j",
                    changes=True)


def test_label_option_filters_and_keeps_its_own_history(catalogue: Store, out: Path) -> None:
    result = export_feed(catalogue, profile_with(NATIVE), "pricelist", out / "e2.xml", label="eshop2")
    assert result.feed_key == "test/pricelist@eshop2"
    assert codes(out / "e2.xml") == {"KNIHA"}


def test_render_error_leaves_the_published_feed_untouched(catalogue: Store, out: Path,
                                                          tmp_path: Path) -> None:
    target = out / "feed.xml"
    target.write_text("<old/>", encoding="utf-8")
    own = tmp_path / "templates"
    own.mkdir()
    (own / "broken.xml.j2").write_text("<SHOP>\n{% for item in items %}\n<X>{{ item.nope }}</X>\n"
                                       "{% endfor %}\n</SHOP>\n", encoding="utf-8")
    profile = profile_with("broken.xml.j2", template_dir=own)
    with pytest.raises(ConfigError, match=r"broken\.xml\.j2:3: template error: .*nope"):
        export_feed(catalogue, profile, "pricelist", target)
    assert target.read_text(encoding="utf-8") == "<old/>"
    assert sorted(p.name for p in out.iterdir()) == ["feed.xml"]


def test_a_profiles_own_template_folder_overrides_bundled_templates(catalogue: Store, out: Path,
                                                                    tmp_path: Path) -> None:
    own = tmp_path / "templates"
    (own / "native").mkdir(parents=True)
    (own / "native" / "pricelist.xml.j2").write_text(
        "<list>{% for item in items %}<CODE>{{ item.code }}</CODE>{% endfor %}</list>", encoding="utf-8")
    export_feed(catalogue, profile_with(NATIVE, template_dir=own), "pricelist", out / "f.xml")
    assert etree.parse(str(out / "f.xml")).getroot().tag == "list"


def test_user_mistakes_are_config_errors(catalogue: Store, out: Path) -> None:
    profile = profile_with(NATIVE)
    with pytest.raises(ConfigError, match="has no feed 'stock'; it offers: pricelist"):
        export_feed(catalogue, profile, "stock", out / "f.xml")
    with pytest.raises(ConfigError, match=r"output folder .* does not exist"):
        export_feed(catalogue, profile, "pricelist", out / "missing" / "f.xml")
    with pytest.raises(ConfigError, match="unknown price list 'vip'"):
        export_feed(catalogue, profile, "pricelist", out / "f.xml", price_list="vip")
    with pytest.raises(ConfigError, match=r"template 'nope\.j2' not found"):
        export_feed(catalogue, FakeProfile("x", {"pricelist": ExportSpec(name="pricelist", template="nope.j2")}),
                    "pricelist", out / "f.xml")
    assert list(out.iterdir()) == []


@pytest.mark.parametrize("name", ["shoptet", "prestashop", "heureka", "google", "native"])
def test_every_bundled_feed_renders_well_formed(catalogue: Store, out: Path, name: str) -> None:
    profile = load_profile(name)
    assert "pricelist" in profile.exports
    for feed in profile.exports:
        target = out / f"{name}-{feed}.xml"
        result = export_feed(catalogue, profile, feed, target)
        assert result.published
        etree.parse(str(target))  # well-formed
