"""Finding catalogue products by code or EAN, to link them to a platform's product ids."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Connection, select

from exchange.store.schema import products

_BATCH = 500


def products_by_codes(conn: Connection, codes: Sequence[str]) -> dict[str, int]:
    """Product ids by code, for the codes that exist."""
    found: dict[str, int] = {}
    unique = sorted({c for c in codes if c})
    for start in range(0, len(unique), _BATCH):
        rows = conn.execute(select(products.c.code, products.c.id)
                            .where(products.c.code.in_(unique[start:start + _BATCH])))
        found.update({str(code): int(pid) for code, pid in rows})
    return found


def products_by_eans(conn: Connection, eans: Sequence[str]) -> dict[str, list[int]]:
    """Product ids by EAN (an EAN may be on several products), for the EANs that exist."""
    found: dict[str, list[int]] = {}
    unique = sorted({e for e in eans if e})
    for start in range(0, len(unique), _BATCH):
        rows = conn.execute(select(products.c.ean, products.c.id)
                            .where(products.c.ean.in_(unique[start:start + _BATCH]))
                            .order_by(products.c.id))
        for ean, pid in rows:
            found.setdefault(str(ean), []).append(int(pid))
    return found
