"""What each http(s) source answered last (ETag, Last-Modified, sha256), for conditional pulls."""

from __future__ import annotations

from collections.abc import Sequence
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


def remember_all_validators(conn: Connection, source: str,
                            found: Sequence[tuple[str, Validators]]) -> None:
    """Keep what the server sent with each URL for the next pull (replacing what was kept): one
    delete and one insert per 500 URLs."""
    now = utcnow()
    latest = dict(found)  # a URL fetched twice keeps what it sent last
    urls = list(latest)
    for start in range(0, len(urls), 500):
        part = urls[start:start + 500]
        conn.execute(delete(http_validators).where(http_validators.c.source == source,
                                                   http_validators.c.url.in_(part)))
        conn.execute(insert(http_validators), [
            {"source": source, "url": url, "etag": latest[url].etag,
             "last_modified": latest[url].last_modified, "sha256": latest[url].sha256,
             "updated_at": now} for url in part])


def forget_validators(conn: Connection, source: str) -> int:
    """Drop what was kept for ``source`` (the next pull fetches everything); returns the count."""
    return conn.execute(delete(http_validators)
                        .where(http_validators.c.source == source)).rowcount
