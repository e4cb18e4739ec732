"""A program's description is a sentence of its own, never tacked on after a colon (lead trial: "Mobilité
francophone : Un permis de travail dispensé d'EIMT...", "Post-graduation work permit (PGWP), exemption code C43: An
open work permit...": a capital after a colon, wrong in French and in English for a phrase that is not a
sentence). Fails without the fix."""

from __future__ import annotations

import pytest

from crm.classify.ruleset import load_ruleset
from crm.config import Settings
from crm.db import Database
from tests.email.test_employer_sequence import _emails
from tests.email.test_in_canada_answer import GRADUATE

MONCTON = {"en": "We want to hire bakers from France for our bakery in Moncton.",
           "fr": "Nous voulons embaucher des boulangers de France pour notre boulangerie de Moncton."}


@pytest.mark.parametrize("language", ["en", "fr"])
def test_no_description_follows_a_colon(db: Database, smtp_settings: Settings, language: str) -> None:
    graduate = _emails(db, smtp_settings, first_name="Priya", email=f"described.{language}@example.in",
                       citizenships=["India"], age=30, country_of_residence="Canada", preferred_language=language,
                       message=GRADUATE[language])
    employer = _emails(db, smtp_settings, first_name="Marc", email=f"described.{language}@example.ca",
                       interest="hire", company_name="Boulangerie Tremblay", preferred_language=language,
                       message=MONCTON[language])
    text = " ".join([*graduate.values(), *employer.values()]).replace("\u00a0", " ")
    descriptions = [rule.description[language] for rule in load_ruleset().streams_by_slug.values()]
    # The two emails that list other routes with their descriptions
    shown = [d for d in descriptions if f". {d}" in text]
    assert len(shown) >= 2, shown
    after_colon = [d[:40] for d in descriptions if f": {d}" in text]
    assert not after_colon, after_colon
