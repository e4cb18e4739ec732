"""A spouse living abroad reads about applying from outside Canada, not the in-Canada emails (lead trial: a
spouse in India was told to 'keep working without a gap', 'When you apply from inside Canada... Do not travel
outside Canada while an application is pending' and 'If your permit ends within the next three months, tell us
now'). A lead in Canada still reads them; one whose residence is unknown reads them as conditions. Fails
without the fix."""

from __future__ import annotations

from typing import Any

import pytest

from crm.config import Settings
from crm.db import Database
from tests.email.test_employer_sequence import _emails

IN_CANADA_ONLY = {
    "en": ["keep working without a gap", "When you apply from inside Canada", "Do not travel outside Canada",
           "Apply before your current permit expires", "If your permit ends within the next three months"],
    "fr": ["continuiez à travailler sans interruption", "Quand on présente une demande depuis le Canada",
           "Ne quittez pas le Canada", "avant l'expiration de votre permis actuel",
           "Si votre permis prend fin dans les trois prochains mois"],
}


def _spouse(db: Database, settings: Settings, language: str, name: str, **fields: Any) -> str:
    emails = _emails(db, settings, first_name="Priya", email=f"{name}.{language}@example.in", interest="family",
                     citizenships=["India"], age=30, spouse_status_in_canada="worker", preferred_language=language,
                     **fields)
    assert "answer-in-canada" in emails and "status-timing" in emails, list(emails)
    return " ".join(emails.values()).replace("\u00a0", " ")


@pytest.mark.parametrize("language", ["en", "fr"])
def test_a_spouse_abroad_reads_about_applying_from_outside_canada(db: Database, smtp_settings: Settings,
                                                                  language: str) -> None:
    text = _spouse(db, smtp_settings, language, "abroad", country_of_residence="India")
    for wrong in IN_CANADA_ONLY[language]:
        assert wrong not in text, (wrong, text)
    expected = {"en": ["you apply from abroad, with your spouse's or partner's application",
                       "you apply from outside Canada at the right time",
                       "When you apply from outside Canada, your permit follows your spouse's or partner's"],
                "fr": ["vous présentez votre demande depuis l'étranger, avec celle de votre époux ou conjoint",
                       "demande depuis l'étranger au bon moment",
                       "Quand on présente une demande depuis l'étranger, son permis suit celui de son époux"]}
    for sentence in expected[language]:
        assert sentence in text, (sentence, text)


@pytest.mark.parametrize("language", ["en", "fr"])
def test_a_spouse_in_canada_still_reads_the_in_canada_advice(db: Database, smtp_settings: Settings,
                                                             language: str) -> None:
    text = _spouse(db, smtp_settings, language, "here", country_of_residence="Canada")
    for sentence in IN_CANADA_ONLY[language]:
        assert sentence in text, (sentence, text)


def test_an_unknown_residence_reads_the_in_canada_advice_as_conditions(db: Database,
                                                                       smtp_settings: Settings) -> None:
    text = _spouse(db, smtp_settings, "en", "unknown")
    assert "(and, if you already work in Canada, keep working without a gap)" in text
    assert "If you are in Canada on a permit, apply before it expires" in text
    assert "If you are in Canada and your permit ends within the next three months" in text


@pytest.mark.parametrize(("language", "staying", "working"), [
    ("en", "Staying and working in Canada:", "Working in Canada:"),
    ("fr", "Rester et travailler au Canada :", "Travailler au Canada :"),
])
def test_only_a_lead_in_canada_is_told_about_staying_in_the_subject(db: Database, smtp_settings: Settings,
                                                                   language: str, staying: str,
                                                                   working: str) -> None:
    # Lead trial: a spouse whose residence the form did not give read "Staying and working in Canada" in the
    # subject of an email that, below it, speaks of being in Canada only as a condition.
    for name, residence, subject in (("here", {"country_of_residence": "Canada"}, staying),
                                     ("unknown", {}, working), ("abroad", {"country_of_residence": "India"}, working)):
        emails = _emails(db, smtp_settings, first_name="Priya", email=f"subject.{name}.{language}@example.in",
                         interest="family", citizenships=["India"], age=30, spouse_status_in_canada="worker",
                         preferred_language=language, **residence)
        first = emails["answer-in-canada"].replace("\u00a0", " ")
        assert first.startswith(subject), (name, first[:80])
