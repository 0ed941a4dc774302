"""What each http(s) source answered last (ETag, Last-Modified, sha256), for conditional pulls."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, delete, insert, select

from exchange.store.schema import http_validators
from exchange.store.types import utcnow


@dataclass(frozen=True)
class Validators:
    """The validators a server sent with a document, replayed as If-None-Match/If-Modified-Since."""

    etag: str = ""
    last_modified: str = ""
    sha256: str = ""


def validators_of(conn: Connection, source: str) -> dict[str, Validators]:
    """The remembered validators of every document URL of ``source``."""
    rows = conn.execute(select(http_validators).where(http_validators.c.source == source))
    return {row.url: Validators(row.etag, row.last_modified, row.sha256) for row in rows}


def remember_validators(conn: Connection, source: str, url: str, validators: Validators) -> None:
    """Keep what the server sent with ``url`` for the next pull (replacing what was kept)."""
    conn.execute(delete(http_validators).where(http_validators.c.source == source,
                                               http_validators.c.url == url))
    conn.execute(insert(http_validators).values(
        source=source, url=url, etag=validators.etag, last_modified=validators.last_modified,
        sha256=validators.sha256, updated_at=utcnow()))


def forget_validators(conn: Connection, source: str) -> int:
    """Drop what was kept for ``source`` (the next pull fetches everything); returns the count."""
    return conn.execute(delete(http_validators)
                        .where(http_validators.c.source == source)).rowcount
