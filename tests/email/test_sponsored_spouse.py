"""A lead whose spouse or partner is a Canadian citizen or permanent resident is on the spousal stream with the
sponsored spouse's code (A74), and its emails speak of that permit (RCIC trial: a Colombian in Bogota whose husband is
Canadian read 'Open work permit for spouses of skilled workers or students (exemption code A74) ... TEER 0 or 1',
documents 'Spouse's work or study permit' and 'When you apply from inside Canada'): the open work permit while the
sponsorship application is processed, its conditions (in Canada with valid status, at the sponsor's address), the
sponsorship acknowledgement, proof of the relationship and of status. A lead abroad is not told about applying from
inside Canada. A spouse of a worker (C41) still reads the worker's texts. Fails without the fix."""

from __future__ import annotations

from typing import Any

import pytest

from crm.config import Settings
from crm.db import Database
from tests.email.test_employer_sequence import _emails

MESSAGES = {
    ("en", "abroad"): "My husband is a Canadian citizen and we live in Bogota. Can I work in Canada?",
    ("fr", "abroad"): "Mon mari est citoyen canadien et nous vivons à Bogota. Puis-je travailler au Canada ?",
    ("en", "here"): "My husband is a Canadian citizen. I'm in Toronto as a visitor, can I work?",
    ("fr", "here"): "Mon mari est citoyen canadien. Je suis à Toronto comme visiteuse, est-ce que je peux travailler ?",
}
RESIDENCE = {"abroad": {"country_of_residence": "Colombia"}, "here": {"country_of_residence": "Canada"}}

# The C41/C42 texts: none of them is about a sponsored spouse.
WORKER_SPOUSE = {
    "en": ["skilled workers or students", "TEER", "Spouse's work or study permit", "job offer or letter of enrolment",
           "your permit is tied to theirs", "your permit follows your spouse's"],
    "fr": ["travailleurs qualifiés ou d'étudiants", "FEER", "Permis de travail ou d'études du conjoint",
           "attestation d'inscription du conjoint", "votre permis est lié au sien", "son permis suit celui"],
}
SPONSORED = {
    "en": ["Open work permit for spouses and partners sponsored for permanent residence (exemption code A74)",
           "while the sponsorship application is processed", "living at the sponsor's address",
           "Acknowledgement of receipt of the sponsorship application", "proof of common-law relationship",
           "Your status document in Canada"],
    "fr": ["Permis de travail ouvert pour les époux et conjoints parrainés pour la résidence permanente (code de "
           "dispense A74)", "pendant le traitement de la demande de parrainage", "vivre à l'adresse du répondant",
           "Accusé de réception de la demande de parrainage", "preuve d'union de fait",
           "Votre document de statut au Canada"],
}
IN_CANADA = {"en": "When you apply from inside Canada", "fr": "Quand on présente une demande depuis le Canada"}
ABROAD = {"en": "is for a spouse or partner who is in Canada",
          "fr": "est destiné à l'époux ou au conjoint qui se trouve au Canada"}
STAY = {"en": "Keep your temporary resident status in Canada valid",
        "fr": "Gardez un statut de résident temporaire valide au Canada"}


def _text(db: Database, settings: Settings, language: str, where: str, **fields: Any) -> dict[str, str]:
    emails = _emails(db, settings, first_name="Valentina", email=f"valentina.{where}.{language}@example.co",
                     citizenships=["Colombia"], age=31, preferred_language=language,
                     message=MESSAGES[(language, where)], **RESIDENCE[where], **fields)
    assert list(emails)[:3] == ["answer-in-canada", "documents", "status-timing"], list(emails)
    return {name: text.replace("\u00a0", " ") for name, text in emails.items()}


@pytest.mark.parametrize("language", ["en", "fr"])
@pytest.mark.parametrize("where", ["abroad", "here"])
def test_a_sponsored_spouse_reads_about_the_sponsored_spouses_permit(db: Database, smtp_settings: Settings,
                                                                     language: str, where: str) -> None:
    emails = _text(db, smtp_settings, language, where)
    text = " ".join(emails.values())
    for wrong in WORKER_SPOUSE[language]:
        assert wrong not in text, (wrong, text)
    for sentence in SPONSORED[language]:
        assert sentence in text, (sentence, text)
    assert IN_CANADA[language] not in text  # the advice for C41/C42 and other permits in Canada
    if where == "abroad":
        assert ABROAD[language] in emails["answer-in-canada"] and ABROAD[language] in emails["status-timing"]
        assert STAY[language] not in text
    else:
        assert STAY[language] in emails["status-timing"] and ABROAD[language] not in text


@pytest.mark.parametrize(("language", "sentence"), [
    ("en", "This permit depends on the sponsorship application and on your stay in Canada, if you are there: when"),
    ("fr", "Ce permis dépend de la demande de parrainage et de votre séjour au Canada, si vous y êtes : la date"),
])
def test_an_unknown_residence_reads_the_stay_as_a_condition(db: Database, smtp_settings: Settings, language: str,
                                                            sentence: str) -> None:
    emails = _emails(db, smtp_settings, first_name="Valentina", email=f"valentina.unknown.{language}@example.co",
                     citizenships=["Colombia"], age=31, preferred_language=language,
                     message=MESSAGES[(language, "abroad")].split(" et nous")[0].split(" and we")[0])
    text = " ".join(emails.values()).replace("\u00a0", " ")
    assert sentence in text, text
    assert IN_CANADA[language] not in text and ABROAD[language] not in text


def test_a_worker_spouse_still_reads_the_worker_spouse_texts(db: Database, smtp_settings: Settings) -> None:
    emails = _emails(db, smtp_settings, first_name="Priya", email="priya.c41@example.in", interest="family",
                     citizenships=["India"], age=30, spouse_status_in_canada="worker", country_of_residence="India")
    text = " ".join(emails.values())
    assert "Open work permit for spouses of skilled workers or students" in text
    assert "Spouse's work or study permit" in text and "sponsored for permanent residence" not in text
