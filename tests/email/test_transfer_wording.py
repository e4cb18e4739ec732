"""An intra-company transferee reads about a transfer within their own company, not about finding a Canadian
employer (lead trial: 'This route depends on a Canadian employer who wants to hire you. If you do not have an
offer yet...' and on day 5 'What makes a job offer work... If you are still looking, tell employers early').
Fails without the fix."""

from __future__ import annotations

import pytest

from crm.config import Settings
from crm.db import Database
from crm.models import Lead
from crm.sequences import preview
from tests.email.helpers import T0, new_lead
from tests.email.test_employer_sequence import _emails
from tests.email.test_in_canada_answer import _flat

MESSAGE = {"en": "My company is transferring me to our Toronto office.",
           "fr": "Mon entreprise me mute à notre bureau de Toronto."}
WRONG = {"en": ["Canadian employer who wants to hire you", "If you do not have an offer yet",
                "What makes a job offer work", "If you are still looking", "tell employers early"],
         "fr": ["employeur canadien qui souhaite vous embaucher", "Si vous n'avez pas encore d'offre",
                "Ce qui rend une offre d'emploi valable", "Si vous êtes encore en recherche"]}
RIGHT = {"en": ["This route is a transfer within your own company", "What makes a transfer work for a permit",
                "At least a year of full-time work with the company"],
         "fr": ["Cette voie est une mutation au sein de votre propre entreprise",
                "Ce qui rend une mutation valable pour un permis",
                "Au moins un an de travail à temps plein dans l'entreprise"]}


@pytest.mark.parametrize("language", ["en", "fr"])
def test_a_transferee_reads_about_a_transfer_within_their_company(db: Database, smtp_settings: Settings,
                                                                  language: str) -> None:
    emails = _emails(db, smtp_settings, first_name="Lena", email=f"lena.{language}@example.de", interest="work",
                     citizenships=["Germany"], country_of_residence="Germany", age=40,
                     employer_has_canadian_office=True, years_with_employer=4, occupation="Process specialist",
                     preferred_language=language, message=MESSAGE[language])
    assert "answer-worker" in emails and "job-offer" in emails, list(emails)
    text = emails["answer-worker"] + " " + emails["job-offer"]
    for wrong in WRONG[language]:
        assert wrong not in text, (wrong, text)
    for right in RIGHT[language]:
        assert right in text, (right, text)


def test_another_worker_without_an_offer_still_reads_about_finding_one(db: Database,
                                                                       smtp_settings: Settings) -> None:
    lead_id = new_lead(db, "global-talent-stream", email="dev.no.offer@example.in", citizenships=["India"],
                       country_of_residence="India", occupation="Software developer", job_offer=False)
    with db.session() as session:
        lead = session.get(Lead, lead_id)
        assert lead is not None
        text = " ".join(_flat(email.subject + " " + email.text)
                        for email in preview(session, lead, settings=smtp_settings, now=T0))
    assert "What makes a job offer work for a permit" in text and "tell employers early" in text
    assert "transfer within your own company" not in text
