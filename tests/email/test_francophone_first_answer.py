"""A French speaker with a job offer outside Quebec is answered about Mobilité francophone, with IEC Working Holiday
still named beside it (RCIC trial: a French nurse, native French, with an offer in Ottawa, was answered about the
Working Holiday). Fails without the fix."""

from __future__ import annotations

import pytest

from crm.config import Settings
from crm.db import Database
from tests.email.test_employer_sequence import _emails


@pytest.mark.parametrize(("language", "program", "holiday"), [
    ("en", "Francophone Mobility (Mobilité francophone)", "IEC Working Holiday"),
    ("fr", "Mobilité francophone", "EIC Vacances-Travail"),
])
def test_a_french_nurse_with_an_offer_in_ottawa_reads_about_francophone_mobility_first(
        db: Database, smtp_settings: Settings, language: str, program: str, holiday: str) -> None:
    emails = _emails(db, smtp_settings, first_name="Camille", email=f"camille.nurse.{language}@example.fr",
                     citizenships=["France"], country_of_residence="France", date_of_birth="1995-03-01",
                     preferred_language=language, occupation="Nurse",
                     message="I'm a French nurse, native French speaker, with a job offer in Ottawa.")
    first = next(iter(emails))
    assert first == "answer-worker", list(emails)
    answer = emails[first].replace("\u00a0", " ")
    assert program in answer.split(holiday)[0], answer  # named first
    assert holiday in answer, answer
