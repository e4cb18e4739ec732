"""A lead whose citizenship is only in the message ("je suis française", Lead.message_citizenships) gets
its emails in its own daytime and its dates on its own day, like a lead who gave it in the form: the
send window's zone goes by the form's citizenships, else the message's, not Toronto's."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

from sqlalchemy import update

from crm.config import Settings
from crm.db import Database
from crm.mail import transport_from_url
from crm.models import Lead, ScheduledStep, StepStatus
from crm.sequences.content import local_date
from crm.sequences.enrolment import Classified
from crm.sequences.timezones import lead_zone
from tests.email.conftest import Sink
from tests.email.helpers import T0, classify, inquire, run_due, steps


def _message_only_lead(db: Database, email: str) -> str:
    lead_id = inquire(db, T0, first_name="Camille", email=email, citizenships=[], country_of_residence=None,
                      preferred_language="fr", message="Bonjour, je suis française et j'ai 27 ans.")
    with db.transaction() as session:  # what the classification writes (crm/classify/service.py)
        session.execute(update(Lead).where(Lead.id == lead_id).values(message_citizenships=["FR"]))
    classify(db, lead_id, "iec-working-holiday", T0)
    return lead_id


def test_the_zone_goes_by_the_message_citizenship_when_the_form_gave_none() -> None:
    assert str(lead_zone(SimpleNamespace(country_of_residence=None, citizenships=[],
                                         message_citizenships=["FR"]))) == "Europe/Paris"
    # The form's citizenship wins; the residence before both
    assert str(lead_zone(SimpleNamespace(country_of_residence=None, citizenships=["JP"],
                                         message_citizenships=["FR"]))) == "Asia/Tokyo"
    assert str(lead_zone(SimpleNamespace(country_of_residence="NZ", citizenships=[],
                                         message_citizenships=["FR"]))) == "Pacific/Auckland"
    batch = Classified(lead_id="x", email_key="x", status="classified", preferred_language="fr",
                       country_of_residence=None, citizenships=[], unsubscribed=False,
                       primary_stream="iec-working-holiday", lead_type="worker", flags=[],
                       message_citizenships=["FR"])
    assert str(lead_zone(batch)) == "Europe/Paris"


def test_the_lead_date_goes_by_the_message_citizenship() -> None:
    # 30 November 13:00 UTC is already 1 December in New Zealand
    lead = SimpleNamespace(country_of_residence=None, citizenships=[], message_citizenships=["NZ"])
    assert local_date(lead, datetime(2026, 11, 30, 13, 0, tzinfo=UTC)).isoformat() == "2026-12-01"


def test_steps_are_scheduled_and_sent_in_the_daytime_of_the_message_citizenship(
        db: Database, smtp_settings: Settings, sink: Sink) -> None:
    lead_id = _message_only_lead(db, "camille.zone@example.fr")
    later = [step for step in steps(db, lead_id) if step.step_index > 0]
    # T0 is 13:00 in Paris (daytime: due as it falls), 07:00 in Toronto (would wait until 09:00 there)
    assert all(step.due_at == T0 + timedelta(days=(step.due_at - T0).days) for step in later), \
        [step.due_at for step in later]
    # A step due at 09:30 in Paris (03:30 in Toronto) goes out then, not at Toronto's morning
    paris_morning = datetime(2026, 3, 3, 8, 30, tzinfo=UTC)
    transport = transport_from_url(smtp_settings.mail_url)
    run_due(db, smtp_settings, transport, T0 + timedelta(minutes=1))  # the answer
    with db.transaction() as session:
        session.execute(update(ScheduledStep).where(ScheduledStep.id == later[0].id)
                        .values(due_at=paris_morning - timedelta(minutes=5)))
    run_due(db, smtp_settings, transport, paris_morning)
    transport.close()
    assert steps(db, lead_id)[1].status == StepStatus.SENT.value
    assert len(sink.to("camille.zone@example.fr")) == 2
