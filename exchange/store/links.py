"""Links from a platform's external ids to local records (platform, shop, kind, external id)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, and_, insert, select

from exchange.store.schema import links
from exchange.store.types import utcnow


def find_link(conn: Connection, platform: str, shop: str, kind: str,
              external_id: str) -> int | None:
    """The local id linked to an external id, if remembered."""
    found = conn.execute(select(links.c.local_id).where(and_(
        links.c.platform == platform, links.c.shop == shop, links.c.kind == kind,
        links.c.external_id == external_id))).scalar()
    return int(found) if found is not None else None


def remember_link(conn: Connection, platform: str, shop: str, kind: str,
                  external_id: str, local_id: int) -> None:
    """Remember that an external id stands for a local record (no-op when already known)."""
    if find_link(conn, platform, shop, kind, external_id) is None:
        conn.execute(insert(links).values(platform=platform, shop=shop, kind=kind,
                                          external_id=external_id, local_id=local_id,
                                          created_at=utcnow()))


def insert_links(conn: Connection, rows: list[dict[str, Any]]) -> None:
    """Remember many links at once (rows of the ``links`` table, known to be new)."""
    if rows:
        conn.execute(insert(links), rows)
