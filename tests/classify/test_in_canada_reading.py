"""What a lead in Canada says about the permit held and the PR application (a lead/consultant trial): a PGWP held
is not offered again (it is issued once), the PR program named and the permit's expiry date stated are not asked
again, and a permit expiring within the ruleset's window ranks the lead like an IEC age-out. A lead who needs no
permit but asks about a relative was promised a personal reply: the score says so. Precision before recall."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
import yaml

from crm.classify.classifier import FAMILY_POINTS, add_texts, classify
from crm.classify.model import LeadInput
from crm.classify.ruleset import RULESET_FILE, load_ruleset, validate_ruleset
from crm.classify.signals import read_message, relative_mentioned

TODAY = date(2026, 11, 26)
TRIAL = ("I am on a PGWP that expires on February 14, 2027. I applied for PR through Express Entry (CEC) in "
         "October. I graduated from Seneca")
TRIAL_FR = ("J'ai un PTPD qui expire le 14 février 2027. J'ai déposé ma demande de résidence permanente dans le cadre "
            "de l'Entrée express. J'ai terminé mes études à Concordia.")


def _programs() -> tuple[tuple[str, tuple[str, ...]], ...]:
    return tuple((program.key, program.words) for program in load_ruleset().pr_programs)


def _read(text: str, kind: str) -> tuple[object, str] | None:
    found = [(s.value, s.quote) for s in read_message(text, (), _programs()) if s.kind == kind]
    return found[0] if found else None


def _lead(message: str, language: str = "en", today: date = TODAY, **facts: object) -> LeadInput:
    return LeadInput(citizenships=["IN"], country_of_residence="CA", messages=[message], language=language,
                     today=today, facts={"interest": "work", **facts})


@pytest.mark.parametrize(("text", "quote"), [
    ("I am on a PGWP that expires soon", "I am on a PGWP"),
    ("I'm currently on a post-graduation work permit.", "I'm currently on a post-graduation work permit"),
    ("My PGWP expires in March.", "My PGWP"),
    ("I had a PGWP after my diploma, now I have a closed permit", "I had a PGWP"),
    ("I have already used my PGWP", "I have already used my PGWP"),
    ("J'ai un PTPD qui expire bientôt", "J'ai un PTPD"),
    ("Mon permis de travail postdiplôme se termine en mai", "Mon permis de travail postdiplôme"),
    ("Je suis titulaire d'un PTPD", "Je suis titulaire d'un PTPD"),
])
def test_a_pgwp_held_is_read_in_the_first_person(text: str, quote: str) -> None:
    assert _read(text, "pgwp_held") == (True, quote)


@pytest.mark.parametrize("text", [
    "I want to apply for a PGWP after I graduate", "Am I eligible for a PGWP?", "My PGWP application is pending",
    "My PGWP was refused last month", "My wife is on a PGWP", "My husband's PGWP expires in May",
    "I don't have a PGWP", "I am not on a PGWP", "I have a PGWP question", "Mon mari a un PTPD",
    "Ma demande de PTPD est en attente", "What is a PGWP-eligible program?",
])
def test_a_pgwp_not_held_by_the_lead_is_not_read(text: str) -> None:
    assert _read(text, "pgwp_held") is None


@pytest.mark.parametrize(("text", "day", "quote"), [
    ("I am on a PGWP that expires on February 14, 2027.", date(2027, 2, 14), "PGWP that expires on February 14, 2027"),
    ("My work permit expires on 14 Feb 2027", date(2027, 2, 14), "work permit expires on 14 Feb 2027"),
    ("my permit is valid until 2027-01-31", date(2027, 1, 31), "permit is valid until 2027-01-31"),
    ("My permit expires 28/02/2027", date(2027, 2, 28), "permit expires 28/02/2027"),
    ("Mon PTPD expire le 1er mars 2027.", date(2027, 3, 1), "PTPD expire le 1er mars 2027"),
    ("J'ai un permis de travail qui prend fin le 3 janvier 2027", date(2027, 1, 3),
     "permis de travail qui prend fin le 3 janvier 2027"),
])
def test_the_permit_expiry_date_is_read_with_the_leads_own_permit(text: str, day: date, quote: str) -> None:
    assert _read(text, "permit_expiry") == (day.isoformat(), quote)


@pytest.mark.parametrize("text", [
    "My wife's permit expires on March 3, 2027", "Her work permit expires on March 3, 2027",
    "The permit expires on March 3, 2027",  # whose? nobody says
    "My permit expires 03/04/2027",  # March or April
    "My permit expires on March 3",  # no year
    "Mon mari a un permis qui expire le 3 mars 2027",
])
def test_an_expiry_date_not_clearly_the_leads_is_not_read(text: str) -> None:
    assert _read(text, "permit_expiry") is None


@pytest.mark.parametrize(("text", "programs", "quote"), [
    ("I applied for PR through Express Entry (CEC) in October.", ("express-entry", "canadian-experience-class"),
     "Express Entry (CEC)"),
    ("My PNP application was submitted in May", ("provincial-nominee",), "PNP"),
    ("J'ai déposé ma demande de RP dans le cadre du PEQ", ("quebec-skilled-worker",), "PEQ"),
    ("I applied for PR under the Atlantic Immigration Program", ("atlantic-immigration",), "Atlantic Immigration"),
])
def test_the_pr_program_is_read_with_an_application_made(text: str, programs: tuple[str, ...], quote: str) -> None:
    assert _read(text, "pr_program") == (programs, quote)


@pytest.mark.parametrize("text", [
    "I have an Express Entry profile and I'm waiting for an ITA.", "I plan to apply through PNP next year.",
    "I am eligible for CEC", "Express Entry draws are slow",
])
def test_a_program_not_applied_to_is_not_read(text: str) -> None:
    assert _read(text, "pr_program") is None


@pytest.mark.parametrize(("message", "language", "program", "pgwp_note"), [
    (TRIAL, "en", "PR program: Express Entry, Canadian Experience Class (the message says “Express Entry (CEC)”)",
     "Holds or held a post-graduation work permit (the message says “I am on a PGWP”): it is issued once, so it is "
     "not offered again"),
    (TRIAL_FR, "fr", "Programme de résidence permanente : Entrée express (le message indique « l'Entrée express »)",
     "Détient ou a détenu un permis de travail postdiplôme (le message indique « J'ai un PTPD ») : il n'est délivré "
     "qu'une fois, il n'est donc pas proposé de nouveau"),
])
def test_the_trial_lead_is_not_offered_a_second_pgwp_nor_asked_what_she_said(
        message: str, language: str, program: str, pgwp_note: str) -> None:
    result = classify(_lead(message, language))
    assert result.primary_stream == "bridging-open-work-permit"
    assert "post-graduation-work-permit" not in [c.stream for c in result.candidates]
    bridging = result.candidates[0]
    assert bridging.missing == []  # the PR program and the permit's expiry date were both in the message
    assert program in bridging.reasons
    assert any("February 14, 2027" in r or "14 février 2027" in r for r in bridging.reasons)
    # the PGWP rule is the consultant's: the emails that quote reasons to the lead leave it out
    assert pgwp_note in bridging.for_consultant


def test_a_graduate_who_never_held_a_pgwp_is_still_offered_one() -> None:
    result = classify(_lead("I applied for PR through Express Entry. I graduated from Seneca in 2024."))
    assert "post-graduation-work-permit" in [c.stream for c in result.candidates]
    assert result.candidates[0].missing == ["Current work permit expiry date"]


def test_an_economic_program_the_bridging_instructions_do_not_list_goes_to_a_consultant() -> None:
    result = classify(_lead("I applied for PR through AIP last year."))
    bridging = next(c for c in result.candidates if c.stream == "bridging-open-work-permit")
    assert bridging.verdict == "needs_info"
    assert "PR program (it must be an economic class)" not in bridging.missing
    assert any("Atlantic Immigration Program: an economic program the bridging permit's instructions do not list"
               in note for note in bridging.for_consultant)


def test_a_permit_expiring_within_the_window_ranks_like_an_age_out() -> None:
    assert load_ruleset().permit_expiry_warning_months == 4
    soon = classify(_lead(TRIAL))  # 2027-02-14 is within four months of 2026-11-26
    later = classify(_lead(TRIAL, today=date(2026, 6, 1)))
    assert "permit-expires-soon" in soon.flags and "permit-expires-soon" not in later.flags
    assert "+25 current work permit expires on 2027-02-14, within 4 months" in soon.score_reasons
    assert soon.score - later.score == 25
    assert "The current work permit expires on 2027-02-14: apply before then" in soon.candidates[0].for_consultant
    lapsed = classify(_lead(TRIAL, today=date(2027, 3, 1)))
    assert "+25 current work permit expired on 2027-02-14" in lapsed.score_reasons


def test_the_expiry_score_reason_in_french() -> None:
    lead = _lead(TRIAL)
    result = classify(lead)
    add_texts(result, lead)
    assert "+25 permis de travail actuel expirant le 2027-02-14, d'ici 4 mois" in \
        result.candidates[0].texts["fr"]["score_reasons"]


@pytest.mark.parametrize(("message", "language", "reason"), [
    # (a spouse is the inquiry's own route: tests/classify/test_sponsored_spouse.py)
    ("I'm a Canadian citizen. My brother is from Brazil, can he work here?", "en",
     "+15 asks about a family member (“My brother”): the acknowledgement promised a personal reply"),
    ("Je suis canadienne. Mon frère est brésilien, peut-il travailler ici ?", "fr",
     "+15 pose une question sur un proche (« Mon frère ») : l'accusé de réception a promis une réponse personnelle"),
])
def test_a_lead_needing_no_permit_who_asks_about_a_relative_does_not_sink(message: str, language: str,
                                                                         reason: str) -> None:
    lead = LeadInput(messages=[message], language=language, today=TODAY)
    result = classify(lead)
    assert "no-permit-needed" in result.flags
    assert reason in result.score_reasons
    ordinary_review = classify(LeadInput(messages=["Hello, I would like some information."], today=TODAY))
    assert ordinary_review.primary_stream == "needs-review"
    assert result.score > ordinary_review.score and result.score == 20 + FAMILY_POINTS
    own = classify(LeadInput(messages=["I'm a Canadian citizen, do I need a permit?"], today=TODAY))
    assert own.score == 20 and not any("family" in r for r in own.score_reasons)


@pytest.mark.parametrize(("text", "quote"), [("Hi, my brother wants to come", "my brother"),
                                              ("Ma sœur aimerait travailler", "Ma sœur"), ("I want to work", None)])
def test_a_relative_is_read_with_a_possessive(text: str, quote: str | None) -> None:
    assert relative_mentioned(text) == quote


def test_the_new_rules_are_data_with_sources(tmp_path: Path) -> None:
    ruleset = load_ruleset()
    assert ruleset.pgwp_once and ruleset.pgwp_once_source.startswith("https://www.canada.ca/")
    assert ruleset.bridging_source.startswith("https://www.canada.ca/")
    assert {p.key for p in ruleset.pr_programs if p.bridging} >= {"express-entry", "canadian-experience-class",
                                                                    "provincial-nominee"}
    data = yaml.safe_load(RULESET_FILE.read_text(encoding="utf-8"))
    data["bridging"]["expiry_warning_months"] = 0
    data["bridging"]["programs"]["express-entry"]["bridging"] = "yes"
    path = tmp_path / "ruleset.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    problems = validate_ruleset(path)
    assert "bridging: expiry_warning_months must be a positive whole number" in problems
    assert "bridging.programs.express-entry: bridging must be true or false" in problems


@pytest.mark.parametrize("text", [
    "How do I apply for my PGWP?", "I am waiting for my PGWP", "When can I get my PGWP?",
    "I submitted my PGWP application last week", "Je voudrais obtenir mon PTPD", "J'attends mon PTPD",
])
def test_a_pgwp_still_to_get_is_not_one_held(text: str) -> None:
    assert _read(text, "pgwp_held") is None


def test_a_graduate_asking_how_to_apply_for_the_pgwp_is_offered_it() -> None:
    # RCIC trial: "my PGWP" was read as a permit held, so the fresh graduate was never offered one (issued once)
    result = classify(_lead("I graduated from Fanshawe College in August, 2-year diploma. How do I apply for my "
                            "PGWP?"))
    assert result.primary_stream == "post-graduation-work-permit"
    assert not any("issued once" in reason for c in result.candidates for reason in c.reasons)
