"""The review sequence's more-info step asks only what the lead has not told us (lead trial: it asked every
lead for every citizenship and a date of birth, even those who gave them). Fails without the fix."""

from __future__ import annotations

import pytest

from crm.config import Settings
from crm.db import Database
from tests.email.test_iec_ages import NOV, _emails, _lead
from tests.email.test_wording import _flat

ASKED = {"en": ["Every citizenship you hold", "Your date of birth", "Your occupation and years of experience"],
         "fr": ["Toutes vos citoyennetés", "Votre date de naissance", "Votre profession et vos années d'expérience"]}


@pytest.mark.parametrize("language", ["en", "fr"])
def test_more_info_leaves_out_what_the_lead_gave(db: Database, settings: Settings, language: str) -> None:
    # A Swede over Sweden's IEC limit, with a date of birth and an occupation, goes to consultant review
    lead_id = _lead(db, NOV, first_name="Lars", email=f"lars.known.{language}@example.se", citizenships=["SE"],
                    date_of_birth="1993-06-01", occupation="Welder", spouse_status_in_canada="none",
                    preferred_language=language)
    text = _flat(_emails(db, settings, lead_id, NOV)["more-info"].text).replace("\u00a0", " ")
    for asked in ASKED[language]:
        assert asked not in text, (asked, text)
    expected = {"en": ["Your years of experience, and any Canadian job offer.",
                       "Your studies, especially any completed in Canada.", "beside what you already told us"],
                "fr": ["Vos années d'expérience, ainsi que toute offre d'emploi au Canada.",
                       "Vos études, surtout celles terminées au Canada.", "en plus de ce que vous nous avez déjà dit"]}
    for sentence in expected[language]:
        assert sentence in text, (sentence, text)
    assert "spouse or partner already working" not in text and "conjoint ou partenaire qui travaille" not in text


def test_more_info_still_asks_what_the_lead_did_not_give(db: Database, settings: Settings) -> None:
    lead_id = _lead(db, NOV, first_name="Sam", email="sam.unknown@example.com", interest="other")
    emails = _emails(db, settings, lead_id, NOV)
    assert "more-info" in emails, list(emails)
    text = _flat(emails["more-info"].text)
    for asked in ASKED["en"]:
        assert asked in text, (asked, text)
