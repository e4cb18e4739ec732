"""The scheduler: one active process runs the periodic tasks (due email steps, the sweep).

Any number may be started; they compete for a lease in the database and only the holder ticks.
The tasks are also safe to run twice (they claim rows with conditional updates), so a lease that
changes hands mid-tick cannot double-send.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.exc import OperationalError, ProgrammingError

from crm import leases, runtime

log = logging.getLogger(__name__)

LEASE_NAME = "scheduler"
LEASE_TTL = timedelta(seconds=int(os.environ.get("CRM_SCHEDULER_LEASE_SECONDS", "15")))


def _schema_missing(exc: Exception) -> bool:
    """The table is not there (SQLite "no such table", PostgreSQL undefined_table), not a lost connection."""
    orig = getattr(exc, "orig", None)
    return "no such table" in str(orig) or getattr(orig, "sqlstate", None) == "42P01"


@dataclass
class PeriodicTask:
    name: str
    every_seconds: float
    run: Callable[[], object]


def tasks() -> list[PeriodicTask]:
    """The periodic tasks; each feature adds its own here."""
    found: list[PeriodicTask] = []
    from workers.actors.email import due_steps_tick  # email sequences: queue due steps every 5 s

    found.append(PeriodicTask("email-due-steps", float(os.environ.get("CRM_DUE_STEPS_EVERY_SECONDS", "5")),
                              due_steps_tick))
    from workers.actors.sweep import sweep_task; found.append(sweep_task())  # noqa: E702, I001  (classify sweep)
    return found


def run_scheduler(stop: threading.Event, tick_seconds: float | None = None,
                  holder: str | None = None) -> None:
    """Run until `stop` is set: hold the lease and run each task when it is due."""
    # CRM_SCHEDULER_TICK_SECONDS: the reliability tests tick fast to run many ticks in little time.
    tick_seconds = tick_seconds or float(os.environ.get("CRM_SCHEDULER_TICK_SECONDS", "1.0"))
    holder = holder or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
    db = runtime.database()
    last_run: dict[str, float] = {}
    leader = False
    while not stop.is_set():
        try:
            is_leader = leases.try_acquire(db, LEASE_NAME, holder, LEASE_TTL)
        except (OperationalError, ProgrammingError) as exc:
            missing = _schema_missing(exc)
            if isinstance(exc, ProgrammingError) and not missing:
                raise
            # Database unreachable (restart, failover) or not migrated yet (a deploy whose migration
            # runs beside us): we cannot know who holds the lease, so do nothing this tick and try again
            # next one instead of exiting.
            if missing:
                log.warning("scheduler %s: the database has no schema yet (run `crm db upgrade`); retrying", holder)
            else:
                log.warning("scheduler %s cannot reach the database; retrying", holder)
            is_leader = False
        if is_leader != leader:
            log.info("scheduler %s %s the lease", holder, "took" if is_leader else "lost")
            leader = is_leader
        if leader:
            for task in tasks():
                now = time.monotonic()
                if now - last_run.get(task.name, 0.0) >= task.every_seconds:
                    last_run[task.name] = now
                    _run_task(task)
        stop.wait(tick_seconds)
    if leader:
        leases.release(db, LEASE_NAME, holder)


def _run_task(task: PeriodicTask) -> None:
    try:
        task.run()
    except Exception:
        # One failing task must not stop the others or the scheduler; it runs again next period.
        log.exception("periodic task %s failed", task.name)
