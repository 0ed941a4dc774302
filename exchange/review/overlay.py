"""Remembered decisions laid over a profile, so an import reads them as if the profile had them."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from typing import Any

from exchange.profiles import Profile, ValueMap
from exchange.store import Store
from exchange.store.reviews import list_decisions


def replaced(obj: Any, **changes: Any) -> Any:
    """A copy of a profile part with some attributes changed (dataclass or pydantic model)."""
    copy = getattr(obj, "model_copy", None)
    if copy is not None:
        return copy(update=changes)
    return dataclasses.replace(obj, **changes)


def with_decisions(profile: Profile, decisions: Iterable[Mapping[str, Any]]) -> Profile:
    """``profile`` with each decision (field = value map, value → target) added to its value maps.

    A decision adds to a map the profile already has, for every kind of document that has it; the
    profile's own entries stand.
    """
    extra: dict[str, dict[str, str]] = {}
    for d in decisions:
        extra.setdefault(str(d["field"]), {})[str(d["value"]).strip().casefold()] = str(d["target"])
    if not extra:
        return profile
    kinds = {}
    for kind, mapping in profile.kinds.items():
        maps = dict(mapping.maps)
        for name, values in extra.items():
            if name in maps:
                maps[name] = maps[name].merged(values)
            else:
                maps[name] = ValueMap.of(name, values)
        kinds[kind] = mapping.model_copy(update={"maps": maps})
    return profile.with_kinds(kinds)


def decisions_for(store: Store, profile: Profile, shop: str | None) -> Profile:
    """``profile`` with the decisions remembered for this shop (default: the profile's shop)."""
    with store.connect() as conn:
        found = list_decisions(conn, shop=shop or profile.import_options.shop, profile=profile.name)
    return with_decisions(profile, found)
