"""The review queue: every held document in one list, grouped by what it waits on."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from exchange.review.causes import Cause, CauseKind, causes_of
from exchange.store import Store
from exchange.store.reviews import held_documents, held_reasons, held_sample

# a group lists this many of its documents; the count says how many there are
SAMPLE = 20


@dataclass
class Group:
    """Held documents that share one cause (for an unmapped value: one shop, map and value)."""

    cause: Cause
    shop: str
    count: int = 0
    documents: list[dict[str, Any]] = field(default_factory=list)

    @property
    def key(self) -> str:
        """A stable name for the group (used in links and forms)."""
        if self.cause.kind is CauseKind.UNMAPPED:
            return f"{self.cause.key}:{self.shop}"
        return self.cause.kind.value

    def as_dict(self) -> dict[str, Any]:
        """Plain data for JSON."""
        return {"key": self.key, "cause": self.cause.kind.value, "shop": self.shop,
                "field": self.cause.field, "value": self.cause.value, "count": self.count,
                "documents": self.documents}


_ORDER = {CauseKind.UNMAPPED: 0, CauseKind.CHANGED: 1, CauseKind.TOTALS: 2, CauseKind.CUSTOMER: 3,
          CauseKind.OTHER: 4}


def review_queue(store: Store, *, sample: int = SAMPLE) -> list[Group]:
    """Held documents grouped by cause: unmapped values first (most waiting first), then the rest.

    Counted per distinct review reason in the store; only ``sample`` documents per group are read.
    """
    groups: dict[str, Group] = {}
    members: dict[str, dict[tuple[str, str], list[str]]] = {}  # group → (kind, shop) → reasons
    with store.connect() as conn:
        for row in held_reasons(conn):
            for cause in causes_of(row["review_reason"]) or [Cause(CauseKind.OTHER)]:
                shop = row["shop"] if cause.kind is CauseKind.UNMAPPED else ""
                group = Group(cause, shop)
                group = groups.setdefault(group.key, group)
                group.count += int(row["count"])
                members.setdefault(group.key, {}).setdefault(
                    (row["kind"], row["shop"]), []).append(row["review_reason"])
        for key, group in groups.items():
            for (kind, shop), reasons in members[key].items():
                room = sample - len(group.documents)
                if room <= 0:
                    break
                for doc in held_sample(conn, kind, shop, reasons[:200], room):
                    group.documents.append({"kind": kind, "id": doc["id"], "shop": doc["shop"],
                                            "number": doc["number"], "external_id": doc["external_id"],
                                            "reason": doc["review_reason"]})
    return sorted(groups.values(), key=lambda g: (_ORDER[g.cause.kind], -g.count, g.key))


def waiting_on(store: Store, shop: str, field_name: str, value: str) -> list[dict[str, Any]]:
    """The held documents of a shop that wait on one unmapped value."""
    with store.connect() as conn:
        held = held_documents(conn, shop=shop)
    wanted = value.strip().casefold()
    return [doc for doc in held
            if any(c.kind is CauseKind.UNMAPPED and c.field == field_name
                   and c.value.strip().casefold() == wanted for c in causes_of(doc["review_reason"]))]
