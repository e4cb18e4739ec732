"""Figures for the dashboard: aggregate queries only, so they stay cheap on a large table."""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crm.db import utcnow
from crm.models import Activity, Delivery, Enrolment, Lead, LeadStatus

FUNNEL = (
    ("received", None),
    ("classified", (LeadStatus.CLASSIFIED, LeadStatus.CONTACTED, LeadStatus.CONSULTATION_BOOKED,
                    LeadStatus.RETAINED, LeadStatus.LOST)),
    ("contacted", (LeadStatus.CONTACTED, LeadStatus.CONSULTATION_BOOKED, LeadStatus.RETAINED)),
    ("consultation_booked", (LeadStatus.CONSULTATION_BOOKED, LeadStatus.RETAINED)),
    ("retained", (LeadStatus.RETAINED,)),
)


@dataclass
class Dashboard:
    weeks: list[date]
    per_week: dict[str, list[int]]  # stream -> count per week
    nationalities: list[tuple[str, int]]
    funnel: list[tuple[str, int]]
    email: dict[str, dict[str, int]]  # sequence -> {sent, bounced, unsubscribed, replied}
    median_first_contact_hours: float | None
    total_leads: int


def _week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


def dashboard(session: Session, weeks: int = 12, now: datetime | None = None) -> Dashboard:
    now = now or utcnow()
    first_week = _week_start(now.date()) - timedelta(weeks=weeks - 1)
    since = datetime.combine(first_week, time.min, UTC)
    week_list = [first_week + timedelta(weeks=i) for i in range(weeks)]

    per_week: dict[str, list[int]] = defaultdict(lambda: [0] * weeks)
    rows = session.execute(
        select(Lead.first_inquiry_at, Lead.primary_stream).where(Lead.first_inquiry_at >= since,
                                                                  Lead.anonymised_at.is_(None))
    )
    for received, stream in rows:
        index = (_week_start(received.date()) - first_week).days // 7
        if 0 <= index < weeks:
            per_week[stream or "unclassified"][index] += 1

    nationalities: Counter[str] = Counter()
    for (citizenships,) in session.execute(select(Lead.citizenships).where(Lead.first_inquiry_at >= since)):
        nationalities.update(citizenships or [])

    status_counts = dict(session.execute(select(Lead.status, func.count()).group_by(Lead.status)).all())
    total = sum(status_counts.values())
    funnel = []
    for label, statuses in FUNNEL:
        count = total if statuses is None else sum(status_counts.get(s.value, 0) for s in statuses)
        funnel.append((label, count))

    email: dict[str, dict[str, int]] = defaultdict(lambda: {"sent": 0, "bounced": 0, "unsubscribed": 0,
                                                            "replied": 0})
    for sequence, status, count in session.execute(
        select(Delivery.sequence, Delivery.status, func.count()).group_by(Delivery.sequence, Delivery.status)
    ):
        if status in ("sent", "bounced"):
            email[sequence]["sent"] += count
        if status == "bounced":
            email[sequence]["bounced"] += count
    for sequence, reason, count in session.execute(
        select(Enrolment.sequence, Enrolment.stop_reason, func.count())
        .where(Enrolment.stop_reason.in_(["unsubscribed", "replied"]))
        .group_by(Enrolment.sequence, Enrolment.stop_reason)
    ):
        email[sequence][reason] += count
    replies = session.execute(select(func.count()).select_from(Activity).where(Activity.kind == "reply")).scalar()
    if replies and not any(v["replied"] for v in email.values()):
        email["(all)"]["replied"] = int(replies)

    hours = [
        (contacted - received).total_seconds() / 3600
        for received, contacted in session.execute(
            select(Lead.first_inquiry_at, Lead.first_contacted_at)
            .where(Lead.first_contacted_at.is_not(None), Lead.first_inquiry_at >= since)
        )
    ]
    return Dashboard(
        weeks=week_list, per_week=dict(per_week), nationalities=nationalities.most_common(10), funnel=funnel,
        email=dict(email), median_first_contact_hours=statistics.median(hours) if hours else None,
        total_leads=total,
    )
