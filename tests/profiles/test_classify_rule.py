"""A `classify` map must give line kinds whatever it is named (issue 10 item 6).

Before the rule lived in the model, only a map named `line_kind` was checked: a map with any other
name loaded, then crashed a serial import with a bare ValueError, or quarantined the file in
parallel mode as "the reader failed".
"""

from __future__ import annotations

from pathlib import Path

import pytest

from exchange.errors import ProfileError
from exchange.profiles import load_profile

PROFILE = """\
kinds:
  orders:
    record: /ORDERS/ORDER
    fields:
      external_id: ORDER_ID
      created_at: DATE
    lines:
      path: ORDER_ITEMS/ITEM
      classify: item_types
      fields:
        kind: TYPE
        name: NAME
    maps:
      item_types:
        values:
          product: product
          shipping: doprava
        default: produkt
"""


def test_a_classify_map_with_any_name_must_give_line_kinds(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text(PROFILE, encoding="utf-8")
    with pytest.raises(ProfileError) as info:
        load_profile(path)
    assert sorted(info.value.problems) == [
        f"{path}:17: kinds.orders.maps.item_types.values.shipping: 'doprava' is not one of "
        "advance, discount, other, payment, product, shipping",
        f"{path}:18: kinds.orders.maps.item_types.default: 'produkt' is not one of "
        "advance, discount, other, payment, product, shipping",
    ]


def test_the_same_map_with_line_kinds_loads(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text(PROFILE.replace("doprava", "shipping").replace("produkt", "product"),
                    encoding="utf-8")
    lines = load_profile(path).mapping("orders").lines
    assert lines is not None
    assert lines.classify == "item_types"
