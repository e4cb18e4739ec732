"""What the emails say to the lead: no CRM labels or CRM wording about "the lead", only the programs and
codes that fit them (findings of a tester playing applicants)."""

from __future__ import annotations

import pytest

from crm.config import Settings
from crm.db import Database
from tests.email.test_iec_ages import NOV, _emails, _lead


def _flat(text: str) -> str:
    return " ".join(text.split())


@pytest.mark.parametrize(("language", "label", "generic"), [
    ("en", "Consultant review", "working in Canada"),
    ("fr", "Examen par un consultant", "le travail au Canada"),
])
def test_review_leads_are_not_told_the_name_of_the_review_queue(db: Database, settings: Settings, language: str,
                                                                label: str, generic: str) -> None:
    # A Swede over Sweden's IEC limit goes to consultant review
    lead_id = _lead(db, NOV, first_name="Lars", email=f"lars.label.{language}@example.se", citizenships=["SE"],
                    date_of_birth="1993-06-01", preferred_language=language)
    emails = _emails(db, settings, lead_id, NOV)
    assert "answer-review" in emails
    for template in ("consultation", "checkin"):
        text = _flat(emails[template].text)
        assert label not in text, (template, text)
        assert generic in text, (template, text)


@pytest.mark.parametrize(("language", "reason"), [
    ("en", "Owns, is buying or is starting a business (from the form)"),
    ("fr", "Possède, achète ou crée une entreprise (d'après le formulaire)"),
])
def test_an_entrepreneur_is_not_called_the_lead_in_their_email(db: Database, settings: Settings, language: str,
                                                               reason: str) -> None:
    lead_id = _lead(db, NOV, first_name="Eve", email=f"eve.{language}@example.com", citizenships=["US"],
                    date_of_birth="1980-06-01", owns_business=True, interest="business",
                    preferred_language=language)
    first = _flat(_emails(db, settings, lead_id, NOV)["answer-entrepreneur"].text)
    assert reason in first
    assert "the lead" not in first and "la personne" not in first


@pytest.mark.parametrize(("language", "can_apply", "also"), [
    ("en", "As a citizen of Australia, you can apply to IEC Working Holiday.",
     "Citizens of Australia can also take part in IEC Young Professionals, IEC International Co-op Internship, "
     "if your situation meets their conditions"),
    ("fr", "vous pouvez présenter une demande pour : EIC Vacances-Travail.",
     "Les citoyens de votre pays peuvent aussi participer à : EIC Jeunes professionnels, EIC Stage coop "
     "international, si votre situation en remplit les conditions"),
])
def test_the_iec_answer_says_you_can_apply_only_to_the_categories_found_open(
        db: Database, settings: Settings, language: str, can_apply: str, also: str) -> None:
    # An Australian chef, not a student, no job offer: Working Holiday eligible, Young Professionals needs
    # an offer, Co-op does not apply
    lead_id = _lead(db, NOV, first_name="Jack", email=f"jack.{language}@example.au", citizenships=["AU"],
                    date_of_birth="1998-06-01", occupation="Chef", job_offer=False,
                    enrolled_in_post_secondary=False, preferred_language=language)
    first = _flat(_emails(db, settings, lead_id, NOV)["answer-iec"].text)
    assert can_apply in first, first
    assert also in first, first

