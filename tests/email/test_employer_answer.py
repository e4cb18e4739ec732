"""The employer's first answer: its company as the /apply form gives it, correct French, and no question about
what the employer already told us (found in a consultant's trial). Fails without the fix."""

from __future__ import annotations

import pytest

from crm.config import Settings
from crm.db import Database
from tests.email.helpers import classified_inquiry
from tests.email.test_in_canada_answer import _first_email, _flat


@pytest.mark.parametrize(("language", "subject", "company"), [
    ("en", "Hiring from abroad for Boulangerie Tremblay: how we can help", "at Boulangerie Tremblay"),
    ("fr", "Recruter à l'étranger pour Boulangerie Tremblay\u00a0: comment nous pouvons vous aider",
     "chez Boulangerie Tremblay"),
])
def test_the_company_from_the_apply_forms_employer_field(db: Database, smtp_settings: Settings, language: str,
                                                         subject: str, company: str) -> None:
    lead_id = classified_inquiry(db, first_name="Marc-André", email=f"marc.{language}@example.ca", interest="hire",
                                 employer_name="Boulangerie Tremblay", preferred_language=language)
    email = _first_email(db, smtp_settings, lead_id)
    assert email.subject == subject
    assert company in _flat(email.text)


def test_the_french_answer_reads_well_and_asks_only_what_is_missing(db: Database, smtp_settings: Settings) -> None:
    lead_id = classified_inquiry(db, first_name="Marc-André", email="marc@example.ca", interest="hire",
                                 company_name="Logiciels Tremblay", job_offer_province="QC", preferred_language="fr")
    text = _flat(_first_email(db, smtp_settings, lead_id).text)
    assert "il nous aide de" not in text
    assert ("il nous serait utile de connaître le titre du poste et la citoyenneté du travailleur (lieu du poste : "
            "Québec, comme vous nous l'avez indiqué)") in text
    assert "le lieu de travail au Canada" not in text


def test_where_the_job_is_is_asked_when_not_given(db: Database, smtp_settings: Settings) -> None:
    lead_id = classified_inquiry(db, first_name="Jo", email="jo@example.ca", interest="hire", company_name="Acme")
    assert "the worker's citizenship and where in Canada the job is" in _flat(
        _first_email(db, smtp_settings, lead_id).text)
