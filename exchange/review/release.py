"""Acting on the review queue: remember a decision, then re-process from the stored original every
held document it releases, with no re-import by hand.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection

from exchange.errors import ConfigError, ExchangeError
from exchange.importers.read.builders import ACCEPTED_TOTALS, total_text
from exchange.importers.write.matching import CUSTOMER_MERGE, merge_key
from exchange.profiles import MAP_TARGETS, DocumentKind, OnChanged, Profile, load_profile
from exchange.review.causes import CauseKind, causes_of
from exchange.review.overlay import decisions_for, replaced
from exchange.review.queue import waiting_on
from exchange.store import Store
from exchange.store.customers import customer_of
from exchange.store.customers import merge_customer as merge_customers
from exchange.store.history import record_event
from exchange.store.reviews import (
    forget_hashes,
    held_document,
    keep_stored_version,
    last_held_event,
    original_of,
    restore_hashes,
    save_decision,
)

log = logging.getLogger(__name__)

# (profile name as the stored report has it, shop) → the profile to read the original with
ProfileResolver = Callable[[str, str], Profile]


def bundled_or_path(name: str, _shop: str) -> Profile:
    """The default resolver: a bundled profile by name, or a profile file path."""
    return load_profile(name)


@dataclass
class ReleaseReport:
    """What re-processing held documents did."""

    released: list[str] = field(default_factory=list)  # "orders:shop:external id"
    still_held: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)  # documents or files, each with why

    def as_dict(self) -> dict[str, Any]:
        """Plain data for JSON."""
        return {"released": self.released, "still_held": self.still_held, "failed": self.failed}

    def summary(self) -> str:
        """One readable line."""
        text = f"{len(self.released)} released, {len(self.still_held)} still held"
        return text + (f", {len(self.failed)} failed" if self.failed else "")


def _check_target(field_name: str, target: str) -> None:
    allowed = MAP_TARGETS.get(field_name)
    if field_name not in MAP_TARGETS:
        raise ConfigError(f"unknown value map {field_name!r}; known: {', '.join(sorted(MAP_TARGETS))}")
    if allowed is not None and target not in allowed:
        raise ConfigError(f"{target!r} is not a {field_name} value; one of: {', '.join(sorted(allowed))}")


def reprocess(store: Store, docs: list[dict[str, Any]], *, who: str,
              resolve: ProfileResolver = bundled_or_path) -> ReleaseReport:
    """Import held documents again from their stored originals, with the remembered decisions.

    Only the documents given are written (the rest of each file is left alone); a held change is
    accepted, since the user asked for this document to be written.
    """
    report = ReleaseReport()
    by_file: dict[tuple[str, str, str], list[dict[str, Any]]] = {}
    for doc in docs:
        by_file.setdefault((doc["kind"], doc["shop"], doc["source_file"]), []).append(doc)
    for (kind, shop, source_file), group in by_file.items():
        names = {d["external_id"]: f"{kind}:{shop}:{d['external_id']}" for d in group}
        try:
            _reprocess_file(store, kind, shop, source_file, group, resolve)
        except (ExchangeError, OSError) as exc:
            why = f"{source_file or '(no source file)'}: {exc}"
            log.warning("review: cannot re-process %s", why)
            report.failed += [f"{name}: {why}" for name in names.values()]
            continue
        with store.connect() as conn:
            for doc in group:
                now = held_document(conn, kind, doc["id"])
                name = names[doc["external_id"]]
                (report.still_held if now and now["review_reason"] else report.released).append(name)
    with store.begin() as conn:
        record_event(conn, kind="review", level="info", message=f"re-processed by {who}: "
                     + report.summary(), details=report.as_dict())
    return report


def _reprocess_file(store: Store, kind: str, shop: str, source_file: str,
                    group: list[dict[str, Any]], resolve: ProfileResolver) -> None:
    from exchange.importers.read.records import read_records
    from exchange.importers.run import ImportRequest, import_records
    from exchange.store.processed_files import local_file

    with store.connect() as conn:
        original = original_of(conn, source_file) if source_file else None
    if original is None:
        raise ConfigError("the store does not know where this file was imported from")
    path = local_file(original)
    if path is None or not path.is_file():
        raise ConfigError(f"the original {path} is no longer there")
    stored = original.get("report") or {}
    profile = resolve(str(stored.get("profile") or ""), shop)
    profile = decisions_for(store, profile, shop)
    options = replaced(profile.import_options, on_changed=OnChanged.UPDATE.value)
    profile = replaced(profile, import_options=options)
    wanted = {d["external_id"] for d in group}
    with store.begin() as conn:
        hashes = forget_hashes(conn, kind, [d["id"] for d in group])
    try:
        records = (r for r in read_records(path, profile, kind) if r.external_id in wanted
                   or getattr(r.document, "external_id", None) in wanted)
        import_records(store, ImportRequest(path, profile, DocumentKind(kind), shop=shop),
                       records)
    finally:
        with store.begin() as conn:
            restore_hashes(conn, kind, hashes)


def map_value(store: Store, *, shop: str, field_name: str, value: str, target: str, who: str,
              profile: str | None = None, resolve: ProfileResolver = bundled_or_path
              ) -> ReleaseReport:
    """Remember "``value`` of map ``field_name`` means ``target`` for ``shop``", then release.

    The decision is stored for the profile each waiting document was read with (or ``profile``).
    """
    _check_target(field_name, target)
    docs = waiting_on(store, shop, field_name, value)
    profiles: set[str] = {profile} if profile else set()
    with store.connect() as conn:
        for doc in docs:
            original = original_of(conn, doc["source_file"]) if doc["source_file"] else None
            name = ((original or {}).get("report") or {}).get("profile")
            if name and not profile:
                profiles.add(str(name))
    if not profiles:
        raise ConfigError(f"no held document of shop {shop!r} waits on {field_name} {value!r}; "
                          "give the profile to remember the decision for")
    with store.begin() as conn:
        for name in sorted(profiles):
            save_decision(conn, shop=shop, profile=name, field=field_name, value=value, target=target,
                          decided_by=who)
        record_event(conn, kind="review", level="info", document=f"map:{shop}:{field_name}",
                     message=f"{field_name} {value!r} → {target!r} for shop {shop} "
                             f"(profile {', '.join(sorted(profiles))}) by {who}",
                     details={"shop": shop, "field": field_name, "value": value, "target": target,
                              "profiles": sorted(profiles), "waiting": len(docs)})
    return reprocess(store, docs, who=who, resolve=resolve)


def _held(conn: Connection, kind: str, doc_id: int) -> dict[str, Any]:
    """A held document; ConfigError when there is none or it is not held."""
    doc = held_document(conn, kind, doc_id)
    if doc is None:
        raise ConfigError(f"no {kind[:-1]} with id {doc_id}")
    if not doc["review_reason"]:
        raise ConfigError(f"{kind[:-1]} {doc['number']} is not held")
    return doc


def accept(store: Store, kind: str, doc_id: int, *, who: str,
           resolve: ProfileResolver = bundled_or_path) -> ReleaseReport:
    """Accept what the file says for one held document: write it from its original.

    A document held because its total does not match its lines has that total remembered as
    accepted (for this document and this total only), so this and later imports book it.
    """
    with store.connect() as conn:
        doc = _held(conn, kind, doc_id)
        original = original_of(conn, doc["source_file"]) if doc["source_file"] else None
    if doc["total"] is not None and any(c.kind is CauseKind.TOTALS
                                        for c in causes_of(doc["review_reason"])):
        profile = str(((original or {}).get("report") or {}).get("profile") or "")
        if not profile:
            raise ConfigError(f"{kind[:-1]} {doc['number']}: the store does not know the profile "
                              "it was read with, so the accepted total cannot be remembered")
        total = total_text(Decimal(doc["total"]))
        with store.begin() as conn:
            save_decision(conn, shop=doc["shop"], profile=profile, field=ACCEPTED_TOTALS,
                          value=doc["external_id"], target=total, decided_by=who)
            record_event(conn, kind="review", level="info",
                         document=f"{kind}:{doc['shop']}:{doc['external_id']}",
                         message=f"total {total} accepted by {who} although the lines differ",
                         details={"total": total, "profile": profile})
    return reprocess(store, [doc], who=who, resolve=resolve)


_SHARING = re.compile(r"is also that of customer #(\d+)")


def merge_customer(store: Store, kind: str, doc_id: int, *, who: str,
                   resolve: ProfileResolver = bundled_or_path) -> ReleaseReport:
    """A customer-conflict hold: the person sharing the e-mail *is* the customer the reason names.

    The customer created for this document is merged into that one, and the decision is
    remembered (e-mail with name and company → customer), so later orders of the person match it.
    "Keep them apart" is :func:`accept`: the new customer stands.
    """
    with store.connect() as conn:
        doc = _held(conn, kind, doc_id)
        person = customer_of(conn, kind, doc_id)
        original = original_of(conn, doc["source_file"]) if doc["source_file"] else None
    found = _SHARING.search(doc["review_reason"])
    if found is None or person is None:
        raise ConfigError(f"{kind[:-1]} {doc['number']} is not held for a customer sharing an "
                          "e-mail")
    into = int(found.group(1))
    profile = str(((original or {}).get("report") or {}).get("profile") or "")
    if not profile:
        raise ConfigError(f"{kind[:-1]} {doc['number']}: the store does not know the profile it "
                          "was read with, so the decision cannot be remembered")
    key = merge_key(person["email"] or "", person["name"] or "", person["company"] or "")
    with store.begin() as conn:
        if not merge_customers(conn, other=int(person["id"]), into=into):
            raise ConfigError(f"customer #{into} is no longer in the store")
        save_decision(conn, shop=doc["shop"], profile=profile, field=CUSTOMER_MERGE, value=key,
                      target=str(into), decided_by=who)
        record_event(conn, kind="review", level="info",
                     document=f"{kind}:{doc['shop']}:{doc['external_id']}",
                     message=f"customer #{person['id']} merged into #{into} by {who}",
                     details={"merged": int(person["id"]), "into": into, "key": key})
    return reprocess(store, [doc], who=who, resolve=resolve)


def reject(store: Store, kind: str, doc_id: int, *, who: str) -> None:
    """Reject a held change: keep the stored (ERP's) version, and remember the rejected content."""
    with store.begin() as conn:
        doc = _held(conn, kind, doc_id)
        held = last_held_event(conn, kind, doc["shop"], doc["external_id"])
        rejected = str(((held or {}).get("details") or {}).get("new_hash") or "")
        keep_stored_version(conn, kind, doc_id, rejected)
        record_event(conn, kind="review", level="info",
                     document=f"{kind}:{doc['shop']}:{doc['external_id']}",
                     message=f"held change rejected by {who}; the stored version stands",
                     details={"rejected_hash": rejected})
