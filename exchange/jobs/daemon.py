"""The scheduler daemon behind `exchange run`: every job on its schedule, watch folders, clean stop.

Only one scheduler runs per store: the daemon first takes the scheduler lease
(:mod:`exchange.jobs.scheduler_lease`); a second daemon stands by and takes over when the first stops,
dies or loses the lease. A ``dispatch`` function may replace running a job here (the Celery engine
enqueues it instead).
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from types import FrameType

import schedule
from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer

from exchange.alerts.settings import alerts_of
from exchange.alerts.watch import sweep
from exchange.config import Config, JobAction, JobConfig
from exchange.errors import ConfigError, ExchangeError, LockHeldError
from exchange.jobs.locks import new_holder_id
from exchange.jobs.runner import Action, RunOutcome, run_job
from exchange.jobs.scheduler_lease import SCHEDULER_TTL, STANDBY_POLL_SECONDS, SchedulerLease
from exchange.jobs.stable import StableFiles
from exchange.jobs.timing import allowed_now
from exchange.store import Store

log = logging.getLogger("exchange.daemon")
ALERT_SWEEP_SECONDS = 60  # how often the daemon looks for something to alert about


class _Notify(FileSystemEventHandler):
    """Feeds file events of a watched folder into its stability tracker."""

    def __init__(self, stable: StableFiles, lock: threading.Lock) -> None:
        self.stable, self.lock = stable, lock

    def on_any_event(self, event: FileSystemEvent) -> None:
        if event.is_directory:
            return
        target = getattr(event, "dest_path", "") or event.src_path
        with self.lock:
            self.stable.note(Path(str(target)))


class Daemon:
    """Runs the configured jobs until stopped; one job at a time in this process."""

    def __init__(self, store: Store, config: Config, actions: dict[str, Action], *,
                 settle_seconds: float = 2.0, tick_seconds: float = 1.0,
                 lease_ttl: timedelta = SCHEDULER_TTL, standby_poll: float = STANDBY_POLL_SECONDS,
                 dispatch: Callable[[JobConfig, list[Path] | None], None] | None = None) -> None:
        self.store, self.config, self.actions = store, config, actions
        self.holder = new_holder_id()
        self.lease = SchedulerLease(store, self.holder, ttl=lease_ttl, poll_seconds=standby_poll)
        self.dispatch = dispatch
        self.stop = threading.Event()
        self.scheduler = schedule.Scheduler()
        self.tick = tick_seconds
        self.settle = settle_seconds
        self._watches: dict[str, tuple[StableFiles, threading.Lock]] = {}
        self._observer: Observer | None = None  # type: ignore[valid-type]
        self.outcomes: list[RunOutcome] = []
        self.alerts = alerts_of(config.path, config.folders.quarantine)  # ConfigError now, not later

    # --- planning -------------------------------------------------------------------------------

    def plan(self) -> None:
        """Put each job on the schedule; interval jobs also run once right away."""
        for job in self.config.jobs.values():
            if job.action == JobAction.WATCH:
                self._watch(job)
                continue
            if job.every_seconds:
                self.scheduler.every(job.every_seconds).seconds.do(self.fire, job)
            for at in job.at:
                self.scheduler.every().day.at(at).do(self.fire, job)
        if self.alerts.enabled:
            self.scheduler.every(ALERT_SWEEP_SECONDS).seconds.do(self.send_alerts)
        for job in self.config.jobs.values():
            if job.every_seconds and job.action != JobAction.WATCH:
                self.fire(job)

    def _watch(self, job: JobConfig) -> None:
        if job.folder is None:
            raise ConfigError(f"job {job.name!r}: a watch job needs a folder")
        job.folder.mkdir(parents=True, exist_ok=True)
        stable, lock = StableFiles(self.settle), threading.Lock()
        for path in sorted(job.folder.iterdir()):  # files that arrived while we were down
            if path.is_file():
                stable.note(path)
        self._watches[job.name] = (stable, lock)
        if self._observer is None:
            self._observer = Observer()
            self._observer.daemon = True
            self._observer.start()
        self._observer.schedule(_Notify(stable, lock), str(job.folder), recursive=False)

    # --- running --------------------------------------------------------------------------------

    def fire(self, job: JobConfig, files: list[Path] | None = None) -> RunOutcome | None:
        """Run one job now if its window allows and nobody else runs it."""
        if self.stop.is_set() or self.lease.lost.is_set():
            return None
        if not allowed_now(job, datetime.now().astimezone()):
            log.info("%s: outside its run window, skipped", job.name)
            return None
        if self.dispatch is not None:
            self.dispatch(job, files)
            return None
        try:
            outcome = run_job(self.store, self.config, job, actions=self.actions, stop=self.stop,
                              holder=self.holder, files=files)
        except LockHeldError as exc:
            log.info("%s", exc)
            return None
        self.outcomes.append(outcome)
        log.info("%s: run %s %s %s", job.name, outcome.run_id, outcome.status, outcome.counts)
        if outcome.status == "failed":
            self.send_alerts()  # a failure at night is told at once (throttled per hour)
        return outcome

    def send_alerts(self) -> None:
        """One alert sweep (exchange.alerts); a failure to send is in the history, never fatal."""
        if self.alerts.enabled:
            try:
                sweep(self.store, self.alerts)
            except ExchangeError as exc:
                log.error("alerts: %s", exc)

    def poll_watches(self) -> None:
        """Import files of watched folders that have settled."""
        for name, (stable, lock) in self._watches.items():
            with lock:
                ready = stable.ready()
            if ready and not self.stop.is_set():
                self.fire(self.config.jobs[name], files=ready)

    def step(self) -> None:
        """One turn of the loop: due jobs, then settled watched files."""
        self.scheduler.run_pending()
        self.poll_watches()

    def serve(self) -> None:
        """Run until SIGTERM/SIGINT; the file in hand is finished first."""
        previous = {sig: signal.signal(sig, self._on_signal) for sig in (signal.SIGTERM, signal.SIGINT)}
        try:
            while self.lease.wait(self.stop):
                try:
                    log.info("scheduler lease held by %s", self.holder)
                    self.plan()
                    while not self.stop.is_set() and not self.lease.lost.is_set():
                        self.step()
                        idle = self.scheduler.idle_seconds
                        self.stop.wait(self.tick if idle is None else max(0.0, min(self.tick, idle)))
                finally:
                    self._unplan()
                    self.lease.release()
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
            log.info("stopped")

    def _unplan(self) -> None:
        """Forget the schedule and stop watching (the lease is gone or we stop)."""
        self.scheduler.clear()
        self._watches.clear()
        if self._observer is not None:
            self._observer.stop()
            self._observer.join(5)
            self._observer = None

    def _on_signal(self, signum: int, _frame: FrameType | None) -> None:
        log.info("signal %s: finishing the file in hand, then stopping", signal.Signals(signum).name)
        self.stop.set()
