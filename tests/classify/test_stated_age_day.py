"""A stated age is dated in the zone the classifier and the emails count the lead's days in (consultant trial: a
French lead, country only in her message, who said 27 on a Toronto evening was "27-28" in her reasons and her
email: the intake dated the age on Toronto's day, the classifier counted Paris's next day)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select

from crm.classify.ages import stated_age_day
from crm.classify.service import classify_and_store
from crm.db import Database
from crm.intake.service import IntakeRequest, receive_inquiry
from crm.models import Classification, Lead
from crm.sequences.content import lead_age

EVENING_IN_TORONTO = datetime(2026, 11, 27, 3, 30, tzinfo=UTC)  # 22:30 on the 26th in Toronto, 04:30 in Paris


def test_an_age_stated_with_the_last_inquiry_is_redated_in_the_leads_zone() -> None:
    paris = ZoneInfo("Europe/Paris")
    assert stated_age_day(date(2026, 11, 26), EVENING_IN_TORONTO, paris) == date(2026, 11, 27)
    # an age stated days before the last inquiry keeps its own day
    assert stated_age_day(date(2026, 11, 20), EVENING_IN_TORONTO, paris) == date(2026, 11, 20)
    assert stated_age_day(None, EVENING_IN_TORONTO, paris) is None


def test_the_classifier_and_the_emails_say_the_stated_age_as_given(db: Database) -> None:
    payload = {"first_name": "Sophie", "email": "sophie@example.fr", "age": 27, "preferred_language": "fr",
               "interest": "work", "message": "Je suis française et j'ai 27 ans. Je voudrais faire un PVT au Canada."}
    with db.transaction() as session:
        lead_id = receive_inquiry(session, IntakeRequest(body=json.dumps(payload).encode(),
                                                         content_type="application/json", fields=payload),
                                  now=EVENING_IN_TORONTO).lead_id
    with db.transaction() as session:
        classify_and_store(session, lead_id, "intake", EVENING_IN_TORONTO)
    with db.session() as session:
        current = session.scalars(select(Classification).where(Classification.lead_id == lead_id,
                                                               Classification.is_current.is_(True))).one()
        reasons = " ".join(reason for c in current.candidates for reason in c.get("reasons") or [])
        assert "27 ans" in reasons and "27-28" not in reasons, reasons
        lead = session.get_one(Lead, lead_id)
        age = lead_age(lead, EVENING_IN_TORONTO.astimezone(ZoneInfo("Europe/Paris")).date())
        assert age is not None and (age.low, age.high) == (27, 27)
