"""Stock in the store: on hand and reserved per (product, warehouse), every change a stock move.

One batched apply (:func:`apply_stock_changes`) does the work for everyone: the CSV catalogue load
(``exchange catalog load``), the importer's stock and product files (set on hand) and its orders
(reserve and release). It reads the current levels with one query per 900 pairs, creates missing
rows, writes the new levels with ``executemany``, records the moves and marks the products changed
for the differential feeds. :func:`reserve`, :func:`release` and :func:`set_on_hand` are the
one-product forms.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import Connection, select, update

from exchange.store.bulk import Bulk
from exchange.store.schema import products, stock_levels, stock_moves
from exchange.store.types import utcnow

ZERO = Decimal("0")
_IN_BATCH = 900
_MOVE_COLUMNS = ("product_id", "warehouse_id", "kind", "quantity", "reference", "created_at")
Pair = tuple[int, int]  # (product id, warehouse id)


class MoveKind(StrEnum):
    """Why stock changed."""

    RECEIPT = "receipt"  # on hand set (a stock file, a catalogue load)
    RESERVE = "reserve"  # an order reserved stock
    RELEASE = "release"  # an order gave a reservation back
    ISSUE = "issue"  # a realised order's goods left: on hand and its reservation go down


@dataclass(frozen=True, slots=True)
class StockChange:
    """One change to one product's stock in one warehouse: set on hand, and/or reserve more or less."""

    product_id: int
    warehouse_id: int
    on_hand: Decimal | None = None  # the new on-hand amount; None leaves it
    reserve: Decimal = ZERO  # added to the reservation (negative: released)
    reference: str = ""


@dataclass(frozen=True, slots=True)
class StockMove:
    """A stock move to record."""

    product_id: int
    warehouse_id: int
    kind: MoveKind
    quantity: Decimal
    reference: str


def record_moves(conn: Connection, bulk: Bulk, moves: Sequence[StockMove],
                 now: datetime | None = None) -> None:
    """Append stock moves with one statement."""
    stamp = bulk.ts(now or utcnow())
    bulk.insert(conn, stock_moves, _MOVE_COLUMNS, [
        (m.product_id, m.warehouse_id, m.kind.value, bulk.dec(m.quantity), m.reference, stamp)
        for m in moves])


def current_levels(conn: Connection, pairs: Sequence[Pair], *,
                   lock: bool = False) -> dict[Pair, tuple[Decimal, Decimal]]:
    """(on hand, reserved) of each pair that has a stock row.

    ``lock`` holds those rows for the rest of the transaction (SELECT … FOR UPDATE, in product order
    so that two writers never wait for each other in a circle; SQLite has one writer anyway): a
    change computed from what was read cannot overwrite another process's change made meanwhile.
    """
    by_wid: dict[int, list[int]] = defaultdict(list)
    for pid, wid in sorted(pairs, key=lambda p: (p[1], p[0])):
        by_wid[wid].append(pid)
    found: dict[Pair, tuple[Decimal, Decimal]] = {}
    for wid, pids in by_wid.items():
        for start in range(0, len(pids), _IN_BATCH):
            query = select(stock_levels.c.product_id, stock_levels.c.on_hand,
                           stock_levels.c.reserved).where(
                stock_levels.c.warehouse_id == wid,
                stock_levels.c.product_id.in_(pids[start:start + _IN_BATCH]))
            if lock:
                query = query.order_by(stock_levels.c.product_id).with_for_update()
            rows = conn.execute(query)
            for pid, on_hand, reserved in rows:
                found[(int(pid), wid)] = (on_hand, reserved)
    return found


def apply_stock_changes(conn: Connection, changes: Sequence[StockChange], *,
                        bulk: Bulk | None = None, now: datetime | None = None,
                        record: bool = True) -> dict[Pair, Decimal]:
    """Apply changes in one batch; returns the on-hand difference per pair whose on hand changed.

    ``record`` off leaves the moves to the caller (the importer records an order's reservation
    moves with the order, and applies the summed levels once per file).
    """
    if not changes:
        return {}
    bulk = bulk or Bulk(conn)
    now = now or utcnow()
    on_hand: dict[Pair, Decimal] = {}
    reserve: dict[Pair, Decimal] = defaultdict(Decimal)
    for change in changes:
        pair = (change.product_id, change.warehouse_id)
        if change.on_hand is not None:
            on_hand[pair] = change.on_hand
        if change.reserve:
            reserve[pair] += change.reserve
    pairs = list(dict.fromkeys([*on_hand, *reserve]))
    # locked: two workers importing orders for one product at once must add up their reservations
    current = current_levels(conn, pairs, lock=True)
    stamp = bulk.ts(now)
    new_rows, updates, moves = [], [], []
    diffs: dict[Pair, Decimal] = {}
    references = {(c.product_id, c.warehouse_id): c.reference for c in changes}
    touched = []
    for pair in pairs:
        old_on_hand, old_reserved = current.get(pair, (ZERO, ZERO))
        new_on_hand = on_hand.get(pair, old_on_hand)
        delta = reserve.get(pair, ZERO)
        diff = new_on_hand - old_on_hand
        if pair not in current:
            new_rows.append((pair[0], pair[1], bulk.dec(new_on_hand), bulk.dec(delta), stamp))
        elif diff or delta:
            updates.append((bulk.dec(new_on_hand), bulk.dec(old_reserved + delta), stamp, *pair))
        if diff:
            diffs[pair] = diff
            moves.append(StockMove(*pair, MoveKind.RECEIPT, diff, references[pair]))
        if delta:
            moves.append(StockMove(*pair, MoveKind.RESERVE if delta > 0 else MoveKind.RELEASE,
                                   delta, references[pair]))
        if diff or delta:
            touched.append(pair[0])
    bulk.insert(conn, stock_levels,
                ("product_id", "warehouse_id", "on_hand", "reserved", "updated_at"), new_rows)
    bulk.execute_many(conn, "UPDATE stock_levels SET on_hand = ?, reserved = ?, updated_at = ? "
                            "WHERE product_id = ? AND warehouse_id = ?", updates)
    if record:
        record_moves(conn, bulk, moves, now)
    # a stock change is a product change for differential feeds
    pids = sorted(set(touched))
    for start in range(0, len(pids), _IN_BATCH):
        conn.execute(update(products).where(products.c.id.in_(pids[start:start + _IN_BATCH]))
                     .values(updated_at=now))
    return diffs


def set_on_hand(conn: Connection, product_id: int, warehouse_id: int, on_hand: Decimal, *,
                reference: str = "") -> Decimal:
    """Set on-hand stock; the difference is recorded as a receipt. Returns the difference."""
    diffs = apply_stock_changes(conn, [StockChange(product_id, warehouse_id, on_hand=on_hand,
                                                   reference=reference)])
    return diffs.get((product_id, warehouse_id), ZERO)


def reserve(conn: Connection, product_id: int, warehouse_id: int, quantity: Decimal,
            reference: str = "") -> None:
    """Reserve ``quantity`` more of a product in a warehouse."""
    apply_stock_changes(conn, [StockChange(product_id, warehouse_id, reserve=quantity,
                                           reference=reference)])


def release(conn: Connection, product_id: int, warehouse_id: int, quantity: Decimal,
            reference: str = "") -> None:
    """Give ``quantity`` of a reservation back."""
    apply_stock_changes(conn, [StockChange(product_id, warehouse_id, reserve=-quantity,
                                           reference=reference)])


@dataclass(frozen=True, slots=True)
class StockIssue:
    """Goods that leave a warehouse for a realised order: on hand and the reservation both drop."""

    product_id: int
    warehouse_id: int
    quantity: Decimal
    reserved: Decimal  # how much of it the order had reserved (given back as it leaves)
    reference: str = ""


def issue_stock(conn: Connection, issues: Sequence[StockIssue], *, bulk: Bulk | None = None,
                now: datetime | None = None) -> None:
    """Dispatch: turn reservations into issues (one ``issue`` move each), in one batch."""
    if not issues:
        return
    bulk = bulk or Bulk(conn)
    now = now or utcnow()
    stamp = bulk.ts(now)
    out: dict[Pair, Decimal] = defaultdict(Decimal)
    held: dict[Pair, Decimal] = defaultdict(Decimal)
    for item in issues:
        out[(item.product_id, item.warehouse_id)] += item.quantity
        held[(item.product_id, item.warehouse_id)] += item.reserved
    current = current_levels(conn, list(out))
    new_rows, updates = [], []
    for pair, quantity in out.items():
        if pair in current:
            on_hand, reserved = current[pair]
            updates.append((bulk.dec(on_hand - quantity),
                            bulk.dec(max(reserved - held[pair], ZERO)), stamp, *pair))
        else:
            new_rows.append((pair[0], pair[1], bulk.dec(-quantity), bulk.dec(ZERO), stamp))
    bulk.insert(conn, stock_levels,
                ("product_id", "warehouse_id", "on_hand", "reserved", "updated_at"), new_rows)
    bulk.execute_many(conn, "UPDATE stock_levels SET on_hand = ?, reserved = ?, updated_at = ? "
                            "WHERE product_id = ? AND warehouse_id = ?", updates)
    record_moves(conn, bulk, [StockMove(i.product_id, i.warehouse_id, MoveKind.ISSUE,
                                        -i.quantity, i.reference) for i in issues], now)
    pids = sorted({pid for pid, _wid in out})
    for start in range(0, len(pids), _IN_BATCH):
        conn.execute(update(products).where(products.c.id.in_(pids[start:start + _IN_BATCH]))
                     .values(updated_at=now))
