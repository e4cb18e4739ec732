"""The sweep: re-send work whose message was lost (broker restart, killed worker, failed send).

Every job is a database row before any message exists, and the actors are idempotent, so sending a
job twice is harmless while never sending it would leave a lead waiting forever.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import exists, select

from crm.db import Database, utcnow
from crm.jobs import Dispatcher, mark_enqueued, overdue_jobs, record_job
from crm.models import Job, JobStatus, Lead, LeadStatus

DEFAULT_AFTER = timedelta(minutes=2)
KIND = "classify_lead"


@dataclass
class SweepReport:
    resent: int  # overdue jobs sent again
    recorded: int  # leads stuck in `received` without a job: a job recorded and sent


def sweep_overdue(db: Database, dispatcher: Dispatcher, now: datetime | None = None,
                  older_than: timedelta = DEFAULT_AFTER, limit: int = 500) -> SweepReport:
    """Re-send jobs out longer than `older_than`, and give stuck `received` leads a job."""
    now = now or utcnow()
    cutoff = now - older_than
    with db.transaction() as session:
        jobs = overdue_jobs(session, older_than, now, limit)
        open_job = exists().where(Job.lead_id == Lead.id, Job.kind == KIND,
                                  Job.status.in_([JobStatus.PENDING.value, JobStatus.RUNNING.value]))
        stuck = session.scalars(
            select(Lead.id).where(Lead.status == LeadStatus.RECEIVED.value, Lead.last_inquiry_at < cutoff, ~open_job)
            .order_by(Lead.last_inquiry_at).limit(limit)
        ).all()
        recorded = [record_job(session, KIND, lead_id, {"lead_id": lead_id, "trigger": "sweep"}) for lead_id in stuck]
        session.flush()
        mark_enqueued(session, [job.id for job in jobs], now)
    dispatcher.dispatch(jobs + recorded)
    return SweepReport(resent=len(jobs), recorded=len(recorded))
