"""A student whose internship is a required part of a post-secondary degree is IEC Co-op's case: Co-op comes before
Working Holiday (RCIC trial: Co-op (likely) was ranked below Working Holiday (eligible), which would spend the lead's
one working holiday on an internship)."""

from __future__ import annotations

from datetime import date

import pytest

from crm.classify.classifier import classify
from crm.classify.model import LeadInput

TODAY = date(2026, 3, 15)
BORN = date(2003, 1, 1)


@pytest.mark.parametrize(("citizenship", "message", "language", "quote"), [
    ("FR", "I'm a French engineering student and my degree requires a 6-month internship; can I do it in Montreal?",
     "en", "my degree requires a 6-month internship"),
    ("DE", "I'm studying business at university in Berlin and need to do an internship in Canada as part of my degree.",
     "en", "internship in Canada as part of my degree"),
    ("IE", "I need a compulsory work placement for my diploma, ideally in Toronto.", "en",
     "compulsory work placement"),
    ("FR", "Je suis étudiante en master et je dois faire un stage obligatoire de 6 mois au Canada.", "fr",
     "stage obligatoire"),
    ("FR", "Je cherche un stage à Montréal dans le cadre de mon master.", "fr",
     "stage à Montréal dans le cadre de mon master"),
])
def test_a_required_internship_puts_coop_first(citizenship: str, message: str, language: str, quote: str) -> None:
    result = classify(LeadInput(citizenships=[citizenship], date_of_birth=BORN, messages=[message], language=language,
                                today=TODAY))
    assert result.primary_stream == "iec-co-op", result.candidates_json()
    coop = result.candidates[0]
    assert coop.stream == "iec-co-op" and coop.verdict == "likely"
    assert any(quote in reason for reason in coop.reasons)
    streams = [c.stream for c in result.candidates]
    assert streams.index("iec-co-op") < streams.index("iec-working-holiday")


@pytest.mark.parametrize(("citizenship", "message"), [
    ("IE", "I'm 24 and want to do an internship in Canada."),  # not said to be part of a degree
    ("IE", "My daughter needs a mandatory internship for her degree; I want a working holiday myself."),
    ("JP", "My degree requires a 6-month internship, can I do it in Vancouver?"),  # Japan: no Co-op
    ("BE", "Je cherche un stage à Montréal dans le cadre de mon master."),  # Belgium: no Co-op
])
def test_otherwise_working_holiday_keeps_its_place(citizenship: str, message: str) -> None:
    result = classify(LeadInput(citizenships=[citizenship], date_of_birth=BORN, messages=[message], today=TODAY))
    assert result.primary_stream == "iec-working-holiday", result.candidates_json()
