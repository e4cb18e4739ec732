"""A lead who runs, owns or founded a business and wants to open in Canada is an entrepreneur (RCIC trial: "I'm
British and run a small marketing agency ... want to open an office in Toronto" was read as a worker)."""

from __future__ import annotations

from datetime import date

import pytest

from crm.classify.classifier import classify
from crm.classify.model import LeadInput

TODAY = date(2026, 3, 15)


@pytest.mark.parametrize(("message", "language", "quote"), [
    ("I'm British and run a small marketing agency in Manchester, we want to open an office in Toronto.", "en",
     "I'm British and run a small marketing agency"),
    ("I own a software consultancy in Lyon and want to open a branch in Montreal.", "en",
     "I own a software consultancy"),
    ("I am 34 and own a bakery in Lisbon; I'd like to open one in Halifax.", "en", "I am 34 and own a bakery"),
    ("J'ai fondé une entreprise de logiciels et je souhaite m'implanter au Canada.", "fr",
     "J'ai fondé une entreprise"),
    ("Je suis britannique et dirige une agence de communication, nous voulons ouvrir un bureau à Toronto.", "fr",
     "Je suis britannique et dirige une agence"),
    ("Je suis à la tête d'une entreprise de transport et je veux m'installer au Québec.", "fr",
     "Je suis à la tête d'une entreprise"),
])
def test_a_business_owner_opening_in_canada_is_an_entrepreneur(message: str, language: str, quote: str) -> None:
    result = classify(LeadInput(messages=[message], language=language, today=TODAY))
    assert result.lead_type == "entrepreneur", result.candidates_json()
    assert result.primary_stream == "entrepreneur"
    assert any(s["kind"] == "owns_business" and s["quote"] == quote for s in result.signals)


@pytest.mark.parametrize("message", [
    "I'm Irish and run marathons, I want to work in Canada.",
    "I run the marketing team at a bank and want to work in Toronto.",
    "I am a nurse and work at a clinic in Dublin.",
    "My father runs a company in Lagos and I want to study in Canada.",
    "Je suis infirmière et je travaille dans une clinique.",
    "I have a company car and a company phone, and I want to work in Vancouver.",
    "I have a business visa for the US and want to work in Canada.",
    "We have a business trip to Toronto next month; I want to work there afterwards.",
    "I have a business degree and want to work in Montreal.",
])
def test_running_something_else_or_someone_elses_business_is_not_ownership(message: str) -> None:
    result = classify(LeadInput(messages=[message], today=TODAY))
    assert result.lead_type == "worker"
    assert all(s["kind"] != "owns_business" for s in result.signals)
