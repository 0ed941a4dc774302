"""Deliveries of broker tasks to workers, counted in the store so that a redelivery is bounded."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite

from exchange.store.database import Store
from exchange.store.schema import task_deliveries
from exchange.store.types import utcnow


def count_delivery(store: Store, task: str, job: str) -> int:
    """Note one more delivery of ``task`` (a task id and retry number); returns how many there were."""
    now = utcnow()
    dialect = postgresql if store.dialect == "postgresql" else sqlite
    stmt = dialect.insert(task_deliveries).values(task=task, job=job, deliveries=1, first_at=now,
                                                  last_at=now)
    stmt = stmt.on_conflict_do_update(
        index_elements=[task_deliveries.c.task],
        set_={"deliveries": task_deliveries.c.deliveries + 1, "last_at": now})
    with store.begin() as conn:
        row = conn.execute(stmt.returning(task_deliveries.c.deliveries)).first()
    return int(row[0]) if row else 1


def deliveries_of(store: Store, job: str) -> int:
    """How many deliveries the tasks of ``job`` had in all."""
    with store.connect() as conn:
        total = conn.execute(select(func.coalesce(func.sum(task_deliveries.c.deliveries), 0))
                             .where(task_deliveries.c.job == job)).scalar()
    return int(total or 0)
