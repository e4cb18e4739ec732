"""Another person's situation is not the lead's (RCIC trial): a parent writing that a daughter graduated from a college
in Toronto was offered a post-graduation work permit of their own. Studies, an age, a PR application, a transfer, a
business, a talent or a trade said of a relative, a friend or an employee ("my son", "mon fils", "he", "my
employee") stay that person's; the lead's own words in the same message still count."""

from __future__ import annotations

from datetime import date

import pytest

from crm.classify.classifier import classify
from crm.classify.model import LeadInput
from crm.classify.ruleset import load_ruleset
from crm.classify.signals import read_message

TODAY = date(2026, 3, 15)


def _kinds(message: str) -> dict[str, object]:
    rs = load_ruleset()
    programs = tuple((program.key, program.words) for program in rs.pr_programs)
    return {s.kind: s.value for s in read_message(message, rs.gts_keywords, programs)}


@pytest.mark.parametrize(("message", "kind"), [
    ("My daughter graduated from a college in Toronto and I want to know about work permits", "studied_in_canada"),
    ("My son finished his diploma at Seneca College last year", "studied_in_canada"),
    ("Mon fils a étudié à Montréal et je voudrais savoir comment le rejoindre", "studied_in_canada"),
    ("Ma fille est diplômée de l'UQAM", "studied_in_canada"),
    ("I have a son who graduated from Humber", "studied_in_canada"),
    ("My daughter is studying in Toronto, can I visit her?", "studying_in_canada"),
    ("My daughter is 24 years old", "age"),
    ("My husband applied for PR through Express Entry and I want to know my options", "pr_pending"),
    ("Mon mari a déposé une demande de résidence permanente", "pr_pending"),
    ("My brother was transferred to the Canadian office of his company", "transfer"),
    ("My son is an award-winning chef", "exceptional"),
    ("My cousin is a business owner in Ontario", "owns_business"),
    ("My daughter is a French speaker", "french_speaker"),
    ("My son needs an internship", "student"),
    ("My employee finished his degree at McGill", "studied_in_canada"),
    ("He graduated from Conestoga College in 2024", "studied_in_canada"),
    ("My friend's husband works in Toronto", "spouse_worker"),
    ("My husband is a software engineer and I want to come with him", "tech"),
])
def test_a_relatives_situation_is_not_read_as_the_leads(message: str, kind: str) -> None:
    assert kind not in _kinds(message)


@pytest.mark.parametrize(("message", "kind"), [
    ("My daughter was born in 2010 and I graduated from Seneca College in 2025", "studied_in_canada"),
    ("My husband and I applied for PR through Express Entry", "pr_pending"),
    ("I'm 29, my wife is 31 years old", "age"),
    ("My boss wants to transfer me to our Toronto office", "transfer"),
    ("I'm a partner in a small firm and I graduated from McGill", "studied_in_canada"),
    ("My wife is studying in Toronto and I have a job offer there", "spouse_student"),
    ("My husband works in Calgary as an engineer", "spouse_worker"),
    ("Je suis une femme ingénieure logiciel", "tech"),
    ("J'ai étudié à Montréal avec mon frère", "studied_in_canada"),
])
def test_the_leads_own_situation_is_still_read(message: str, kind: str) -> None:
    assert kind in _kinds(message)


def test_the_leads_age_is_read_not_the_relatives() -> None:
    assert _kinds("My daughter is 24 years old and I am 52")["age"] == 52


@pytest.mark.parametrize(("message", "language"), [
    ("My daughter graduated from a college in Toronto and I want to know about work permits", "en"),
    ("My son has a job offer in Calgary. Can I come too?", "en"),
    ("Mon fils a étudié à Montréal et je voudrais savoir comment le rejoindre", "fr"),
])
def test_a_parent_asking_about_a_child_is_offered_no_permit_of_the_childs(message: str, language: str) -> None:
    result = classify(LeadInput(citizenships=["IN"], stated_age=55, stated_age_on=TODAY, language=language,
                                messages=[message], today=TODAY))
    streams = {c.stream for c in result.candidates if c.viable}
    assert not streams & {"post-graduation-work-permit", "significant-benefit", "bridging-open-work-permit"}
    assert result.primary_stream == "needs-review"
