"""A candidate's reasons ("why it looks like a fit", also quoted to the lead by the emails) are things the
lead told us, never a description of how the route works (that is the stream's description)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from crm.classify.classifier import add_texts, classify
from crm.classify.model import LeadInput
from crm.classify.ruleset import load_ruleset
from tests.classify.corpus import lead_input, load_corpus

TODAY = date(2026, 3, 15)
# An Italian civil engineer with a job offer in Quebec (the form's "Qué." is stored as QC by intake)
ENGINEER = LeadInput(citizenships=["IT"], date_of_birth=date(1988, 3, 2), today=TODAY,
                     facts={"job_offer": True, "job_offer_province": "QC", "occupation": "Civil engineer"})
DESCRIPTIONS = ("The employer applies for an LMIA through the Global Talent Stream",
                "Employers can hire young citizens of IEC partner countries as Young Professionals")


def test_the_civil_engineer_is_told_only_what_they_told_us() -> None:
    result = classify(ENGINEER)
    # Civil engineers (NOC 21300) are on the Global Talent Occupations List (imp-facts.md section 3), and no
    # rule in the facts keeps a Quebec job out of the stream: still the primary.
    assert result.primary_stream == "global-talent-stream"
    gts = result.candidates[0]
    assert gts.reasons == ["Occupation “Civil engineer” is on the Global Talent Occupations List",
                           "Has a Canadian job offer in Quebec"]
    # The employer's LMIA is not known from the lead: something to confirm, not a reason
    assert gts.missing == ["Whether the employer will apply for an LMIA through the Global Talent Stream"]
    assert gts.verdict == "likely" and "+5 no missing facts" not in result.score_reasons


def test_in_french_too() -> None:
    french = classify(replace(ENGINEER, language="fr"))
    assert french.candidates[0].reasons == [
        "La profession « Civil engineer » figure sur la liste des professions du Volet des talents mondiaux",
        "A une offre d'emploi au Canada : Québec"]
    assert french.candidates[0].missing == ["Si l'employeur demandera une EIMT par le Volet des talents mondiaux"]
    english = classify(ENGINEER)
    add_texts(english, ENGINEER)
    assert english.candidates[0].texts["fr"]["reasons"] == french.candidates[0].reasons


def test_no_candidate_of_any_corpus_lead_gives_a_route_description_as_a_reason() -> None:
    today, leads = load_corpus()
    descriptions = {text for stream in load_ruleset().streams for text in stream.description.values()}
    for spec in leads:
        for candidate in classify(lead_input(spec["input"], today)).candidates:
            for reason in candidate.reasons:
                assert reason not in DESCRIPTIONS and reason not in descriptions, (spec["id"], reason)
    employer = classify(LeadInput(facts={"interest": "hire"}, today=TODAY))
    young_professionals = next(c for c in employer.candidates if c.stream == "iec-young-professionals")
    assert young_professionals.reasons == []
    assert young_professionals.missing == ["The candidates' citizenship and age"]
