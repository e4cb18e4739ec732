"""Whatever a lead holds, the classifier answers (never raises) with a well-formed result."""

from __future__ import annotations

from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st

from crm.classify.classifier import classify
from crm.classify.model import LeadInput
from crm.classify.ruleset import STREAM_SLUGS

CODES = st.sampled_from(["FR", "IE", "JP", "LU", "MX", "UY", "UA", "US", "IN", "CH", "GB", "XX", "", "fr"])
VALUES = st.one_of(st.none(), st.booleans(), st.integers(-5, 200), st.floats(allow_nan=True), st.text(max_size=30))
FACT_NAMES = ["interest", "job_offer", "job_offer_province", "french_ability", "occupation", "noc_code",
              "years_with_employer", "employer_has_canadian_office", "owns_business", "enrolled_in_post_secondary",
              "studied_in_canada", "spouse_status_in_canada", "pr_application_pending"]
WORDS = st.sampled_from(["I'm", "27", "Irish", "je", "suis", "française", "hire", "we", "want", "to", "two",
                         "developers", "husband", "works", "in", "Toronto", "own", "a", "restaurant", "j'ai", "ans",
                         "offre", "d'emploi", "Québec", "PR", "applied", "for", "no", "job", "offer", "graduated",
                         "Canada", "passport", "British", "99", "12", "’", "\u0000", "ß", "İ"])


@settings(max_examples=400, deadline=None)
@given(
    citizenships=st.lists(CODES, max_size=4), residence=st.one_of(st.none(), CODES),
    born=st.one_of(st.none(), st.dates(date(1890, 1, 1), date(2030, 12, 31))),
    stated=st.one_of(st.none(), st.integers(0, 130)), stated_on=st.one_of(st.none(), st.dates(date(2000, 1, 1))),
    facts=st.dictionaries(st.sampled_from(FACT_NAMES), VALUES, max_size=6),
    messages=st.lists(st.lists(WORDS, max_size=25).map(" ".join), max_size=3),
    unknown=st.lists(st.text(max_size=20), max_size=2), language=st.sampled_from(["en", "fr", "de", ""]),
    spam=st.booleans(),
)
def test_the_classifier_never_raises(citizenships: list[str], residence: str | None, born: date | None,
                                     stated: int | None, stated_on: date | None, facts: dict[str, object],
                                     messages: list[str], unknown: list[str], language: str, spam: bool) -> None:
    result = classify(LeadInput(
        citizenships=citizenships, country_of_residence=residence, date_of_birth=born, stated_age=stated,
        stated_age_on=stated_on, facts=facts, unknown_countries=unknown, messages=messages, language=language,
        today=date(2026, 3, 15), is_spam=spam,
    ))
    assert result.primary_stream in STREAM_SLUGS
    assert 0 <= result.score <= 100
    assert result.lead_type in ("worker", "employer", "entrepreneur")
    if spam:
        assert result.flags == ["spam"] and result.candidates == []
    else:
        assert result.candidates and result.candidates[0].stream == result.primary_stream
        for candidate in result.candidates:
            assert candidate.stream in STREAM_SLUGS
            assert candidate.verdict in ("eligible", "likely", "needs_info", "ineligible")
