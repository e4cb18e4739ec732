"""The corpus of realistic leads: each gets the primary stream and flags a consultant would expect."""

from __future__ import annotations

from typing import Any

import pytest

from crm.classify.classifier import classify
from crm.classify.ruleset import STREAM_SLUGS, load_ruleset
from tests.classify.corpus import lead_input, load_corpus

TODAY, LEADS = load_corpus()


@pytest.mark.parametrize("spec", LEADS, ids=[lead["id"] for lead in LEADS])
def test_corpus_lead(spec: dict[str, Any]) -> None:
    # Given a lead from the corpus
    expect = spec["expect"]
    # When it is classified on the corpus's fixed day
    result = classify(lead_input(spec["input"], TODAY))
    # Then the primary stream and the exact flags are the expected ones
    assert result.primary_stream == expect["primary"], [c.as_dict() for c in result.candidates]
    assert sorted(result.flags) == sorted(expect["flags"])
    assert 0 <= result.score <= 100
    if "lead_type" in expect:
        assert result.lead_type == expect["lead_type"]
    if expect["primary"] == "needs-review" and "spam" in expect["flags"]:
        assert result.candidates == [] and result.score == 0  # spam is never classified
        return
    primary = result.candidates[0]
    assert primary.stream == result.primary_stream
    if "code" in expect:
        assert primary.exemption_code == expect["code"]
    if "verdict" in expect:
        assert primary.verdict == expect["verdict"]
    if "confidence" in expect:
        assert primary.confidence == expect["confidence"]
    everything = " ".join(reason for c in result.candidates for reason in c.reasons)
    if "reason" in expect:
        assert expect["reason"] in everything
    if "missing" in expect:
        assert expect["missing"].casefold() in " ".join(primary.missing).casefold()
    if "not_verdict" in expect:
        assert all(c.verdict != expect["not_verdict"] for c in result.candidates if c.stream.startswith("iec"))
    if expect.get("reason_lang") == "fr":
        assert "Citoyen" in everything or "citoyen" in everything


def test_corpus_is_large_and_covers_every_slug_and_partner() -> None:
    assert len(LEADS) >= 80
    primaries = {lead["expect"]["primary"] for lead in LEADS}
    assert primaries == set(STREAM_SLUGS), set(STREAM_SLUGS) - primaries
    mentioned = {code for lead in LEADS for code in lead["input"].get("citizenships") or []}
    from crm.countries import lookup_country

    for lead in LEADS:
        for typed in lead["input"].get("typed_citizenships") or []:
            match = lookup_country(typed)
            if match:
                mentioned.add(match.code)
    assert set(load_ruleset().countries) <= mentioned


def test_every_candidate_has_the_contract_shape() -> None:
    for spec in LEADS:
        for candidate in classify(lead_input(spec["input"], TODAY)).candidates_json():
            assert {"stream", "exemption_code", "verdict", "reasons", "missing"} <= set(candidate)
            assert candidate["stream"] in STREAM_SLUGS
            assert candidate["verdict"] in ("eligible", "likely", "needs_info", "ineligible")
