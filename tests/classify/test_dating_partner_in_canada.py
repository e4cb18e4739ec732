"""A girlfriend or boyfriend who works or studies in Canada ("my girlfriend works in Toronto on a work permit") was not
read at all, while "my wife works in Toronto" gives the spouse-of-a-worker route (C41) and "my husband is studying"
the spouse-of-a-student one (C42). A girlfriend or boyfriend is now read like a spouse, as 1ead95c reads them beside
a Canadian: a spouse for these permits only as a common-law partner, so the route needs information and asks first
how long the couple has lived together (English and French). Someone else's girlfriend and a 'copain de classe' are
not read. Fails without the fix."""

from __future__ import annotations

from datetime import date

import pytest

from crm.classify.classifier import add_texts, classify
from crm.classify.model import LeadInput

TODAY = date(2026, 3, 15)
COHABITATION = {"en": "How long the couple has lived together (12 months or more makes a common-law partner)",
                "fr": "Depuis combien de temps le couple vit ensemble (12 mois ou plus : conjoints de fait)"}


@pytest.mark.parametrize(("citizenships", "message", "language", "code"), [
    (["MX"], "My girlfriend works in Toronto on a work permit. Can I join her?", "en", "C41"),
    (["BR"], "My boyfriend has a work permit in Vancouver, what are my options?", "en", "C41"),
    (["IN"], "My boyfriend is studying at UBC, he is doing a masters.", "en", "C42"),
    (["FR"], "Ma copine fait un doctorat à Montréal, est-ce que je peux travailler ?", "fr", "C42"),
    (["MA"], "Mon copain travaille à Ottawa avec un permis de travail.", "fr", "C41"),
    (["CO"], "Ma petite amie étudie à Toronto.", "fr", "C42"),
])
def test_a_partner_working_or_studying_in_canada_is_read_like_a_spouse(citizenships: list[str], message: str,
                                                                       language: str, code: str) -> None:
    lead = LeadInput(citizenships=citizenships, messages=[message], language=language, today=TODAY)
    result = classify(lead)
    spouse = next((c for c in result.candidates if c.stream == "spousal-open-work-permit"), None)
    assert spouse is not None, result.candidates_json()
    assert (spouse.exemption_code, spouse.verdict) == (code, "needs_info")
    assert spouse.missing[0] == COHABITATION[language]
    add_texts(result, lead)
    other = "fr" if language == "en" else "en"
    assert spouse.texts[other]["missing"][0] == COHABITATION[other]
    if result.primary_stream == "needs-review":  # the review emails ask it first
        assert result.candidates[0].missing[0] == COHABITATION[language]


def test_a_wife_working_in_canada_is_still_likely_without_the_question() -> None:
    result = classify(LeadInput(citizenships=["MX"], messages=["My wife works in Toronto on a work permit."],
                                today=TODAY))
    assert result.primary_stream == "spousal-open-work-permit"
    spouse = result.candidates[0]
    assert (spouse.exemption_code, spouse.verdict) == ("C41", "likely")
    assert COHABITATION["en"] not in spouse.missing


@pytest.mark.parametrize(("message", "language"), [
    ("My friend's girlfriend works in Toronto on a work permit.", "en"),
    ("Mon copain de classe travaille à Toronto.", "fr"),
])
def test_someone_elses_partner_or_a_classmate_is_not_read(message: str, language: str) -> None:
    result = classify(LeadInput(citizenships=["MX"], messages=[message], language=language, today=TODAY))
    assert all(c.stream != "spousal-open-work-permit" for c in result.candidates), result.candidates_json()
