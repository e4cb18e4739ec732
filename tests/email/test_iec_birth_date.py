"""The IEC answer asks for a date of birth only when the age matters, as the review and more-info steps do (lead
trial: a 22-year-old Spanish student, within IEC's 18-35 by years, was asked "Could you reply with: Date of birth",
because the classifier lists it after any stated age). Asked still with no age, or when a stated age leaves the
limit in doubt or near. Fails without the fix."""

from __future__ import annotations

from typing import Any

import pytest

from crm.config import Settings
from crm.db import Database
from tests.email.test_employer_sequence import _emails

BIRTH = {"en": "Date of birth", "fr": "Date de naissance"}


@pytest.mark.parametrize(("name", "fields", "asked"), [
    ("young", {"citizenships": ["Spain"], "age": 22}, False),
    ("near", {"citizenships": ["Ireland"], "age": 35}, True),  # may turn 36 any day: the day matters
    ("none", {"citizenships": ["Ireland"]}, True),
])
@pytest.mark.parametrize("language", ["en", "fr"])
def test_the_iec_answer_asks_a_date_of_birth_only_when_the_age_matters(db: Database, smtp_settings: Settings,
                                                                     language: str, name: str,
                                                                     fields: dict[str, Any], asked: bool) -> None:
    emails = _emails(db, smtp_settings, first_name="José", email=f"birth.{name}.{language}@example.es",
                     preferred_language=language, **fields)
    first = next(text for template, text in emails.items() if template.startswith("answer-"))
    assert (BIRTH[language] in first) is asked, first
