"""Remembered decisions written as profile YAML, to paste into a profile kept in git."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import yaml


def decisions_yaml(decisions: Iterable[Mapping[str, Any]]) -> str:
    """One YAML document per (shop, profile): ``maps: {FIELD: {values: {VALUE: TARGET}}}``."""
    grouped: dict[tuple[str, str], dict[str, dict[str, str]]] = {}
    for d in decisions:
        maps = grouped.setdefault((str(d["shop"]), str(d["profile"])), {})
        maps.setdefault(str(d["field"]), {})[str(d["value"])] = str(d["target"])
    if not grouped:
        return "# no remembered decisions\n"
    parts = []
    for (shop, profile), maps in sorted(grouped.items()):
        body = {"maps": {name: {"values": values} for name, values in sorted(maps.items())}}
        text = yaml.safe_dump(body, allow_unicode=True, sort_keys=True, default_flow_style=False)
        parts.append(f"# shop {shop}, profile {profile}: add under the kind's mapping "
                     f"(e.g. import: orders:)\n{text}")
    return "---\n".join(parts)
