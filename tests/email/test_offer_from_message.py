"""The first email speaks of a job offer the lead wrote about in the message, as the classifier read it.

A lead who wrote "I have a job offer ... in Calgary" (form silent on it) was told "If you do not have an offer
yet, that is normal", while the classification said "Has a Canadian job offer in Alberta". Fails without the fix.
"""

from __future__ import annotations

import pytest

from crm.config import Settings
from crm.db import Database
from tests.email.helpers import classified_inquiry
from tests.email.test_in_canada_answer import _first_email, _flat

CASES = {
    "en": ("I have a job offer as a civil engineer with a firm in Calgary starting in March.",
           "You mentioned a job offer in Alberta", "If you do not have an offer yet"),
    "fr": ("J'ai une offre d'emploi comme ingénieure civile dans une firme de Calgary à partir de mars.",
           "Vous avez mentionné une offre d'emploi (Alberta)", "Si vous n'avez pas encore d'offre"),
}


@pytest.mark.parametrize("language", ["en", "fr"])
def test_an_offer_written_in_the_message(db: Database, smtp_settings: Settings, language: str) -> None:
    message, said, not_said = CASES[language]
    lead_id = classified_inquiry(db, first_name="Sarah", email=f"sarah.{language}@example.com", citizenships=["US"],
                                 age=36, occupation="Civil engineer", preferred_language=language, message=message)
    text = _flat(_first_email(db, smtp_settings, lead_id).text)
    assert said in text, text
    assert not_said not in text


def test_a_form_that_says_no_offer_wins_over_the_message(db: Database, smtp_settings: Settings) -> None:
    lead_id = classified_inquiry(db, first_name="Sam", email="sam@example.com", citizenships=["US"], age=36,
                                 occupation="Civil engineer", job_offer=False, message=CASES["en"][0])
    text = _flat(_first_email(db, smtp_settings, lead_id).text)
    assert "You mentioned a job offer" not in text  # the form's "no" is the lead's answer; a consultant sees both


def test_a_message_that_says_no_offer(db: Database, smtp_settings: Settings) -> None:
    lead_id = classified_inquiry(db, first_name="Kim", email="kim@example.com", citizenships=["US"], age=36,
                                 occupation="Civil engineer",
                                 message="I don't have a job offer yet, I'm a civil engineer.")
    text = _flat(_first_email(db, smtp_settings, lead_id).text)
    assert "You mentioned a job offer" not in text
