"""A French speaker with a job offer outside Quebec fits Mobilité francophone, which a consultant leads with (RCIC
trial: a French nurse, native French, with a job offer in Ottawa, got IEC Working Holiday as the main stream and
Mobilité francophone below it): a permit for that job, LMIA-exempt, with no IEC quota or invitation round. Stated
French (advanced or native on the form, or the message's words) and an offer outside Quebec now put a fitting
Mobilité francophone before the IEC categories, which stay listed. Fails without the fix."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from crm.classify.classifier import classify
from crm.classify.model import LeadInput

TODAY = date(2026, 3, 15)
BORN = date(1995, 3, 1)


def _classify(messages: list[str], language: str = "en", **facts: Any) -> Any:
    return classify(LeadInput(citizenships=["FR"], date_of_birth=BORN, messages=messages, facts=facts,
                              language=language, today=TODAY))


@pytest.mark.parametrize(("messages", "language", "facts"), [
    (["I'm a French nurse, native French speaker, and I have a job offer in Ottawa."], "en", {}),
    (["Je suis infirmière et je parle français, j'ai une offre d'emploi à Ottawa."], "fr", {}),
    ([], "en", {"job_offer": True, "job_offer_province": "ON", "french_ability": "native", "occupation": "Nurse"}),
    ([], "fr", {"job_offer": True, "job_offer_province": "NB", "french_ability": "advanced"}),
])
def test_stated_french_and_an_offer_outside_quebec_put_francophone_mobility_first(
        messages: list[str], language: str, facts: dict[str, Any]) -> None:
    result = _classify(messages, language, **facts)
    assert result.primary_stream == "francophone-mobility", result.candidates_json()
    first = result.candidates[0]
    assert (first.stream, first.exemption_code) == ("francophone-mobility", "C16") and first.viable
    assert first.for_consultant  # why it comes before IEC, for the consultant only
    streams = [c.stream for c in result.candidates]
    assert "iec-working-holiday" in streams  # still listed
    assert "needs-review" not in result.flags


@pytest.mark.parametrize(("messages", "facts"), [
    # no job offer: nothing to base the permit on yet
    (["I'm French, native French speaker, and I want to work in Canada."], {}),
    # a job in Quebec: Mobilité francophone is not for Quebec
    ([], {"job_offer": True, "job_offer_province": "QC", "french_ability": "native"}),
    # French not stated as good enough (intermediate: the test result decides)
    ([], {"job_offer": True, "job_offer_province": "ON", "french_ability": "intermediate"}),
    # English-speaking, no French stated
    (["I have a job offer in Toronto as a nurse."], {}),
])
def test_otherwise_iec_stays_first(messages: list[str], facts: dict[str, Any]) -> None:
    result = _classify(messages, **facts)
    assert result.primary_stream.startswith("iec-"), result.candidates_json()
