"""Next-run computation and the watched-folder stability check."""

from __future__ import annotations

from datetime import datetime, time, timedelta, timezone
from pathlib import Path

from exchange.config import JobConfig, Window
from exchange.jobs.stable import StableFiles
from exchange.jobs.timing import next_run

TZ = timezone(timedelta(hours=1))
MONDAY_NOON = datetime(2026, 11, 23, 12, 0, tzinfo=TZ)


def test_interval_job_runs_now_first_then_after_the_interval() -> None:
    job = JobConfig("pull", "import", "s", every_seconds=600)
    assert next_run(job, None, MONDAY_NOON) == MONDAY_NOON
    assert next_run(job, MONDAY_NOON - timedelta(minutes=4), MONDAY_NOON) == MONDAY_NOON + timedelta(minutes=6)


def test_times_of_day_roll_to_tomorrow() -> None:
    job = JobConfig("feed", "export", "s", at=("06:00", "18:30"))
    assert next_run(job, None, MONDAY_NOON) == MONDAY_NOON.replace(hour=18, minute=30)
    evening = MONDAY_NOON.replace(hour=19)
    assert next_run(job, None, evening) == (evening + timedelta(days=1)).replace(hour=6, minute=0)


def test_window_pushes_the_run_to_its_opening() -> None:
    window = Window(time(6, 0), time(8, 0), frozenset({1}))  # Tuesdays 06:00-08:00
    job = JobConfig("pull", "import", "s", every_seconds=60, window=window)
    assert next_run(job, None, MONDAY_NOON) == datetime(2026, 11, 24, 6, 0, tzinfo=TZ)


def test_manual_job_has_no_next_run() -> None:
    assert next_run(JobConfig("hand", "import", "s"), None, MONDAY_NOON) is None


def test_a_growing_file_is_ready_only_after_it_stood_still(tmp_path: Path) -> None:
    now = [0.0]
    stable = StableFiles(settle=2.0, clock=lambda: now[0])
    path = tmp_path / "orders.xml"
    path.write_bytes(b"<ORDERS>")
    stable.note(path)
    stable.note(tmp_path / "orders.xml.part")  # temporary names are never taken
    assert stable.ready() == []
    now[0] = 1.0
    with path.open("ab") as handle:
        handle.write(b"<ORDER/>")
    assert stable.ready() == []
    now[0] = 2.5  # only 1.5 s since it last changed
    assert stable.ready() == []
    now[0] = 3.6
    assert stable.ready() == [path]
    assert stable.ready() == []  # handed out once
    assert stable.pending == []


def test_a_file_removed_before_it_settled_is_forgotten(tmp_path: Path) -> None:
    stable = StableFiles(settle=0, clock=lambda: 0.0)
    path = tmp_path / "gone.xml"
    path.write_bytes(b"x")
    stable.note(path)
    path.unlink()
    assert stable.ready() == []
    assert stable.pending == []
