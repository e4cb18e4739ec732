"""An employer with a Canadian branch, subsidiary, parent or affiliate moving its own staff there is offered the
intra-company transfer (RCIC trial: "We're a UK company with a subsidiary in Montreal and want to send two engineers
there" was read as a worker with nothing to offer)."""

from __future__ import annotations

from datetime import date

import pytest

from crm.classify.classifier import classify
from crm.classify.model import LeadInput

TODAY = date(2026, 3, 15)


@pytest.mark.parametrize(("message", "language"), [
    ("We're a UK company with a subsidiary in Montreal and want to send two engineers there.", "en"),
    ("We are a US firm with an affiliate in Vancouver; we'd like to transfer our project manager.", "en"),
    ("Our German parent company wants to move three of our staff to our Canadian branch in Calgary.", "en"),
    ("Nous sommes une société française avec une filiale à Montréal et nous voulons y envoyer deux ingénieurs.",
     "fr"),
    ("Notre groupe a une succursale au Québec et souhaite détacher trois techniciens.", "fr"),
])
def test_an_employer_moving_its_staff_to_its_canadian_entity_sees_the_transfer(message: str, language: str) -> None:
    result = classify(LeadInput(messages=[message], language=language, today=TODAY))
    assert result.lead_type == "employer", result.candidates_json()
    ict = next(c for c in result.candidates if c.stream == "intra-company-transferee")
    assert ict.verdict == "likely" and ict.missing
    assert result.primary_stream == "intra-company-transferee"  # what it asked about, not a hire


def test_an_employer_hiring_keeps_global_talent_first() -> None:
    result = classify(LeadInput(today=TODAY, messages=[
        "We want to hire two developers and also move one of our engineers to our Toronto office."]))
    assert result.lead_type == "employer" and result.primary_stream == "global-talent-stream"
    assert any(c.stream == "intra-company-transferee" for c in result.candidates)


@pytest.mark.parametrize("message", [
    "Our company sent my husband to its office in Toronto.",
    "We moved to Toronto last year and my employer has a branch in Montreal.",
    "I want to send my CV to your office in Toronto.",
    "We have an office in Paris and I want to work in Canada.",
])
def test_no_staff_moved_to_a_canadian_entity_is_no_employer_transfer(message: str) -> None:
    result = classify(LeadInput(messages=[message], today=TODAY))
    assert all(s["kind"] != "staff_transfer" for s in result.signals)
    assert result.lead_type != "employer"
