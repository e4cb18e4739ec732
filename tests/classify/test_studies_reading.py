"""Studies in Canada read from a message (RCIC review): the post-graduation work permit is likely only for a
lead who has finished or is finishing studies in Canada. Naming the permit ("Will I get a PGWP?") or studying
there now keeps it as a question (needs_info, asking about the studies); studies abroad followed by "a Canadian
work permit" are no studies in Canada."""

from __future__ import annotations

from datetime import date

import pytest

from crm.classify.classifier import classify
from crm.classify.model import LeadInput

TODAY = date(2026, 3, 15)


def _pgwp(message: str) -> str | None:
    result = classify(LeadInput(citizenships=["NG"], stated_age=26, stated_age_on=TODAY, today=TODAY,
                                messages=[message]))
    found = [c for c in result.candidates if c.stream == "post-graduation-work-permit"]
    return found[0].verdict if found else None


@pytest.mark.parametrize("message", [
    "I graduated from Seneca College last month", "I'm finishing my diploma at Humber in April and want to stay",
    "I studied at the University of Toronto", "I finished my masters in Canada",
    "J'ai étudié à Montréal et je cherche un emploi",
])
def test_studies_finished_in_canada_make_the_pgwp_likely(message: str) -> None:
    assert _pgwp(message) == "likely"


@pytest.mark.parametrize("message", [
    "I plan to study in Canada. Will I be able to get a PGWP after I graduate?",
    "I'm studying in Toronto, first year of a 2-year diploma", "J'étudie à Montréal en première année",
    "I am an international student at Conestoga",
])
def test_naming_the_permit_or_studying_now_asks_about_the_studies(message: str) -> None:
    result = classify(LeadInput(citizenships=["NG"], stated_age=26, stated_age_on=TODAY, today=TODAY,
                                messages=[message]))
    pgwp = next(c for c in result.candidates if c.stream == "post-graduation-work-permit")
    assert pgwp.verdict == "needs_info"
    assert "Studies in Canada: the school, and whether they are finished" in pgwp.missing
    assert result.primary_stream != "post-graduation-work-permit"


@pytest.mark.parametrize("message", [
    "I studied in India and want a Canadian work permit", "I studied in Lagos, and now I want to work in Toronto",
    "My wife is studying in Toronto",
])
def test_studies_elsewhere_or_someone_elses_offer_no_pgwp(message: str) -> None:
    assert _pgwp(message) is None


def test_the_form_answer_no_is_not_overridden_by_a_pgwp_question() -> None:
    result = classify(LeadInput(citizenships=["NG"], stated_age=26, stated_age_on=TODAY, today=TODAY,
                                facts={"studied_in_canada": False}, messages=["Can I get a PGWP?"]))
    assert not any(c.stream == "post-graduation-work-permit" for c in result.candidates)


@pytest.mark.parametrize("message", [
    "I graduated from a private non-subsidized college in Montreal, not PGWP-eligible I think",
    "I graduated from Humber but I am not eligible for a PGWP",
    "J'ai terminé mes études dans un collège privé non subventionné à Montréal",
])
def test_the_leads_own_doubt_about_the_program_makes_the_pgwp_a_question(message: str) -> None:
    assert _pgwp(message) == "needs_info"


@pytest.mark.parametrize("message", [
    "I graduated from the University of Lagos in 2018 before moving to Quebec",
    "I studied nursing in the Philippines for four years then worked in Ontario",
    "I completed 3 years of work experience in Toronto", "I finished my contract with a company in Vancouver",
    "My husband has a PGWP and I want to work",
])
def test_studies_abroad_work_in_canada_and_someone_elses_pgwp_are_no_studies_here(message: str) -> None:
    assert _pgwp(message) is None


@pytest.mark.parametrize("message", ["I completed my diploma at Humber", "I finished my master's in Canada"])
def test_a_finished_program_in_canada_is_read(message: str) -> None:
    assert _pgwp(message) == "likely"


@pytest.mark.parametrize("message", [
    "I graduated from Humber, a public college, not a private college",
    "J'ai étudié dans un collège privé subventionné à Montréal",
])
def test_a_subsidised_or_denied_private_college_is_no_doubt(message: str) -> None:
    assert _pgwp(message) == "likely"


@pytest.mark.parametrize("message", [
    # RCIC trial: the French for "I finished my master's at Laval" was not read, the English was
    "J'ai terminé ma maîtrise à l'Université Laval en août et je voudrais rester travailler au Québec.",
    "J'ai obtenu mon DEC au Cégep de Sainte-Foy", "J'ai fini mon baccalauréat à Montréal",
])
def test_a_program_finished_in_canada_is_read_in_french(message: str) -> None:
    assert _pgwp(message) == "likely"


@pytest.mark.parametrize("message", [
    "J'ai terminé mon master en France et je veux travailler à Montréal", "Ma fille a terminé sa maîtrise à McGill",
])
def test_a_program_finished_abroad_or_by_a_relative_is_not_read_in_french(message: str) -> None:
    assert _pgwp(message) is None
