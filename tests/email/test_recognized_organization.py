"""A lead from a country without an IEC agreement: the Recognized Organization route is offered as something to
check, not as a place already found (found in a lead's trial: a Nigerian nurse read "the program that fits you
best ... (for example SWAP Working Holidays for U.S. citizens)" and a second email about "partner countries").
Fails without the fix."""

from __future__ import annotations

import pytest

from crm.config import Settings
from crm.db import Database
from crm.models import Classification, Lead
from crm.sequences import preview
from tests.email.helpers import T0, classified_inquiry
from tests.email.test_in_canada_answer import _first_email, _flat

EXPECT = {
    "en": ("whether one takes citizens of your country", "Whether a Recognized Organization takes citizens of Nigeria",
           "How IEC works through a Recognized Organization"),
    "fr": ("si l'une d'elles accepte les ressortissants de votre pays",
           "Si une organisation reconnue accepte les ressortissants de : Nigeria",
           "Comment fonctionne EIC par une organisation reconnue"),
}


@pytest.mark.parametrize("language", ["en", "fr"])
def test_a_non_partner_citizen(db: Database, smtp_settings: Settings, language: str) -> None:
    description, missing, second_subject = EXPECT[language]
    lead_id = classified_inquiry(db, first_name="Chinedu", email=f"chinedu.{language}@example.ng",
                                 citizenships=["Nigeria"], date_of_birth="1996-07-21", occupation="Nurse",
                                 preferred_language=language)
    with db.session() as session:
        current = session.query(Classification).filter_by(lead_id=lead_id, is_current=True).one()
        assert current.primary_stream == "iec-recognized-organization"
        assert missing in current.candidates[0]["missing"]
    text = _flat(_first_email(db, smtp_settings, lead_id).text)
    assert description in text
    # The consultant checks which organization takes the lead: the email does not ask the lead for it.
    assert missing not in text and missing.replace(" : ", " ") not in text
    with db.session() as session:
        lead = session.get(Lead, lead_id)
        subjects = [email.subject for email in preview(session, lead, None, settings=smtp_settings, now=T0)]
    assert second_subject in subjects, subjects
    assert not any("partner countries" in s or "pays partenaires" in s for s in subjects)


@pytest.mark.parametrize(("language", "status"), [("en", "Current IEC status for Ukraine"),
                                                  ("fr", "Statut EIC actuel pour")])
def test_a_suspended_iec_country_is_checked_by_the_consultant_not_asked_of_the_lead(
        db: Database, smtp_settings: Settings, language: str, status: str) -> None:
    lead_id = classified_inquiry(db, first_name="Olena", email=f"olena.{language}@example.ua", citizenships=["Ukraine"],
                                 date_of_birth="1998-02-11", preferred_language=language)
    with db.session() as session:
        current = session.query(Classification).filter_by(lead_id=lead_id, is_current=True).one()
        assert any(item.startswith(status) for c in current.candidates for item in c.get("missing") or [])
    assert status not in _flat(_first_email(db, smtp_settings, lead_id).text)
