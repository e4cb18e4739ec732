"""Work for the workers, recorded in the database before any message is sent.

The domain records a `Job` row inside the caller's transaction; after the commit, the caller hands
the job to a `Dispatcher` (the Dramatiq broker in production, see workers/dispatch.py). If that
message is lost, the sweep finds the job still pending and sends it again.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session, make_transient_to_detached

from crm.db import utcnow
from crm.models import Job, JobStatus


class Dispatcher(Protocol):
    def dispatch(self, jobs: list[Job]) -> None:
        """Send a message for each job. Must not raise: a job not sent now is sent by the sweep."""


class NullDispatcher:
    """Sends nothing: the sweep (or a later `crm worker`) picks the jobs up from the database."""

    def dispatch(self, jobs: list[Job]) -> None:
        return None


def record_job(session: Session, kind: str, lead_id: str | None, args: dict[str, Any]) -> Job:
    """Add a pending job to the session; the caller commits, then dispatches it."""
    now = utcnow()
    job = Job(kind=kind, lead_id=lead_id, args=args, status=JobStatus.PENDING.value,
              created_at=now, enqueued_at=now)
    session.add(job)
    return job


_INSERT_JOB = insert(Job.__table__)


def insert_job(session: Session, kind: str, lead_id: str | None, args: dict[str, Any],
               now: datetime | None = None) -> Job:
    """Like `record_job`, but the row is written at once with one INSERT, without a unit-of-work flush.

    For hot paths that write several rows in one transaction (intake). The Job returned carries the
    row's values, id included, and is detached: `session.add` would attach it, not insert it again.
    """
    values = job_values(kind, lead_id, args, now)
    result = session.connection().execute(_INSERT_JOB, values)
    return detached_job(result.inserted_primary_key[0], values)


def job_values(kind: str, lead_id: str | None, args: dict[str, Any], now: datetime | None = None) -> dict[str, Any]:
    """The column values of a new pending job (all but its id), for callers that write it themselves."""
    now = now or utcnow()
    return {"kind": kind, "lead_id": lead_id, "args": args, "status": JobStatus.PENDING.value,
            "attempts": 0, "created_at": now, "enqueued_at": now, "started_at": None, "finished_at": None,
            "last_error": None}


def detached_job(job_id: int, values: dict[str, Any]) -> Job:
    """The Job written with `values` and given `job_id` by the database, detached (for the dispatcher)."""
    job = Job(id=job_id, **values)
    make_transient_to_detached(job)
    return job


def pending_job(session: Session, kind: str, lead_id: str) -> Job | None:
    return session.scalars(
        select(Job).where(Job.kind == kind, Job.lead_id == lead_id, Job.status == JobStatus.PENDING.value)
        .limit(1)
    ).first()


def overdue_jobs(session: Session, older_than: timedelta, now: datetime | None = None,
                 limit: int = 500) -> list[Job]:
    """Pending or running jobs whose message has been out longer than `older_than`."""
    cutoff = (now or utcnow()) - older_than
    return list(session.scalars(
        select(Job)
        .where(Job.status.in_([JobStatus.PENDING.value, JobStatus.RUNNING.value]), Job.enqueued_at < cutoff)
        .order_by(Job.enqueued_at)
        .limit(limit)
    ))


def mark_enqueued(session: Session, job_ids: list[int], now: datetime | None = None) -> None:
    if job_ids:
        session.execute(update(Job).where(Job.id.in_(job_ids)).values(enqueued_at=now or utcnow()))
