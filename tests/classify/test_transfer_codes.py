"""Intra-company transfer codes (RCIC review and its code review): T37/T38 for U.S. and Mexican citizens moving to
an existing Canadian employer, C61 (no agreement reason) for a new office; C62's unconfirmed meaning is the code's
confidence whatever the verdict; a short tenure is said in whole months; the code rules are validated."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml

from crm.classify.classifier import classify
from crm.classify.model import LeadInput
from crm.classify.ruleset import RULESET_FILE, validate_ruleset

TODAY = date(2026, 3, 15)


def _transfer(citizenship: str, **facts: Any) -> Any:
    result = classify(LeadInput(citizenships=[citizenship], stated_age=40, stated_age_on=TODAY, today=TODAY,
                                facts=facts))
    return next(c for c in result.candidates if c.stream == "intra-company-transferee")


@pytest.mark.parametrize(("citizenship", "occupation", "code"), [
    ("US", "Engineering manager", "T37"), ("US", "Firmware engineer", "T38"), ("MX", "Director", "T37"),
    ("IN", "Firmware engineer", "C63"),
])
def test_codes_for_an_existing_canadian_office(citizenship: str, occupation: str, code: str) -> None:
    candidate = _transfer(citizenship, occupation=occupation, years_with_employer=3, employer_has_canadian_office=True)
    assert candidate.exemption_code == code


def test_a_new_office_is_c61_without_an_agreement_reason() -> None:
    candidate = _transfer("US", occupation="CEO", years_with_employer=3, employer_has_canadian_office=False)
    assert candidate.exemption_code == "C61"
    assert not any("CUSMA" in reason for reason in candidate.reasons)


def test_c62_is_unconfirmed_even_while_information_is_missing() -> None:
    candidate = _transfer("IN", occupation="Director", years_with_employer=3)
    assert (candidate.exemption_code, candidate.verdict, candidate.confidence) == ("C62", "needs_info", "unconfirmed")


@pytest.mark.parametrize(("years", "said"), [(0.96, "has 11 months"), (0.09, "has 1 month"), (0.5, "has 6 months")])
def test_a_short_tenure_is_said_in_whole_months(years: float, said: str) -> None:
    candidate = _transfer("IN", occupation="analyst", years_with_employer=years, employer_has_canadian_office=True)
    assert candidate.verdict == "ineligible"
    assert any(reason.endswith(said) for reason in candidate.reasons), candidate.reasons


@pytest.mark.parametrize(("stream", "key", "value", "problem"), [
    ("entrepreneur", "code_confidence", {"C11": {"confidence": "unconfirmed", "notes": "x"}}, "read only for"),
    ("intra-company-transferee", "code_confidence", ["C62"], "must be a mapping"),
    ("intra-company-transferee", "agreement_codes", ["cusma"], "must be a mapping"),
])
def test_code_rules_in_the_wrong_place_or_shape_are_problems(tmp_path: Path, stream: str, key: str, value: Any,
                                                             problem: str) -> None:
    data = yaml.safe_load(RULESET_FILE.read_text(encoding="utf-8"))
    data["streams"][stream][key] = value
    changed = tmp_path / "ruleset.yaml"
    changed.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    assert any(problem in line for line in validate_ruleset(changed))


def test_a_viable_transfer_scores_like_a_job_offer() -> None:
    """Consultant trial: a US manager transferred to his company's Toronto office ranked below weaker leads
    with a job offer (+10)."""
    result = classify(LeadInput(citizenships=["US"], stated_age=40, stated_age_on=TODAY, today=TODAY,
                                facts={"occupation": "Engineering manager", "years_with_employer": 3,
                                       "employer_has_canadian_office": True}))
    assert result.primary_stream == "intra-company-transferee"
    assert "+10 transfer to a Canadian office of the employer" in result.score_reasons


@pytest.mark.parametrize(("citizenship", "english", "french"), [("MX", "CUSMA", "ACEUM"), ("BE", "CETA", "AECG")])
def test_agreements_are_named_in_the_leads_language(citizenship: str, english: str, french: str) -> None:
    """Consultant trial: French pages said "l'accord CUSMA" / "l'accord CETA"."""
    for language, name in (("en", english), ("fr", french)):
        result = classify(LeadInput(citizenships=[citizenship], stated_age=40, stated_age_on=TODAY, today=TODAY,
                                    language=language, facts={"job_offer": True, "job_offer_province": "ON"}))
        trade = next(c for c in result.candidates if c.stream == "free-trade-professional")
        assert any(name in reason for reason in trade.reasons), trade.reasons
        assert not any((french if language == "en" else english) in reason for reason in trade.reasons)


@pytest.mark.parametrize("years", ["-INFINITY", "inf", float("inf"), float("-inf"), "nan"])
def test_years_with_the_employer_that_are_no_number_are_unknown(years: Any) -> None:
    # Found by tests/classify/test_fuzz.py: "-Infinity" in a stored fact made the classifier raise (OverflowError)
    result = classify(LeadInput(citizenships=["FR"], facts={"years_with_employer": years,
                                                             "employer_has_canadian_office": True},
                                today=date(2026, 3, 15)))
    transfer = next(c for c in result.candidates if c.stream == "intra-company-transferee")
    assert "Years with the employer" in transfer.missing


@pytest.mark.parametrize(("message", "language", "code", "verdict", "years"), [
    # RCIC trial: the office and the years were in the message, and both were asked again (needs-review)
    ("I'm an Indian software engineer, 6 years with Infosys, and they want to transfer me to their Canadian office.",
     "en", "C63", "likely", "6 years with Infosys"),
    ("I worked at Deloitte for 3 years. Now my employer wants to relocate me to the office in Canada.", "en", "C63",
     "likely", "worked at Deloitte for 3 years"),
    ("Je travaille chez Capgemini depuis 4 ans et mon employeur veut me muter au bureau de Montréal.", "fr", "C63",
     "likely", "chez Capgemini depuis 4 ans"),
    ("I've been with the company for 8 months and they want to transfer me to the Canadian office.", "en", "C63",
     "ineligible", "been with the company for 8 months"),
    ("My company wants to transfer me to open our new Canadian office; I have 2 years with them.", "en", "C61",
     "needs_info", "2 years with them"),
])
def test_the_office_and_the_years_are_read_from_a_transfer_message(message: str, language: str, code: str,
                                                                   verdict: str, years: str) -> None:
    result = classify(LeadInput(citizenships=["IN"], messages=[message], language=language, today=date(2026, 3, 15)))
    transfer = next(c for c in result.candidates if c.stream == "intra-company-transferee")
    assert (transfer.exemption_code, transfer.verdict) == (code, verdict)
    assert any(years in reason for reason in transfer.reasons)
    asked = {"Whether the employer has a Canadian office", "Years with the employer",
             "Si l'employeur a un bureau au Canada", "Années chez l'employeur"}
    assert not asked & set(transfer.missing), transfer.missing
    if verdict == "likely":
        assert result.primary_stream == "intra-company-transferee"


@pytest.mark.parametrize("message", [
    "My husband has 5 years with Shell and they want to transfer him to the Calgary office.",  # his transfer
    "I spent 4 years at university and my company wants to transfer me to our Toronto office.",  # not an employer
])
def test_years_that_are_not_the_leads_with_the_employer_are_still_asked(message: str) -> None:
    result = classify(LeadInput(citizenships=["IN"], messages=[message], today=date(2026, 3, 15)))
    transfer = next((c for c in result.candidates if c.stream == "intra-company-transferee"), None)
    assert transfer is None or "Years with the employer" in transfer.missing


def test_years_in_a_message_without_a_transfer_make_no_transfer() -> None:
    result = classify(LeadInput(citizenships=["IN"], messages=["I have 6 years with Infosys as a tester."],
                                today=date(2026, 3, 15)))
    assert all(c.stream != "intra-company-transferee" for c in result.candidates)
