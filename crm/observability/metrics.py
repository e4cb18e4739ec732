"""GET /metrics in Prometheus format, computed from the database at scrape time.

The figures come from the tables, not from counters in memory, so they are the same whichever web
process answers the scrape and whichever worker did the work, and they survive restarts.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import datetime, timedelta

from flask import Blueprint, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.registry import Collector
from prometheus_client.utils import floatToGoString
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from crm.db import Database, utcnow
from crm.http import database
from crm.models import Delivery, Inquiry, Job, JobStatus, Lead, LeadStatus, ScheduledStep, StepStatus

log = logging.getLogger(__name__)

bp = Blueprint("metrics", __name__)

# Latency from intake to first email: the leads whose first email went out within this window.
LATENCY_WINDOW = timedelta(hours=24)
LATENCY_SAMPLE_LIMIT = 20_000
LATENCY_BUCKETS = (1.0, 5.0, 15.0, 30.0, 60.0, 120.0, 300.0, 900.0, 1800.0, 3600.0, 4 * 3600.0, 24 * 3600.0)
WAITING_JOB_STATUSES = (JobStatus.PENDING.value, JobStatus.RUNNING.value)


class DatabaseCollector(Collector):
    def __init__(self, db: Database) -> None:
        self.db = db

    def collect(self) -> Iterator[Metric]:
        up = GaugeMetricFamily("crm_database_up", "1 when the database answered this scrape.")
        try:
            with self.db.session() as session:
                metrics = list(_collect(session, utcnow()))
        except SQLAlchemyError as exc:
            log.warning("metrics: database unavailable (%s)", type(exc).__name__)
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        yield from metrics


def _collect(session: Session, now: datetime) -> Iterator[Metric]:
    yield from _lead_metrics(session)
    yield from _email_metrics(session)
    yield from _queue_metrics(session, now)
    yield _latency_histogram(session, now)


def _lead_metrics(session: Session) -> Iterator[Metric]:
    by_status = dict(session.execute(select(Lead.status, func.count()).group_by(Lead.status)).all())
    received = CounterMetricFamily("crm_leads_received", "Leads stored (one per person, de-duplicated).")
    received.add_metric([], sum(by_status.values()))
    yield received
    inquiries = CounterMetricFamily("crm_inquiries_received", "Submissions stored (a lead may have several).")
    inquiries.add_metric([], session.scalar(select(func.count()).select_from(Inquiry)) or 0)
    yield inquiries
    classified = CounterMetricFamily("crm_leads_classified", "Leads that have been classified at least once.")
    classified.add_metric([], session.scalar(
        select(func.count()).select_from(Lead).where(Lead.classified_at.is_not(None))) or 0)
    yield classified
    failed = CounterMetricFamily("crm_leads_failed", "Leads whose classification failed after its retries.")
    failed.add_metric([], by_status.get(LeadStatus.FAILED.value, 0))
    yield failed
    status = GaugeMetricFamily("crm_leads", "Leads by status.", labels=["status"])
    for value in LeadStatus:
        status.add_metric([value.value], by_status.get(value.value, 0))
    yield status


def _email_metrics(session: Session) -> Iterator[Metric]:
    by_status = dict(session.execute(select(Delivery.status, func.count()).group_by(Delivery.status)).all())
    for name, help_text in (("sent", "Emails accepted by the mail server."),
                            ("failed", "Emails given up on after their retries."),
                            ("bounced", "Emails reported back as bounced.")):
        family = CounterMetricFamily(f"crm_emails_{name}", help_text)
        family.add_metric([], by_status.get(name, 0))
        yield family
    sending = GaugeMetricFamily("crm_emails_sending", "Deliveries claimed but not yet confirmed sent.")
    sending.add_metric([], by_status.get("sending", 0))
    yield sending


def _queue_metrics(session: Session, now: datetime) -> Iterator[Metric]:
    depth = GaugeMetricFamily("crm_queue_depth", "Work waiting or in progress, from the database.",
                              labels=["queue"])
    oldest = GaugeMetricFamily("crm_queue_oldest_age_seconds",
                               "Age of the oldest waiting item (0 when none waits).", labels=["queue"])
    jobs = session.execute(
        select(Job.kind, func.count(), func.min(Job.created_at))
        .where(Job.status.in_(WAITING_JOB_STATUSES)).group_by(Job.kind)
    ).all()
    for kind, count, first in jobs:
        depth.add_metric([f"job:{kind}"], count)
        oldest.add_metric([f"job:{kind}"], _age(now, first))
    waiting_steps = ScheduledStep.status.in_([StepStatus.QUEUED.value]) | (
        (ScheduledStep.status == StepStatus.SCHEDULED.value) & (ScheduledStep.due_at <= now))
    count, first = session.execute(
        select(func.count(), func.min(ScheduledStep.due_at)).where(waiting_steps)).one()
    depth.add_metric(["email_steps_due"], count or 0)
    oldest.add_metric(["email_steps_due"], _age(now, first))
    yield depth
    yield oldest


def _age(now: datetime, since: datetime | None) -> float:
    return max((now - since).total_seconds(), 0.0) if since is not None else 0.0


def _latency_histogram(session: Session, now: datetime) -> HistogramMetricFamily:
    first_sent = (
        select(Delivery.lead_id, func.min(Delivery.sent_at).label("sent_at"))
        .where(Delivery.sent_at.is_not(None)).group_by(Delivery.lead_id)
        .having(func.min(Delivery.sent_at) >= now - LATENCY_WINDOW).subquery()
    )
    first_received = (
        select(Inquiry.lead_id, func.min(Inquiry.received_at).label("received_at"))
        .group_by(Inquiry.lead_id).subquery()
    )
    rows = session.execute(
        select(first_received.c.received_at, first_sent.c.sent_at)
        .join(first_sent, first_sent.c.lead_id == first_received.c.lead_id)
        .order_by(first_sent.c.sent_at.desc()).limit(LATENCY_SAMPLE_LIMIT)
    ).all()
    latencies = [max((sent - received).total_seconds(), 0.0) for received, sent in rows]
    counts = [sum(1 for value in latencies if value <= bound) for bound in LATENCY_BUCKETS]
    buckets = [(floatToGoString(bound), count) for bound, count in zip(LATENCY_BUCKETS, counts, strict=True)]
    buckets.append(("+Inf", len(latencies)))
    histogram = HistogramMetricFamily(
        "crm_first_email_latency_seconds",
        "Seconds from a lead's first submission to its first email, for first emails sent in the last 24 hours.",
    )
    histogram.add_metric([], buckets, sum(latencies))
    return histogram


def render(db: Database) -> bytes:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(DatabaseCollector(db))
    return generate_latest(registry)


@bp.get("/metrics")
def metrics() -> Response:
    response = Response(render(database()), headers={"Cache-Control": "no-store"})
    response.headers["Content-Type"] = CONTENT_TYPE_LATEST
    return response
