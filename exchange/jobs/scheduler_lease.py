"""The single scheduler of a store: a lease renewed in the background, and standing by for it."""

from __future__ import annotations

import logging
import sys
import threading
import time
from datetime import timedelta

from exchange.jobs.locks import acquire, lock_info, release, renew
from exchange.store import Store
from exchange.store.leases import SCHEDULER

log = logging.getLogger("exchange.daemon")

SCHEDULER_TTL = timedelta(seconds=30)
STANDBY_POLL_SECONDS = 2.0


def short_holder(holder: str) -> str:
    """``host:pid`` of a ``host:pid:suffix`` holder id."""
    return ":".join(holder.split(":")[:2])


class SchedulerLease:
    """Holds the store's scheduler lease: waits for it, renews it, notices when it is lost."""

    def __init__(self, store: Store, holder: str, *, ttl: timedelta = SCHEDULER_TTL,
                 poll_seconds: float = STANDBY_POLL_SECONDS) -> None:
        self.store, self.holder, self.ttl, self.poll = store, holder, ttl, poll_seconds
        self.lost = threading.Event()
        self._held = threading.Event()
        self._quit = threading.Event()
        self._renewer: threading.Thread | None = None

    @property
    def held(self) -> bool:
        """True while we hold the lease and have not lost it."""
        return self._held.is_set() and not self.lost.is_set()

    def wait(self, stop: threading.Event) -> bool:
        """Take the lease, standing by while another scheduler holds it; False when stopped first."""
        announced = ""
        while not stop.is_set():
            if acquire(self.store, SCHEDULER, self.holder, self.ttl):
                if announced:
                    log.info("scheduler lease taken over from %s", announced)
                    print(f"taking over: the scheduler held by {announced} is gone", file=sys.stderr,
                          flush=True)
                self._start()
                return True
            held = lock_info(self.store, SCHEDULER)
            who = short_holder(held.holder) if held else "?"
            if who != announced:
                print(f"standing by: the scheduler is held by {who}", file=sys.stderr, flush=True)
                announced = who
            stop.wait(self.poll)
        return False

    def _start(self) -> None:
        self.lost.clear()
        self._quit.clear()
        self._held.set()
        self._renewer = threading.Thread(target=self._renew_loop, name="scheduler-lease", daemon=True)
        self._renewer.start()

    def _renew_loop(self) -> None:
        every = max(self.ttl.total_seconds() / 3, 0.05)
        last_ok = time.monotonic()
        while not self._quit.wait(every) and not self.lost.is_set():
            try:
                if renew(self.store, SCHEDULER, self.holder, self.ttl):
                    last_ok = time.monotonic()
                    continue
                log.error("the scheduler lease was taken by another daemon: standing by")
                self.lost.set()
            except Exception as exc:  # the store is away: we keep trying until the lease would expire
                log.warning("cannot renew the scheduler lease: %s", exc)
                if time.monotonic() - last_ok >= self.ttl.total_seconds():
                    self.lost.set()

    def release(self) -> None:
        """Give the lease back (a clean stop lets a standby take over at once)."""
        was_held = self._held.is_set()
        self._held.clear()
        self._quit.set()
        if self._renewer is not None:
            self._renewer.join(self.ttl.total_seconds())
            self._renewer = None
        if was_held and not self.lost.is_set():
            release(self.store, SCHEDULER, self.holder)
