"""The feed gate and feed history: a full feed that shrinks too much is held back, not published.

Platforms drop what a feed omits (Google Merchant Center deletes items missing from a full feed), so a
full feed whose item count falls by more than ``max_drop`` against the last published full feed is kept
aside, and so is an empty one. A differential feed that would withdraw more than ``max_drop`` of what
the destination shows is held the same way: it takes the products off the shop just as surely.
Every run is recorded by ``exchange.store.feeds``; per destination, the last *published* run's
``started_at`` is the watermark for differential feeds.
"""

from __future__ import annotations

from dataclasses import dataclass

from exchange.store.feeds import (
    Publication,
    PublicationStatus,
    last_published,
    publications,
    record_publication,
)

__all__ = ["GateDecision", "Publication", "PublicationStatus", "check", "check_withdrawals",
           "last_published",
           "publications", "record_publication"]


@dataclass(frozen=True)
class GateDecision:
    """Whether a feed may be published, and why not."""

    passed: bool
    previous_count: int | None
    drop_share: float
    reason: str = ""


def check(previous: Publication | None, item_count: int, max_drop: float) -> GateDecision:
    """Hold an empty feed; pass unless the count fell by more than ``max_drop`` against ``previous``.

    ``max_drop`` is a share (0.2 = 20 %). An empty full feed is held even on a first run: a typo'd
    label must not replace a shop's catalogue with nothing.
    """
    if item_count == 0:
        before = previous.item_count if previous else None
        return GateDecision(
            False, before, 1.0 if before else 0.0,
            "the feed has 0 items (a first run, or a label or filter that matches nothing?); "
            "nothing was published — use --force to publish an empty feed")
    if previous is None or previous.item_count <= 0:
        return GateDecision(True, previous.item_count if previous else None, 0.0)
    drop = max(0.0, (previous.item_count - item_count) / previous.item_count)
    if drop > max_drop:
        return GateDecision(
            False, previous.item_count, drop,
            f"item count fell from {previous.item_count} to {item_count} ({drop:.0%} drop, more than "
            f"the allowed {max_drop:.0%}); the last published feed stays in place — use --force to "
            f"publish anyway")
    return GateDecision(True, previous.item_count, drop)


def check_withdrawals(shown: int, withdrawn: int, max_drop: float) -> GateDecision:
    """Hold a differential that withdraws more than ``max_drop`` of the ``shown`` items."""
    if shown <= 0 or withdrawn == 0:
        return GateDecision(True, shown or None, 0.0)
    drop = withdrawn / shown
    if drop > max_drop:
        return GateDecision(
            False, shown, drop,
            f"the changes withdraw {withdrawn} of the {shown} items the destination shows ({drop:.0%}, "
            f"more than the allowed {max_drop:.0%}); nothing was published — use --force to "
            f"publish anyway")
    return GateDecision(True, shown, drop)
