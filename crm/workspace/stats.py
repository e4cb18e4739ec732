"""Figures for the dashboard: aggregate queries only, so they stay cheap on a large table."""

from __future__ import annotations

import statistics
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Integer, case, cast, func, select, true
from sqlalchemy.orm import Session

from crm.db import utcnow
from crm.models import Delivery, Enrolment, Lead, LeadStatus

FUNNEL = (
    ("received", None),
    ("classified", (LeadStatus.CLASSIFIED, LeadStatus.CONTACTED, LeadStatus.CONSULTATION_BOOKED,
                    LeadStatus.RETAINED, LeadStatus.LOST)),
    ("contacted", (LeadStatus.CONTACTED, LeadStatus.CONSULTATION_BOOKED, LeadStatus.RETAINED)),
    ("consultation_booked", (LeadStatus.CONSULTATION_BOOKED, LeadStatus.RETAINED)),
    ("retained", (LeadStatus.RETAINED,)),
)


# Honeypot spam is stored (nothing is lost) but is not a lead: counted, bots would fill "new leads per
# week" and the funnel's "received" with "Not classified yet" submissions no one will ever call.
NOT_SPAM = Lead.status != LeadStatus.SPAM.value


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


def _leads_per_week(session: Session, since: datetime, zone: ZoneInfo) -> list[tuple[date, str | None, int]]:
    """(Monday, stream, leads) for leads whose first inquiry is at or after `since`, the week being the
    one of `zone` (a Sunday-evening lead in Toronto is that week's, although it is Monday in UTC)."""
    recent = (Lead.first_inquiry_at >= since, Lead.anonymised_at.is_(None), NOT_SPAM)
    if session.get_bind().dialect.name == "postgresql":
        week = func.to_char(func.date_trunc("week", func.timezone(zone.key, Lead.first_inquiry_at)), "YYYY-MM-DD")
        rows = session.execute(select(week, Lead.primary_stream, func.count()).where(*recent)
                               .group_by(week, Lead.primary_stream))
        return [(date.fromisoformat(monday), stream, int(count)) for monday, stream, count in rows]
    # SQLite knows no time zones: count per quarter of an hour in UTC (every zone's offset today is a
    # whole number of quarter hours), then give each quarter its week in `zone`.
    hour = func.strftime("%Y-%m-%d %H", Lead.first_inquiry_at)
    quarter = cast(func.strftime("%M", Lead.first_inquiry_at), Integer) / 15
    counts: dict[tuple[date, str | None], int] = defaultdict(int)
    for at_hour, at_quarter, stream, count in session.execute(
        select(hour, quarter, Lead.primary_stream, func.count()).where(*recent)
        .group_by(hour, quarter, Lead.primary_stream)
    ):
        moment = datetime.strptime(at_hour, "%Y-%m-%d %H").replace(minute=15 * int(at_quarter), tzinfo=UTC)
        counts[(_week_start(moment.astimezone(zone).date()), stream)] += int(count)
    return [(monday, stream, count) for (monday, stream), count in counts.items()]


def _nationality_counts(session: Session, since: datetime, limit: int) -> list[tuple[str, int]]:
    """Leads per citizenship: the form's, or those read from the message when the form gave none (as the
    classifier takes them), so a lead is counted once per country either way."""
    if session.get_bind().dialect.name == "postgresql":
        citizenships = case((func.jsonb_array_length(Lead.citizenships) > 0, Lead.citizenships),
                            else_=Lead.message_citizenships)
        code = func.jsonb_array_elements_text(citizenships).table_valued("value").render_derived()
        query = select(code.c.value, func.count()).select_from(Lead).join(code, true())
    else:
        citizenships = case((func.json_array_length(Lead.citizenships) > 0, Lead.citizenships),
                            else_=Lead.message_citizenships)
        code = func.json_each(citizenships).table_valued("value")
        query = select(code.c.value, func.count()).select_from(Lead).join(code, true())
    query = (query.where(Lead.first_inquiry_at >= since, Lead.anonymised_at.is_(None), NOT_SPAM)
             .group_by(code.c.value).order_by(func.count().desc(), code.c.value).limit(limit))
    return [(str(value), int(count)) for value, count in session.execute(query)]


def _median_first_contact_hours(session: Session, since: datetime) -> float | None:
    recent = (Lead.first_contacted_at.is_not(None), Lead.first_inquiry_at >= since, NOT_SPAM)
    if session.get_bind().dialect.name == "postgresql":
        seconds = func.extract("epoch", Lead.first_contacted_at - Lead.first_inquiry_at)
        value = session.execute(select(func.percentile_cont(0.5).within_group(seconds)).where(*recent)).scalar()
        return float(value) / 3600 if value is not None else None
    hours = [(contacted - received).total_seconds() / 3600 for received, contacted in
             session.execute(select(Lead.first_inquiry_at, Lead.first_contacted_at).where(*recent))]
    return statistics.median(hours) if hours else None


def dashboard(session: Session, weeks: int = 12, now: datetime | None = None,
              zone: ZoneInfo | None = None) -> Dashboard:
    """Aggregates computed by the database (one pass each), so the page stays usable on large tables.

    Weeks run Monday to Sunday in `zone` (the workspace's, CRM_TIMEZONE; UTC when not given).
    """
    now, zone = now or utcnow(), zone or ZoneInfo("UTC")
    first_week = _week_start(now.astimezone(zone).date()) - timedelta(weeks=weeks - 1)
    since = datetime.combine(first_week, time.min, zone).astimezone(UTC)
    week_list = [first_week + timedelta(weeks=i) for i in range(weeks)]

    per_week: dict[str, list[int]] = defaultdict(lambda: [0] * weeks)
    for monday, stream, count in _leads_per_week(session, since, zone):
        index = (monday - first_week).days // 7
        if 0 <= index < weeks:
            per_week[stream or "unclassified"][index] += count

    status_counts = {status: int(count) for status, count in
                     session.execute(select(Lead.status, func.count()).group_by(Lead.status))}
    total = sum(count for status, count in status_counts.items() if status != LeadStatus.SPAM.value)
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
    return Dashboard(
        weeks=week_list, per_week=dict(per_week), nationalities=_nationality_counts(session, since, 10),
        funnel=funnel, email=dict(email), median_first_contact_hours=_median_first_contact_hours(session, since),
        total_leads=total,
    )
