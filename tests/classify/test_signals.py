"""Free-text signals in English and French, quoting the person's own words."""

from __future__ import annotations

import pytest

from crm.classify.ruleset import load_ruleset
from crm.classify.signals import normalise, read_message


def signals(text: str) -> dict[str, tuple[object, str]]:
    found: dict[str, tuple[object, str]] = {}
    for signal in read_message(text, load_ruleset().gts_keywords):
        found.setdefault(signal.kind, (signal.value, signal.quote))
    return found


@pytest.mark.parametrize(("text", "kind", "value", "quote"), [
    ("I'm 27 and Irish", "age", 27, "I'm 27"),
    ("I'm 27 and Irish", "citizenship", "IE", "I'm 27 and Irish"),
    ("Bonjour, je suis française", "citizenship", "FR", "Bonjour, je suis française"),
    ("J'ai 31 ans", "age", 31, "J'ai 31 ans"),
    ("I own a restaurant", "owns_business", True, "I own a restaurant"),
    ("My husband works in Toronto", "spouse_worker", True, "husband works"),
    ("My husband works in Toronto", "province", "ON", "Toronto"),
    ("we want to hire two developers", "hire", 2, "we want to hire"),
    ("we want to hire two developers", "tech", "developers", "developers"),
    ("Ma femme étudie à McGill", "spouse_student", True, "femme étudie"),
    ("I have a British passport", "citizenship", "GB", "I have a British passport"),
    ("I live in Spain but I am from Mexico", "residence", "ES", "I live in Spain"),
    ("I don't have a job offer yet", "job_offer", False, "have a job offer"),
    ("Nous avons une offre d'emploi à Halifax", "job_offer", True, "offre d'emploi"),
    ("Je suis français, 29 ans, offre d emploi à Moncton", "age", 29, "français, 29 ans"),
    ("Je suis français, 29 ans, offre d emploi à Moncton", "job_offer", True, "offre d emploi"),
    ("Je suis français, 29 ans, offre d emploi à Moncton", "province", "NB", "Moncton"),
    ("Française et 27 ans", "age", 27, "et 27 ans"),
    ("J'ai une offre demploi au Manitoba", "job_offer", True, "offre demploi"),
    ("Hi, I am a 31 year old Australian nurse", "citizenship", "AU", "31 year old Australian"),
    ("I am German and 35, turning 36 in March", "age", 35, "I am German and 35"),
    ("I'm Irish, 27.", "age", 27, "I'm Irish, 27"),
    ("Je suis une infirmière de 30 ans, marocaine", "age", 30, "Je suis une infirmière de 30 ans"),
    ("We are a tech startup in Toronto and want to hire three engineers", "hire", 3,
     "We are a tech startup in Toronto and want to hire"),
    ("I graduated from Seneca College last month", "studied_in_canada", True, "graduated from Seneca"),
    ("I'm a 26 year old Indian graduate of Humber College", "studied_in_canada", True, "graduate of Humber"),
    ("I am a Seneca graduate looking for work", "studied_in_canada", True, "Seneca graduate"),
    ("J'ai terminé mes études à Concordia", "studied_in_canada", True, "terminé mes études à Concordia"),
    ("I'm a 29-year-old French chef", "age", 29, "29-year-old"),
    ("I'm a Mexican engineer", "citizenship", "MX", "I'm a Mexican"),
    ("We run a farm and need seasonal workers", "hire", None, "We run a farm and need seasonal workers"),
    ("Nous avons besoin de soudeurs pour notre usine", "hire", None, "Nous avons besoin de soudeurs"),
    ("They want to transfer me to our Toronto office", "transfer", True, "transfer me to our Toronto office"),
    ("une offre d'emploi au Nouveau-Brunswick", "province", "NB", "Nouveau-Brunswick"),
])
def test_signal(text: str, kind: str, value: object, quote: str) -> None:
    assert signals(text)[kind] == (value, quote)


@pytest.mark.parametrize("text", ["I speak French fluently", "I am fluent in French", "I teach Spanish",
                                  "We work with a German company", "I'm a French speaker", "I'm a Spanish tutor",
                                  "I am an Italian teacher", "I am a Japanese translator"])
def test_languages_are_not_nationalities(text: str) -> None:
    assert "citizenship" not in signals(text)


@pytest.mark.parametrize("text", ["We want to hire three engineers from India",
                                  "Nous voulons recruter des cuisiniers du Mexique",
                                  "I am a nurse. My husband is Brazilian and works in Toronto"])
def test_other_peoples_countries_are_not_the_leads_citizenship(text: str) -> None:
    assert "citizenship" not in signals(text)


def test_a_count_of_years_closing_a_clause_is_not_an_age_unless_it_is_about_the_person() -> None:
    assert "age" not in signals("I am a nurse and 10 years of experience")
    assert "age" not in signals("I am a welder with experience in 12 countries")


def test_ages_outside_plausible_range_are_ignored_and_experience_is_not_age() -> None:
    assert "age" not in signals("I have 10 years of experience and 3 kids")
    assert "age" not in signals("J'ai travaillé 12 ans dans la restauration")
    for text in ("Bonjour, 15 ans d'expérience en cuisine", "Cuisinier, 20 ans de métier",
                 "Infirmière, 18 ans en soins intensifs", "Soudeur, 25 ans chez Airbus", "Depuis 16 ans au Québec"):
        assert "age" not in signals(text), text


@pytest.mark.parametrize("text", [
    "I am a graduate of University of Mumbai and want to work in Canada",
    "I am a graduate student in Toronto",
])
def test_a_graduate_of_a_school_abroad_did_not_study_in_canada(text: str) -> None:
    assert "studied_in_canada" not in signals(text)


def test_normalise_keeps_positions() -> None:
    text = "Je suis Française, j’ai 29 ans — Œuvre"
    assert len(normalise(text)) == len(text)
    assert normalise(text).startswith("je suis francaise, j'ai 29 ans")


def test_every_reason_has_a_french_translation() -> None:
    """Every English phrase the classifier passes to t() has an entry in classify.fr.yaml."""
    import ast
    from pathlib import Path

    import yaml

    import crm.classify

    catalog = yaml.safe_load((Path(crm.classify.__file__).parent.parent / "data" / "i18n" / "classify.fr.yaml")
                             .read_text(encoding="utf-8"))
    missing = []
    for path in Path(crm.classify.__file__).parent.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            called_t = isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(node.func, "id", None)) == "t"
            if called_t and node.args and isinstance(node.args[0], ast.Constant) \
                    and isinstance(node.args[0].value, str) and node.args[0].value not in catalog:
                missing.append(node.args[0].value)
    assert missing == []


@pytest.mark.parametrize(("text", "quote"), [
    # RCIC trial: a French employer writing in the third person or in the singular was a worker without citizenship
    ("Notre entreprise de construction à Sudbury cherche des soudeurs francophones, comment les faire venir ?",
     "Notre entreprise de construction à Sudbury cherche des soudeurs"),
    ("Notre restaurant cherche un cuisinier", "Notre restaurant cherche un cuisinier"),
    ("Notre clinique a besoin d'une infirmière", "Notre clinique a besoin d'une infirmière"),
    ("Je cherche des travailleurs pour ma ferme", "Je cherche des travailleurs"),
])
def test_a_french_employer_looking_for_staff_is_read(text: str, quote: str) -> None:
    assert signals(text)["hire"] == (None, quote)


@pytest.mark.parametrize("text", ["Je suis infirmière et je cherche un emploi", "Je cherche un employeur au Canada",
                                  "Mon mari cherche des employés", "Nous cherchons un emploi au Canada"])
def test_a_french_worker_looking_for_a_job_is_no_employer(text: str) -> None:
    assert "hire" not in signals(text)


@pytest.mark.parametrize(("text", "age", "quote"), [
    # RCIC trial: "turning 36 next week" left the age unread, so the lead who ages out of IEC in days was neither
    # flagged nor urgent
    ("I'm Irish, turning 36 next week, is it too late for a working holiday?", 35, "I'm Irish, turning 36"),
    ("I'm a nurse and I turn 31 in May", 30, "I turn 31"),
    ("I'll be 30 in May", 29, "I'll be 30"),
    ("J'aurai 31 ans en mars, je suis belge", 30, "J'aurai 31 ans"),
    ("I'm 35 and turning 36 in June", 35, "I'm 35"),  # the age itself wins
])
def test_an_age_said_as_the_next_birthday_is_a_year_less(text: str, age: int, quote: str) -> None:
    assert signals(text)["age"] == (age, quote)


@pytest.mark.parametrize("text", ["My son is turning 18 next month", "Our startup is turning 15 this year",
                                  "I'll be 25 years in the industry", "I'll be in Toronto on 12 May"])
def test_a_next_birthday_not_the_leads_is_no_age(text: str) -> None:
    assert "age" not in signals(text)


def test_a_lead_turning_36_next_week_is_flagged_as_ageing_out() -> None:
    from datetime import date

    from crm.classify.classifier import classify
    from crm.classify.model import LeadInput

    today = date(2026, 11, 27)
    result = classify(LeadInput(messages=["I'm Irish, turning 36 next week, is it too late for a working holiday?"],
                                message_dates=[today], today=today))
    assert result.primary_stream == "iec-working-holiday" and "age-out-soon" in result.flags
