"""Held documents, the review decisions remembered for them, and the console's users."""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Table,
    delete,
    desc,
    func,
    insert,
    literal_column,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError

from exchange.store.schema import (
    console_users,
    events,
    invoices,
    mapping_decisions,
    orders,
    processed_files,
)
from exchange.store.types import utcnow

_TABLES: dict[str, Table] = {"orders": orders, "invoices": invoices}


def is_held(table: Table) -> ColumnElement[bool]:
    """The held documents of a table, written so that the partial index ``ix_*_held`` serves it."""
    return table.c.review_reason != literal_column("''")


def held_reasons(conn: Connection) -> list[dict[str, Any]]:
    """Held documents counted per kind, shop and review reason (one row per distinct reason)."""
    found: list[dict[str, Any]] = []
    for name, table in _TABLES.items():
        query = (select(table.c.shop, table.c.review_reason, func.count().label("count"))
                 .where(is_held(table)).group_by(table.c.shop, table.c.review_reason))
        found += [dict(r._mapping, kind=name) for r in conn.execute(query)]
    return found


def held_sample(conn: Connection, kind: str, shop: str, reasons: list[str], limit: int
                ) -> list[dict[str, Any]]:
    """Up to ``limit`` held documents of a shop with one of the given reasons, oldest first."""
    table = _TABLES[kind]
    query = (select(table.c.id, table.c.shop, table.c.external_id, table.c.number,
                    table.c.review_reason, table.c.source_file)
             .where(is_held(table), table.c.shop == shop, table.c.review_reason.in_(reasons))
             .order_by(table.c.id).limit(limit))
    return [dict(r._mapping, kind=kind) for r in conn.execute(query)]


def held_documents(conn: Connection, kind: str | None = None, *, shop: str | None = None
                   ) -> list[dict[str, Any]]:
    """Every order and invoice waiting for review (kind, id, shop, number, reason, source file)."""
    found: list[dict[str, Any]] = []
    for name, table in _TABLES.items():
        if kind and kind != name:
            continue
        query = (select(table.c.id, table.c.shop, table.c.external_id, table.c.number,
                        table.c.review_reason, table.c.source_file, table.c.updated_at)
                 .where(is_held(table)).order_by(table.c.id))
        if shop:
            query = query.where(table.c.shop == shop)
        found += [dict(r._mapping, kind=name) for r in conn.execute(query)]
    return found


def held_document(conn: Connection, kind: str, doc_id: int) -> dict[str, Any] | None:
    """One document's review fields, held or not (with its total, for a totals decision)."""
    table = _TABLES[kind]
    row = conn.execute(select(table.c.id, table.c.shop, table.c.external_id, table.c.number,
                              table.c.review_reason, table.c.source_file, table.c.content_hash,
                              table.c.total)
                       .where(table.c.id == doc_id)).first()
    return dict(row._mapping, kind=kind) if row else None


def last_held_event(conn: Connection, kind: str, shop: str, external_id: str) -> dict[str, Any] | None:
    """The newest "held" event of a document (its details carry the field diff and hashes)."""
    row = conn.execute(select(events).where(events.c.document == f"{kind}:{shop}:{external_id}",
                                            events.c.kind == "held")
                       .order_by(desc(events.c.at), desc(events.c.id)).limit(1)).first()
    return dict(row._mapping) if row else None


def forget_hashes(conn: Connection, kind: str, ids: list[int]) -> dict[int, str]:
    """Blank the content hash of documents so that the next import of them writes them again.

    Returns the hashes it replaced, for :func:`restore_hashes` when that import fails.
    """
    table = _TABLES[kind]
    old = {int(r[0]): str(r[1]) for r in conn.execute(
        select(table.c.id, table.c.content_hash).where(table.c.id.in_(ids)))}
    conn.execute(update(table).where(table.c.id.in_(ids)).values(content_hash=""))
    return old


def restore_hashes(conn: Connection, kind: str, hashes: dict[int, str]) -> None:
    """Put back hashes that :func:`forget_hashes` blanked and nothing has rewritten since."""
    table = _TABLES[kind]
    for doc_id, digest in hashes.items():
        conn.execute(update(table).where(table.c.id == doc_id, table.c.content_hash == "")
                     .values(content_hash=digest))


def keep_stored_version(conn: Connection, kind: str, doc_id: int, rejected_hash: str) -> None:
    """Reject a held change: the stored document stands, and the rejected content is remembered.

    The stored hash becomes the rejected one, so the same content exported again is "unchanged".
    """
    table = _TABLES[kind]
    values: dict[str, Any] = {"review_reason": "", "updated_at": utcnow()}
    if rejected_hash:
        values["content_hash"] = rejected_hash
    conn.execute(update(table).where(table.c.id == doc_id).values(**values))


def original_of(conn: Connection, name: str) -> dict[str, Any] | None:
    """Where the newest processed file called ``name`` lay, with the report stored for it."""
    pf = processed_files
    row = conn.execute(select(pf.c.source, pf.c.name, pf.c.sha256, pf.c.report)
                       .where(pf.c.name == name).order_by(desc(pf.c.id)).limit(1)).first()
    return dict(row._mapping) if row else None


# --- decisions -----------------------------------------------------------------------------------

def save_decision(conn: Connection, *, shop: str, profile: str, field: str, value: str, target: str,
                  decided_by: str) -> None:
    """Remember "``field`` ``value`` means ``target`` for this shop and profile" (a later one wins)."""
    key = {"shop": shop, "profile": profile, "field": field, "value": value}
    now = utcnow()
    changed = conn.execute(update(mapping_decisions).where(
        *(mapping_decisions.c[k] == v for k, v in key.items()))
        .values(target=target, decided_by=decided_by, decided_at=now)).rowcount
    if not changed:
        conn.execute(insert(mapping_decisions).values(**key, target=target, decided_by=decided_by,
                                                      decided_at=now))


def list_decisions(conn: Connection, *, shop: str | None = None, profile: str | None = None
                   ) -> list[dict[str, Any]]:
    """Remembered decisions, by shop, profile, field and value."""
    md = mapping_decisions
    query = select(md).order_by(md.c.shop, md.c.profile, md.c.field, md.c.value)
    if shop:
        query = query.where(md.c.shop == shop)
    if profile:
        query = query.where(md.c.profile == profile)
    return [dict(r._mapping) for r in conn.execute(query)]


def delete_decision(conn: Connection, decision_id: int) -> bool:
    """Forget one decision; False when there was none."""
    return bool(conn.execute(delete(mapping_decisions)
                             .where(mapping_decisions.c.id == decision_id)).rowcount)


# --- users ----------------------------------------------------------------------------------------

def add_user(conn: Connection, name: str, password_hash: str) -> bool:
    """Store a console user; False when the name is taken."""
    try:
        with conn.begin_nested():
            conn.execute(insert(console_users).values(name=name, password_hash=password_hash,
                                                      created_at=utcnow()))
    except IntegrityError:
        return False
    return True


def set_password_hash(conn: Connection, name: str, password_hash: str) -> bool:
    """Replace a user's hash (a rehash or a new password); False when there is no such user."""
    return bool(conn.execute(update(console_users).where(console_users.c.name == name)
                             .values(password_hash=password_hash)).rowcount)


def password_hash_of(conn: Connection, name: str) -> str | None:
    """The stored argon2 hash of a user, None when unknown."""
    found = conn.execute(select(console_users.c.password_hash)
                         .where(console_users.c.name == name)).scalar()
    return str(found) if found is not None else None


def user_names(conn: Connection) -> list[str]:
    """The console's users."""
    return [r[0] for r in conn.execute(select(console_users.c.name).order_by(console_users.c.name))]


def remove_user(conn: Connection, name: str) -> bool:
    """Delete a user; False when there was none."""
    return bool(conn.execute(delete(console_users).where(console_users.c.name == name)).rowcount)

