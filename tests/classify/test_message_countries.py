"""A country in the message is the lead's citizenship only when the lead says it is theirs: "I'm from Australia",
"je viens du Maroc", "a UK citizen"; not a place they came back from, a relative's country or the country of the
people an employer wants to hire (a wrong read gives a wrong stream, a false sentence in the email, a wrong time
zone and wrong nationality counts, so a missed read is the lesser harm)."""

from __future__ import annotations

from datetime import date

import pytest

from crm.classify.classifier import classify
from crm.classify.model import LeadInput
from crm.classify.signals import read_message

TODAY = date(2026, 11, 26)


def citizenships(text: str) -> list[str]:
    return [signal.value for signal in read_message(text) if signal.kind == "citizenship"]


@pytest.mark.parametrize(("text", "codes"), [
    ("I'm from Australia", ["AU"]),
    ("I am from Brazil", ["BR"]),
    ("I am originally from Kenya and I am 29", ["KE"]),
    ("I come from Nigeria", ["NG"]),
    ("I am a nurse from the Philippines", ["PH"]),
    ("Hi, I'm Maria from Brazil", ["BR"]),
    ("je viens du Maroc", ["MA"]),
    ("je suis originaire de France", ["FR"]),
    ("Je viens des Philippines et j'ai 30 ans", ["PH"]),
    ("I am a UK citizen", ["GB"]),
    ("US citizen, 34, civil engineer", ["US"]),
    ("I have a UK passport", ["GB"]),
    ("I hold a US passport", ["US"]),
    ("I am a citizen of the UK", ["GB"]),
    ("I'm a UK national living in Dubai", ["GB"]),
    ("I'm British", ["GB"]),
    ("I am an American citizen", ["US"]),
    ("I am a U.S. citizen", ["US"]),
    ("citizen of the U.K.", ["GB"]),
    ("USA passport holder", ["US"]),
    ("J'ai un passeport UK", ["GB"]),
    ("Nationalité : US", ["US"]),
    ("Je suis citoyenne US", ["US"]),
    ("My husband and I are French", ["FR"]),
    ("I have dual citizenship, Italy and Brazil", ["IT", "BR"]),
])
def test_the_lead_saying_where_they_are_from_is_read(text: str, codes: list[str]) -> None:
    assert citizenships(text) == codes


@pytest.mark.parametrize("text", [
    # a place the lead came back from or travelled to
    "Hi! I'm 27 and just got back from Australia after a working holiday there.",
    "I returned from Japan last month",
    "I travelled to Thailand and I loved it",
    "Je viens de rentrer de France",
    # a relative's country
    "j'ai 31 ans. Mon mari vient du Maroc…",
    "I have PR. My wife is from Brazil and wants to work.",
    "My husband comes from Morocco",
    "Mon mari, originaire du Maroc, travaille à Montréal",
    "My wife is a Brazilian citizen",
    "My husband has a UK passport",
    "Je suis mariée à un homme du Maroc",
    # the people an employer wants to hire
    "Nous voulons recruter deux développeurs web, idéalement de France ou de Belgique.",
    "We want to recruit two nurses from the Philippines",
    "We are looking to hire Filipino caregivers",
    "We are a company from France",
    # "us" the pronoun, and "US" not tied to a citizenship
    "Please send us passport copies",
    "Let us know what you need",
    "Can you tell us citizenship requirements?",
    "I visited a US national park",
    "I worked in the US for two years",
    "I'm a big fan of Japan",
])
def test_a_country_that_is_not_the_leads_own_is_not_read(text: str) -> None:
    assert citizenships(text) == []


def test_a_us_citizen_married_to_a_brazilian_is_read_as_american_only() -> None:
    text = "I am a US citizen married to a woman from Brazil. I have a job offer as a civil engineer in Calgary"
    assert citizenships(text) == ["US"]
    result = classify(LeadInput(messages=[text], today=TODAY))
    assert result.message_citizenships == ["US"]
    assert result.primary_stream == "free-trade-professional"


def test_someone_elses_nationality_in_the_leads_sentence_is_left_out() -> None:
    result = classify(LeadInput(messages=["I'm Irish and my wife is French, I have a British passport"],
                                today=TODAY))
    assert result.message_citizenships == ["IE", "GB"]


def test_a_lead_back_from_a_working_holiday_is_not_read_as_from_that_country() -> None:
    result = classify(LeadInput(messages=["Hi! I'm 27 and just got back from Australia after a working holiday "
                                          "there. Now I'd love to do the same in Canada."], today=TODAY))
    assert result.message_citizenships == []
    assert result.primary_stream != "iec-working-holiday"


def test_a_lead_whose_husband_comes_from_morocco_is_not_read_as_moroccan() -> None:
    result = classify(LeadInput(messages=["j'ai 31 ans. Mon mari vient du Maroc et nous voulons travailler au "
                                          "Canada."], language="fr", today=TODAY))
    assert result.message_citizenships == []


def test_an_employer_naming_where_it_would_recruit_gets_no_citizenship() -> None:
    result = classify(LeadInput(messages=["Nous sommes une entreprise au Québec et nous voulons recruter deux "
                                          "développeurs web, idéalement de France ou de Belgique."],
                                language="fr", today=TODAY))
    assert result.lead_type == "employer" and result.message_citizenships == []


def test_a_uk_citizen_is_read_and_routed_to_iec() -> None:
    result = classify(LeadInput(messages=["I'm a UK citizen, 26, and I'd like a working holiday in Canada."],
                                today=TODAY))
    assert result.message_citizenships == ["GB"]
    assert result.primary_stream == "iec-working-holiday"
