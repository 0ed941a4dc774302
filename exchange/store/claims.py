"""Claims on a file by its content, so two processes importing one file at once take turns.

On PostgreSQL a claim is a transaction-level advisory lock keyed on the file's sha256: the second
importer waits until the first commits (or rolls back), then finds every document already there and
skips it as unchanged. SQLite lets one writer at a time anyway, so there a claim is a no-op.
"""

from __future__ import annotations

from sqlalchemy import Connection, text

_NAMESPACE = 0x45584348  # "EXCH": our advisory locks keep clear of any other application's


def claim_file(conn: Connection, sha256: str) -> None:
    """Hold the file with this content for the rest of ``conn``'s transaction (waits for another holder)."""
    if conn.dialect.name != "postgresql" or not sha256:
        return
    key = int.from_bytes(bytes.fromhex(sha256[:8]), "big", signed=True)
    conn.execute(text("SELECT pg_advisory_xact_lock(:ns, :key)"), {"ns": _NAMESPACE, "key": key})
