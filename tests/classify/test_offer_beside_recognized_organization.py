"""A non-partner citizen with a Canadian job offer and no exemption that fits sees the LMIA fallback beside the
Recognized Organization route (RCIC review: the RO candidate, 'likely', hid 'otherwise an LMIA is needed')."""

from __future__ import annotations

from datetime import date

from crm.classify.classifier import classify
from crm.classify.model import LeadInput

TODAY = date(2026, 3, 15)


def test_the_lmia_fallback_stands_beside_a_recognized_organization() -> None:
    result = classify(LeadInput(citizenships=["CM"], date_of_birth=date(1996, 5, 1), today=TODAY,
                                facts={"job_offer": True, "job_offer_province": "QC", "french_ability": "native"}))
    streams = {c.stream: c for c in result.candidates}
    assert "iec-recognized-organization" in streams
    fallback = streams["significant-benefit"]
    assert fallback.verdict == "needs_info"
    assert "Has a job offer but no specific exemption fits; otherwise an LMIA is needed" in fallback.reasons


def test_no_fallback_when_a_real_exemption_fits() -> None:
    result = classify(LeadInput(citizenships=["CM"], date_of_birth=date(1996, 5, 1), today=TODAY,
                                facts={"job_offer": True, "job_offer_province": "NB", "french_ability": "native"}))
    assert result.primary_stream == "francophone-mobility"
    assert "significant-benefit" not in {c.stream for c in result.candidates}
