"""A job offer read from a message is the lead's own offer in Canada: a question about one, a plan to find one,
someone else's offer and an offer abroad are not taken as held (RCIC review: "a job offer in Paris" made a French
lead eligible for Young Professionals, "Do I need a job offer under CUSMA?" made T36 likely). Then the offer is
still asked for."""

from __future__ import annotations

from datetime import date

import pytest

from crm.classify.classifier import classify
from crm.classify.model import LeadInput
from crm.classify.signals import read_message

TODAY = date(2026, 3, 15)


def _offer(text: str) -> bool | None:
    found = [signal.value for signal in read_message(text) if signal.kind == "job_offer"]
    return bool(found[0]) if found else None


@pytest.mark.parametrize("text", [
    "I have a job offer in Toronto", "I got an offer from Shopify", "I have a job offer",
    "I was offered a job in Calgary", "I have a job offer, what documents do I need?",
    "J'ai une offre d'emploi au Québec", "Hi, I'm a nurse with a job offer in Moncton",
    "I have a job offer in Paris. I also have a job offer in Toronto.",
    "I received a job offer at Amazon in Vancouver", "I have a job offer from a Canadian company",
])
def test_the_leads_own_offer_in_canada_is_read(text: str) -> None:
    assert _offer(text) is True


@pytest.mark.parametrize("text", [
    # abroad
    "I have a job offer in Paris but want Canada",
    "I got an offer from Google in Seattle but I'd rather work in Vancouver",
    "I have a job offer in Houston", "I have a job offer from a company in Germany", "j'ai une offre d'emploi à Lyon",
    # a question, a need or a plan
    "Do I need a job offer to work in Canada under CUSMA?", "What if I have a job offer?", "Is a job offer required?",
    "Est-ce qu'il faut une offre d'emploi ?", "I am looking for a job offer in Canada",
    "How can I get a job offer?", "Je cherche une offre d'emploi au Canada",
    # someone else's
    "My wife has a job offer in Toronto", "Mon mari a une offre d'emploi à Montréal",
])
def test_questions_plans_other_peoples_and_foreign_offers_are_not_read_as_held(text: str) -> None:
    assert _offer(text) is None


def test_a_denied_offer_is_still_read_as_none_held() -> None:
    assert _offer("I don't have a job offer yet") is False


def test_an_offer_abroad_leaves_young_professionals_asking_for_the_canadian_offer() -> None:
    result = classify(LeadInput(citizenships=["FR"], stated_age=31, stated_age_on=TODAY, today=TODAY,
                                messages=["I have a job offer in Paris but want Canada"]))
    young = next(c for c in result.candidates if c.stream == "iec-young-professionals")
    assert young.verdict != "eligible"
    assert not any("job offer" in reason.lower() for reason in young.reasons)


@pytest.mark.parametrize("message", ["I'm a Mexican engineer with a job offer in Houston",
                                     "Do I need a job offer to work in Canada under CUSMA?"])
def test_cusma_still_asks_for_a_canadian_offer(message: str) -> None:
    result = classify(LeadInput(citizenships=["MX"], stated_age=40, stated_age_on=TODAY, today=TODAY,
                                messages=[message]))
    cusma = next(c for c in result.candidates if c.stream == "free-trade-professional")
    assert cusma.verdict == "needs_info"
    assert "A job offer or contract from a Canadian employer" in cusma.missing


@pytest.mark.parametrize("town", [
    "Quebec City", "Victoria", "Saint John", "Banff", "Whistler", "Fort McMurray", "Moose Jaw", "Rimouski",
    "Prince George", "Yellowknife", "Kingston", "London, Ontario", "Paris, Ontario", "Sydney, Nova Scotia",
])
def test_an_offer_in_any_canadian_town_is_read(town: str) -> None:
    """Review of the first version: any capitalised word after 'in' was taken for a place abroad."""
    assert _offer(f"I have a job offer in {town}") is True
    assert _offer(f"J'ai une offre d'emploi à {town}") is True


@pytest.mark.parametrize("text", [
    "I would like to know my options as I have a job offer in Toronto",
    "I want to move to Canada since I have a job offer in Calgary",
    "Je viens d'obtenir une offre d'emploi à Québec", "With the help of my sister I have a job offer in Ottawa",
    "I have a job offer in Toronto from a company based in New York",
    "I have a job offer in Canada from my employer in India",
    "I have a job offer in Toronto with a company from France",
])
def test_the_leads_own_have_wins_over_other_words_of_the_sentence(text: str) -> None:
    assert _offer(text) is True


@pytest.mark.parametrize("message", [
    "job offer " * 100 + "at " * 1300 + "in Paris", "job offer at " * 380 + "in Paris",
    "I have a job offer in " * 200, "with my " * 600,
])
def test_a_long_crafted_message_is_read_in_linear_time(message: str) -> None:
    """Review: a 5,000-character message took ~10 s (an abroad check per mention, each rescanning the clause).
    Measured as work, not time: the abroad check runs for at most five mentions."""
    from crm.classify import signals

    calls = {"n": 0}
    original = signals._offer_abroad

    def counting(text: str, end: int) -> bool:
        calls["n"] += 1
        return original(text, end)

    signals._offer_abroad = counting  # type: ignore[assignment]
    try:
        read_message(message)
    finally:
        signals._offer_abroad = original  # type: ignore[assignment]
    assert calls["n"] <= signals._OFFER_MENTIONS


def test_an_offer_in_a_province_the_intake_could_not_read_is_not_taken_as_canadian() -> None:
    """Consultant trial: job_offer true with job_offer_province 'Texas' (stored as None, with a note) made a Mexican
    welder a likely CUSMA professional with '+10 has a Canadian job offer'."""
    result = classify(LeadInput(citizenships=["MX"], stated_age=33, stated_age_on=TODAY, today=TODAY,
                                facts={"job_offer": True, "job_offer_province": None, "occupation": "Welder"},
                                messages=["I have a job offer as a welder."]))
    cusma = next(c for c in result.candidates if c.stream == "free-trade-professional")
    assert cusma.verdict == "needs_info"
    assert not any("job offer" in reason for reason in result.score_reasons)
    with_province = classify(LeadInput(citizenships=["MX"], stated_age=33, stated_age_on=TODAY, today=TODAY,
                                       facts={"job_offer": True, "job_offer_province": "AB"}))
    assert "+10 has a Canadian job offer" in with_province.score_reasons
