"""``processed_files``: one row per file the exchange took in, and what became of it.

``source`` always says where the file was taken from, as a URL: the endpoint's URL for a pulled file
(``ftp://shop/orders``), the ``file://`` URL of its folder for a file imported from disk. A pulled
file gets its row when it is downloaded; its import then updates that same row (it brings the row's
id in a :class:`FileOrigin`), so one pulled file is one row.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, func, insert, select, update

from exchange.store.schema import processed_files
from exchange.store.types import utcnow


class FileStatus(StrEnum):
    """States of a row in ``processed_files``."""

    DOWNLOADED = "downloaded"  # in the inbox, import pending
    IMPORTED = "imported"  # imported; never again
    PARTIAL = "partial"  # imported in part (per-item report); never again
    FAILED = "failed"  # import failed; the same content may be offered again
    DUPLICATE = "duplicate"  # same content as an imported one; skipped
    REFUSED = "refused"  # nothing to import in it (another kind, an error answer, empty); left
    # where it is on the server, and not taken again while it is unchanged


#: Content in these states is never imported again.
DONE = (FileStatus.IMPORTED, FileStatus.PARTIAL)
#: A remote file matching a row in these states needs only its remote clean-up.
SETTLED = (*DONE, FileStatus.DUPLICATE, FileStatus.FAILED)


@dataclass(frozen=True)
class FileOrigin:
    """Where a file to import came from: its row in ``processed_files`` and the sha256 known."""

    source: str
    record_id: int
    sha256: str


@dataclass(frozen=True)
class NewFile:
    """A file to record."""

    source: str
    name: str
    size: int
    sha256: str
    status: FileStatus
    mtime: datetime | None = None
    report: dict[str, Any] | None = None


def local_source(path: Path) -> str:
    """The ``source`` of a file imported from disk: its folder as a ``file://`` URL."""
    return path.resolve().parent.as_uri()


def local_file(row: dict[str, Any]) -> Path | None:
    """Where the imported copy of a recorded file lies on disk (its report says), if known."""
    report = row.get("report") or {}
    if report.get("file"):
        return Path(str(report["file"]))
    source = str(row.get("source") or "")
    if source.startswith("file://"):
        from urllib.parse import unquote, urlparse

        return Path(unquote(urlparse(source).path)) / str(row["name"])
    return None


def files_of(conn: Connection, source: str) -> list[dict[str, Any]]:
    """Every row of ``source``, oldest first."""
    result = conn.execute(select(processed_files).where(processed_files.c.source == source)
                          .order_by(processed_files.c.id)).mappings()
    return [dict(row) for row in result]


def add_files(conn: Connection, files: Sequence[NewFile]) -> list[int]:
    """Record new files; their ids in order.

    PostgreSQL takes them in one ``INSERT … RETURNING`` per thousand rows. SQLite cannot say
    which returned id belongs to which row, so SQLAlchemy would send one INSERT per file (a
    sixth of the CPU of pulling a thousand small documents): there, the rows go in one
    ``executemany`` inside the write transaction, and their ids are the ones above the largest
    before it, in order (SQLite gives each new row one more than the largest rowid).
    """
    if not files:
        return []
    now = utcnow()
    rows = [{"source": f.source, "name": f.name, "size": f.size, "mtime": f.mtime,
             "sha256": f.sha256, "status": f.status.value, "report": f.report,
             "created_at": now, "updated_at": now} for f in files]
    pf = processed_files
    if conn.dialect.name != "sqlite" or len(rows) == 1:
        ids = conn.execute(insert(pf).returning(pf.c.id, sort_by_parameter_order=True),
                           rows).scalars().all()
        return [int(i) for i in ids]
    before = conn.execute(select(func.coalesce(func.max(pf.c.id), 0))).scalar_one()
    conn.execute(insert(pf), rows)
    ids = conn.execute(select(pf.c.id).where(pf.c.id > before).order_by(pf.c.id)).scalars().all()
    if len(ids) != len(rows):  # another writer inside our write lock cannot happen; say so if it did
        raise RuntimeError(f"processed_files: {len(rows)} rows written, {len(ids)} ids found")
    return [int(i) for i in ids]


def refresh_file(conn: Connection, record_id: int, *, size: int,
                 mtime: datetime | None) -> None:
    """A file downloaded again while its row waits: new size and mtime."""
    conn.execute(update(processed_files).where(processed_files.c.id == record_id)
                 .values(size=size, mtime=mtime, updated_at=utcnow()))


def set_status(conn: Connection, record_id: int, status: FileStatus,
               report: dict[str, Any] | None) -> None:
    """What became of a recorded file."""
    conn.execute(update(processed_files).where(processed_files.c.id == record_id)
                 .values(status=status.value, report=report, updated_at=utcnow()))


def shops_of_content(conn: Connection, sha256: str) -> list[str]:
    """The shops a file with this content was imported under (in full or in part), oldest first."""
    pf = processed_files
    shops: list[str] = []
    for (report,) in conn.execute(select(pf.c.report).where(
            pf.c.sha256 == sha256, pf.c.status.in_([s.value for s in DONE])).order_by(pf.c.id)):
        shop = report.get("shop") if isinstance(report, dict) else None
        if shop and shop not in shops:
            shops.append(shop)
    return shops


def record_import(conn: Connection, *, path: Path, size: int, sha256: str, status: FileStatus,
                  report: dict[str, Any], origin: FileOrigin | None = None) -> int:
    """Record an import's outcome: on the pulled file's own row, or on the local file's row."""
    if origin is not None:
        conn.execute(update(processed_files).where(processed_files.c.id == origin.record_id)
                     .values(size=size, status=status.value, report=report,
                             updated_at=utcnow()))
        return origin.record_id
    pf = processed_files
    source = local_source(path)
    found = conn.execute(select(pf.c.id).where(
        pf.c.source == source, pf.c.name == path.name, pf.c.sha256 == sha256)
        .order_by(pf.c.id.desc()).limit(1)).scalar()
    if found is not None:
        conn.execute(update(pf).where(pf.c.id == found).values(
            size=size, status=status.value, report=report, updated_at=utcnow()))
        return int(found)
    return add_files(conn, [NewFile(source, path.name, size, sha256, status, report=report)])[0]
