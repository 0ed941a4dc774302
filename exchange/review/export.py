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


def decisions_comment(app: Any, profile: str) -> str:
    """The decisions remembered for ``profile`` as YAML comments ("" when there is no store yet).

    ``app`` is the CLI's AppContext; a store that does not exist yet is not created for this.
    """
    from pathlib import Path

    from exchange.store.reviews import list_decisions

    url = app.resolved_database_url()
    if url is None and not Path("exchange.db").is_file():
        return ""
    with app.store().connect() as conn:
        found = list_decisions(conn, profile=profile)
    if not found:
        return ""
    lines = ["", f"# remembered decisions on top of this profile (exchange review; {len(found)}):"]
    lines += [f"#   shop {d['shop']}: {d['field']} {d['value']!r} -> {d['target']!r}"
              f" (by {d['decided_by']}, {d['decided_at']:%Y-%m-%d %H:%M})" for d in found]
    return "\n".join(lines) + "\n"
