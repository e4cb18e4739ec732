"""A lead on a PGWP who applied for PR (a lead/consultant trial): her first email offers the bridging permit and
not a second post-graduation work permit (issued once), and does not ask what she already wrote: the PR program
and the permit's expiry date."""

from __future__ import annotations

import pytest

from crm.config import Settings
from crm.db import Database
from tests.email.helpers import classified_inquiry
from tests.email.test_in_canada_answer import _first_email, _flat

MESSAGE = {
    "en": ("I am on a PGWP that expires on February 14, 2027. I applied for PR through Express Entry (CEC) in "
           "October. I graduated from Seneca."),
    "fr": ("J'ai un PTPD qui expire le 14 février 2027. J'ai déposé ma demande de résidence permanente dans le "
           "cadre de l'Entrée express. J'ai terminé mes études à Concordia."),
}
NOT_SAID = {
    "en": ["Post-graduation work permit", "C43", "PR program (it must be an economic class)",
           "Current work permit expiry date", "issued once"],
    "fr": ["Permis de travail postdiplôme", "C43", "Programme de résidence permanente (il doit s'agir",
           "Date d'expiration du permis de travail actuel", "délivré qu'une fois"],
}


@pytest.mark.parametrize("language", ["en", "fr"])
def test_a_pgwp_holder_is_not_offered_a_second_pgwp_nor_asked_what_she_wrote(
        db: Database, settings: Settings, language: str) -> None:
    lead_id = classified_inquiry(db, first_name="Meera", email=f"meera.{language}@example.in", citizenships=["India"],
                                 age=27, country_of_residence="Canada", preferred_language=language,
                                 message=MESSAGE[language])
    first = _first_email(db, settings, lead_id)
    assert first.template == "answer-in-canada"
    text, html = _flat(first.text), _flat(first.html).replace("&#39;", "'")
    assert ("Bridging open work permit" if language == "en" else "Permis de travail ouvert transitoire") in text
    for words in NOT_SAID[language]:
        assert words not in text and words not in html, (words, text)
