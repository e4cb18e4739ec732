"""The review answer asks for a date of birth only when the age matters: a lead who gave an age clearly over the
IEC limit (or far from it) is not asked for it (email helper's note: a 40-year-old German transferee was)."""

from __future__ import annotations

import pytest

from crm.config import Settings
from crm.db import Database
from tests.email.helpers import classified_inquiry
from tests.email.test_in_canada_answer import _first_email, _flat


@pytest.mark.parametrize(("language", "birth"), [("en", "your date of birth"), ("fr", "votre date de naissance")])
def test_a_stated_age_over_the_limit_is_not_asked_for_a_date_of_birth(db: Database, smtp_settings: Settings,
                                                                      language: str, birth: str) -> None:
    lead_id = classified_inquiry(db, first_name="Jonas", email=f"jonas.{language}@example.de", citizenships=["Germany"],
                                 age=40, preferred_language=language)
    text = _flat(_first_email(db, smtp_settings, lead_id).text)
    assert birth not in text
