"""A lead who ages out of IEC sooner than the steps after an invitation take (10 days to accept, then 20 to
submit; ruleset iec.invitation_steps) can only apply in time with an invitation already received: asked, and at
most `likely` (RCIC review: a Chilean turning 36 tomorrow was 'eligible')."""

from __future__ import annotations

from datetime import date

import pytest

from crm.classify.classifier import classify
from crm.classify.model import LeadInput

TODAY = date(2026, 3, 15)
QUESTION = "Whether an IEC invitation has already been received (the steps after one take up to 30 days)"


@pytest.mark.parametrize(("born", "verdict", "asked"), [
    (date(1990, 3, 16), "likely", True),   # turns 36 tomorrow
    (date(1990, 4, 14), "likely", True),   # in 30 days
    (date(1990, 4, 15), "eligible", False),  # in 31 days
    (date(1990, 9, 1), "eligible", False),
])
def test_too_close_to_the_limit_for_a_new_invitation(born: date, verdict: str, asked: bool) -> None:
    result = classify(LeadInput(citizenships=["CL"], date_of_birth=born, today=TODAY))
    holiday = next(c for c in result.candidates if c.stream == "iec-working-holiday")
    assert holiday.verdict == verdict
    assert (QUESTION in holiday.missing) is asked
    assert "age-out-soon" in result.flags
