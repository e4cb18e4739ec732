"""Every way a sequence stops or changes: status changes, pause and resume, re-classification,
spam, end of consent, and the send window."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from crm.config import Settings
from crm.db import Database
from crm.mail import transport_from_url
from crm.models import EnrolmentStatus, Lead, StepStatus
from crm.sequences import on_status_changed, pause, resume
from crm.sequences.timezones import zone_for
from tests.email.conftest import Sink
from tests.email.helpers import T0, classify, deliveries, enrolments, inquire, new_lead, run_due, steps


def _month(db: Database, settings: Settings, start: datetime = T0, days: int = 30) -> None:
    transport = transport_from_url(settings.mail_url)
    for day in range(days + 1):
        run_due(db, settings, transport, start + timedelta(days=day, minutes=5))
    transport.close()


def test_a_consultant_status_change_stops_the_sequence(db: Database, smtp_settings: Settings, sink: Sink) -> None:
    # Given a lead that received its first email
    lead_id = new_lead(db, email="called@example.ie")
    _month(db, smtp_settings, days=0)
    # When a consultant marks it contacted on day 1
    with db.transaction() as session:
        lead = session.get(Lead, lead_id)
        assert lead is not None
        lead.status = "contacted"
        on_status_changed(session, lead, "classified", "contacted", T0 + timedelta(days=1))
    _month(db, smtp_settings)
    # Then nothing more was sent
    assert len(sink.to("called@example.ie")) == 1
    [enrolment] = enrolments(db, lead_id)
    assert enrolment.status == EnrolmentStatus.STOPPED.value and enrolment.stop_reason == "status:contacted"


def test_pause_holds_the_steps_and_resume_shifts_them(db: Database, smtp_settings: Settings, sink: Sink) -> None:
    # Given a lead paused by a consultant on day 1, for ten days
    lead_id = new_lead(db, email="paused@example.ie")
    _month(db, smtp_settings, days=0)
    with db.transaction() as session:
        pause(session, lead_id, None, "waiting for documents", now=T0 + timedelta(days=1))
    _month(db, smtp_settings, start=T0 + timedelta(days=1), days=9)
    assert len(sink.to("paused@example.ie")) == 1
    with db.transaction() as session:
        resume(session, lead_id, None, now=T0 + timedelta(days=11))
    # When time goes on after resuming
    _month(db, smtp_settings, start=T0 + timedelta(days=11), days=40)
    # Then the rest of the sequence went out, ten days later than planned
    assert len(sink.to("paused@example.ie")) == 5
    second = steps(db, lead_id)[1]
    assert second.due_at.date() == (T0 + timedelta(days=12)).date()


def test_reclassification_moves_the_lead_without_repeating_content(db: Database, smtp_settings: Settings,
                                                                   sink: Sink) -> None:
    # Given a lead that got the first three IEC emails
    lead_id = new_lead(db, email="moved@example.ie")
    _month(db, smtp_settings, days=6)
    assert len(sink.to("moved@example.ie")) == 3
    # When a new inquiry re-classifies it into the Global Talent Stream on day 7
    moved_at = T0 + timedelta(days=7)
    classify(db, lead_id, "global-talent-stream", now=moved_at)
    classify(db, lead_id, "global-talent-stream", now=moved_at)  # classifying twice changes nothing
    _month(db, smtp_settings, start=moved_at, days=30)
    # Then the old enrolment stopped, the new one ran, and no content was sent twice
    old, new = enrolments(db, lead_id)
    assert old.status == EnrolmentStatus.STOPPED.value and old.stop_reason == "reclassified"
    assert new.sequence == "global-talent-stream" and new.status == EnrolmentStatus.COMPLETED.value
    keys = [d.content_key for d in deliveries(db, lead_id)]
    assert len(keys) == len(set(keys))
    assert "answer:global-talent-stream" in keys and keys.count("consultation") == 1
    received = sink.to("moved@example.ie")
    assert len(received) == len(keys)


def test_a_spam_lead_is_never_enrolled(db: Database, smtp_settings: Settings) -> None:
    lead_id = inquire(db, email="spam@example.ie")
    assert classify(db, lead_id, "needs-review", flags=["spam"]) is None
    assert enrolments(db, lead_id) == []


def test_enrolment_is_idempotent(db: Database, smtp_settings: Settings) -> None:
    lead_id = inquire(db, email="twice@example.ie")
    first = classify(db, lead_id)
    second = classify(db, lead_id)
    assert first is not None and second is not None and first.id == second.id
    assert len(enrolments(db, lead_id)) == 1 and len(steps(db, lead_id)) == 5


def test_employer_leads_get_the_employer_sequence(db: Database, smtp_settings: Settings, sink: Sink) -> None:
    lead_id = inquire(db, email="hr@example.com", interest="hire", company_name="Northwind Ltd")
    enrolment = classify(db, lead_id, "global-talent-stream", lead_type="employer")
    assert enrolment is not None and enrolment.sequence == "employer"
    _month(db, smtp_settings, days=0)
    [message] = sink.to("hr@example.com")
    assert "Northwind Ltd" in str(message["Subject"])


def test_implied_consent_ends_six_months_after_the_inquiry(db: Database, smtp_settings: Settings,
                                                          sink: Sink) -> None:
    # Given a lead without express consent whose sequence was held up (paused) for seven months
    lead_id = new_lead(db, email="implied@example.ie", consent_marketing=False)
    _month(db, smtp_settings, days=0)
    with db.transaction() as session:
        pause(session, lead_id, None, now=T0 + timedelta(days=1))
    later = T0 + timedelta(days=210)
    with db.transaction() as session:
        resume(session, lead_id, None, now=later)
    # When the next step comes due
    _month(db, smtp_settings, start=later, days=30)
    # Then nothing more is sent: implied consent has ended, and the sequence says so
    assert len(sink.to("implied@example.ie")) == 1
    [enrolment] = enrolments(db, lead_id)
    assert enrolment.status == EnrolmentStatus.STOPPED.value and enrolment.stop_reason == "consent-expired"


def test_express_consent_does_not_expire(db: Database, smtp_settings: Settings, sink: Sink) -> None:
    lead_id = new_lead(db, email="express@example.ie", consent_marketing=True,
                       consent_text="Send me news about programs that fit me.")
    _month(db, smtp_settings, days=0)
    with db.transaction() as session:
        pause(session, lead_id, None, now=T0 + timedelta(days=1))
    later = T0 + timedelta(days=210)
    with db.transaction() as session:
        resume(session, lead_id, None, now=later)
    _month(db, smtp_settings, start=later, days=30)
    assert len(sink.to("express@example.ie")) == 5


def test_later_steps_wait_for_daytime_in_the_leads_time_zone(db: Database, smtp_settings: Settings,
                                                              sink: Sink) -> None:
    # Given a lead in Japan who writes at 8 p.m. local time (11:00 UTC)
    night = datetime(2026, 3, 2, 11, 0, tzinfo=UTC)
    lead_id = new_lead(db, now=night, email="night@example.ca", citizenships=["Japan"],
                       country_of_residence="Japan")
    zone = zone_for("JP")
    # Then the answer went at once, whatever the hour, and every later step is due in daytime there
    transport = transport_from_url(smtp_settings.mail_url)
    assert run_due(db, smtp_settings, transport, night) == ["sent"]
    for step in steps(db, lead_id)[1:]:
        assert 9 <= step.due_at.astimezone(zone).hour < 18
    # And a step that comes due at night is held until the morning instead of being sent
    step1 = steps(db, lead_id)[1]
    late = step1.due_at.replace(hour=14)  # 23:00 in Tokyo
    assert run_due(db, smtp_settings, transport, late) == ["nothing"]
    held = steps(db, lead_id)[1]
    assert held.status == StepStatus.SCHEDULED.value and held.due_at.astimezone(zone).hour == 9
    assert run_due(db, smtp_settings, transport, held.due_at) == ["sent"]
    transport.close()
