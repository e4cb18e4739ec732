"""A whole sequence through a real SMTP server, in English and in French, with time moved forward."""

from __future__ import annotations

from datetime import timedelta

import pytest

from crm.config import Settings
from crm.db import Database
from crm.mail import transport_from_url
from crm.models import EnrolmentStatus, StepStatus
from crm.sequences.definitions import get_sequence
from crm.sequences.unsubscribe import read_token
from tests.email.conftest import Sink
from tests.email.helpers import T0, activity_kinds, deliveries, enrolments, new_lead, run_due, steps

BOTH = pytest.mark.parametrize("backend", ["sqlite", "postgres"], indirect=True)


def _run_days(db: Database, settings: Settings, days: int) -> None:
    transport = transport_from_url(settings.mail_url)
    try:
        for day in range(days + 1):
            run_due(db, settings, transport, T0 + timedelta(days=day, minutes=5))
    finally:
        transport.close()


def _parts(message: object) -> tuple[str, str]:
    """(text, html) with whitespace runs collapsed, since the text part is wrapped at 76 columns."""
    text = message.get_body(preferencelist=("plain",)).get_content()  # type: ignore[attr-defined]
    html = message.get_body(preferencelist=("html",)).get_content()  # type: ignore[attr-defined]
    return " ".join(text.split()), " ".join(html.split())


@BOTH
def test_it_sends_a_whole_english_sequence_once_each_in_order(db: Database, smtp_settings: Settings,
                                                             sink: Sink) -> None:
    # Given an Irish lead writing in English, classified for the Working Holiday
    lead_id = new_lead(db, "iec-working-holiday", email="aoife@example.ie")
    definition = get_sequence("iec-working-holiday")
    assert definition is not None
    # When the scheduler runs every day for a month
    _run_days(db, smtp_settings, 30)
    # Then each step reached the SMTP server exactly once, in order, in English
    received = sink.to("aoife@example.ie")
    assert len(received) == len(definition.steps) == 5
    subjects = [str(m["Subject"]) for m in received]
    assert subjects[0].startswith("IEC Working Holiday: your next steps, Aoife")
    assert subjects[1] == "Your document checklist: IEC Working Holiday"
    assert subjects[2] == "How IEC works for citizens of Ireland"
    for message in received:
        text, html = _parts(message)
        # CASL: identification and a working unsubscribe in both parts of every message
        for part in (text, html):
            assert "Maple Route Immigration" in part
            assert "100 King Street West, Toronto ON M5X 1A9, Canada" in part
            assert "hello@maple-route.example" in part
        assert "Unsubscribe" in text and "/unsubscribe/" in text
        token = str(message["List-Unsubscribe"]).strip("<>").rsplit("/", 1)[1]
        assert read_token("test-secret-key-not-for-production", token) == lead_id
        assert str(message["List-Unsubscribe-Post"]) == "List-Unsubscribe=One-Click"
        assert "+" in str(message["Reply-To"]) and "@maple-route.example" in str(message["Reply-To"])
        assert message["Message-ID"]
    # Personalised from the ruleset data: the documents list and Ireland's age range
    text1, _ = _parts(received[1])
    assert "Police certificates" in text1 and "Health insurance for the whole stay" in text1
    text2, _ = _parts(received[2])
    assert "between 18 and 35 years old" in text2
    # And the database agrees: every step sent, the enrolment completed, every send on the timeline
    assert [s.status for s in steps(db, lead_id)] == [StepStatus.SENT.value] * 5
    assert [e.status for e in enrolments(db, lead_id)] == [EnrolmentStatus.COMPLETED.value]
    sent = deliveries(db, lead_id)
    assert [d.status for d in sent] == ["sent"] * 5
    assert {d.message_id for d in sent} == {str(m["Message-ID"]) for m in received}
    assert activity_kinds(db, lead_id).count("email-sent") == 5


def test_it_sends_a_french_lead_the_french_sequence(db: Database, smtp_settings: Settings, sink: Sink) -> None:
    # Given a French citizen living in France who wrote in French
    lead_id = new_lead(db, "iec-working-holiday", email="camille@example.fr", first_name="Camille",
                       citizenships=["France"], country_of_residence="France", preferred_language="fr")
    # When a month goes by
    _run_days(db, smtp_settings, 30)
    # Then five French emails went out, personalised from the ruleset in French
    received = sink.to("camille@example.fr")
    assert len(received) == 5
    assert str(received[0]["Subject"]) == "EIC Vacances-Travail\u00a0: vos prochaines étapes, Camille"
    text0, html0 = _parts(received[0])
    assert text0.startswith("Bonjour Camille,")
    assert "Se désabonner de ces courriels" in text0 and "Se désabonner de ces courriels" in html0
    assert '<html lang="fr">' in html0
    text1, _ = _parts(received[1])
    assert "Certificats de police" in text1
    assert all(d.language == "fr" for d in deliveries(db, lead_id))
    assert enrolments(db, lead_id)[0].status == EnrolmentStatus.COMPLETED.value


def test_it_sends_nothing_before_a_step_is_due(db: Database, smtp_settings: Settings, sink: Sink) -> None:
    # Given a new lead whose first answer went out at once
    new_lead(db, "global-talent-stream", email="dev@example.com", citizenships=["India"],
             country_of_residence="India")
    transport = transport_from_url(smtp_settings.mail_url)
    assert run_due(db, smtp_settings, transport, T0) == ["sent"]
    # When the scheduler ticks again the next day (step 1 is due on day 2)
    assert run_due(db, smtp_settings, transport, T0 + timedelta(days=1)) == []
    transport.close()
    # Then nothing more was sent
    assert len(sink.to("dev@example.com")) == 1
