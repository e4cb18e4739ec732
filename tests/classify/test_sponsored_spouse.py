"""A Canadian citizen or permanent resident asking about their spouse (consultant trial: "I am a Canadian citizen and
want to bring my wife" sat in the needs-review tab with only "Canadian citizen: no work permit needed", nothing to ask
and no stream). The lead needs no permit; the spouse does, and that is what the inquiry is about: the lead's stream is
the spouse's open work permit (sponsorship, ruleset `sponsored_spouse`: A74), with what to ask. The flag that sends
the acknowledgement instead of a permit sale stays."""

from __future__ import annotations

from datetime import date

import pytest

from crm.classify.classifier import add_texts, classify
from crm.classify.model import LeadInput
from crm.classify.ruleset import load_ruleset, validate_data
from crm.config import Settings
from crm.db import Database
from crm.models import Lead
from crm.sequences import preview
from tests.email.helpers import T0, classified_inquiry, enrolments

TODAY = date(2026, 3, 15)


@pytest.mark.parametrize(("message", "language", "citizenships", "status", "quote"), [
    ("I am a Canadian citizen and want to bring my wife", "en", [], "citizen", "bring my wife"),
    ("I'm Canadian. My wife is from Brazil, can she work here?", "en", [], "citizen", "can she work"),
    ("I want to sponsor my husband, he is Nigerian", "en", ["CA"], "citizen", "sponsor my husband"),
    ("I'm a permanent resident of Canada. My husband would like to work here too.", "en", ["IN"],
     "permanent-resident", "My husband would like to work"),
    ("Je suis canadienne et je voudrais faire venir mon mari.", "fr", [], "citizen", "faire venir mon mari"),
    ("Je suis résidente permanente au Canada depuis 2021. Mon mari voudrait travailler ici.", "fr", [],
     "permanent-resident", "Mon mari voudrait travailler"),
])
def test_a_sponsor_asking_about_a_spouse_is_on_the_spouses_stream(message: str, language: str,
                                                                  citizenships: list[str], status: str,
                                                                  quote: str) -> None:
    rs = load_ruleset()
    lead = LeadInput(citizenships=citizenships, messages=[message], language=language, today=TODAY)
    result = classify(lead)
    assert result.primary_stream == "spousal-open-work-permit", result.candidates_json()
    assert "needs-review" not in result.flags and "no-permit-needed" in result.flags
    [spouse] = result.candidates
    assert (spouse.exemption_code, spouse.verdict) == ("A74", "likely")
    assert (spouse.confidence, spouse.source) == (rs.sponsored_spouse_confidence, rs.sponsored_spouse_source)
    assert spouse.no_permit == status  # the acknowledgement speaks to the lead's own status
    assert any(quote in reason for reason in spouse.reasons)
    assert len(spouse.missing) == 3 and spouse.for_consultant  # what to ask; the route, for the consultant
    add_texts(result, lead)
    other = "fr" if language == "en" else "en"
    assert len(spouse.texts[other]["missing"]) == 3


@pytest.mark.parametrize("message", [
    "I am a Canadian citizen, do I need a permit?",
    "I'm Canadian and my friend's wife wants to come",  # someone else's spouse
    "I am a permanent resident of Canada and my wife is Brazilian.",  # said, not asked about
    "I'm a Canadian citizen. My brother is from Brazil, can he work here?",  # a relative, not a spouse
])
def test_anything_else_stays_a_review_or_the_leads_own(message: str) -> None:
    result = classify(LeadInput(messages=[message], today=TODAY))
    assert result.primary_stream != "spousal-open-work-permit" or "no-permit-needed" not in result.flags
    assert all(c.exemption_code != "A74" for c in result.candidates)


def test_a_canadian_employer_is_still_an_employer() -> None:
    result = classify(LeadInput(citizenships=["CA"], facts={"interest": "hire"}, today=TODAY,
                                messages=["We want to hire a welder and I want to bring my wife too."]))
    assert result.lead_type == "employer" and all(c.exemption_code != "A74" for c in result.candidates)


def test_the_rule_is_data_with_a_source() -> None:
    rs = load_ruleset()
    assert rs.sponsored_spouse_code == "A74" and rs.sponsored_spouse_confidence == "official"
    assert rs.sponsored_spouse_source.startswith("https://www.canada.ca/")
    bad = {"version": "x", "effective_date": TODAY, "sponsored_spouse": {"exemption_code": "spouse",
                                                                         "confidence": "sure", "source": "nowhere"}}
    problems = validate_data(bad)
    assert any(p.startswith("sponsored_spouse: exemption_code") for p in problems)
    assert any(p.startswith("sponsored_spouse: confidence") for p in problems)


@pytest.mark.parametrize(("message", "says"), [
    ("I am a Canadian citizen and want to bring my wife", "A Canadian citizen does not need a work permit"),
    ("I'm a permanent resident of Canada. My husband would like to work here too.",
     "A permanent resident of Canada does not need a work permit"),
])
def test_the_sponsor_still_gets_the_acknowledgement_for_their_status(db: Database, settings: Settings,
                                                                      message: str, says: str) -> None:
    lead_id = classified_inquiry(db, first_name="Emma", email="emma.sponsor@example.ca", age=34, message=message)
    with db.session() as session:
        lead = session.get(Lead, lead_id)
        assert lead is not None and lead.primary_stream == "spousal-open-work-permit"
        first = preview(session, lead, 0, settings=settings, now=T0)[0]
    assert [e.sequence for e in enrolments(db, lead_id)] == ["no-permit-needed"]
    assert first.template == "answer-no-permit"
    assert says in " ".join(first.text.split())


@pytest.mark.parametrize(("message", "language", "quote"), [
    # RCIC trial: the spouse of a Canadian or of a permanent resident heard nothing of sponsorship
    ("My wife is a permanent resident of Canada and I am in Vietnam. Can I get a work permit?", "en",
     "My wife is a permanent resident of Canada"),
    ("My husband is a Canadian citizen and we live in Bogota. Can I work in Canada?", "en",
     "My husband is a Canadian citizen"),
    ("I'm married to a Canadian and want to work while we wait", "en", "I'm married to a Canadian"),
    ("Mon mari est citoyen canadien et je vis au Maroc.", "fr", "Mon mari est citoyen canadien"),
])
def test_the_spouse_of_a_canadian_or_pr_is_asked_about_sponsorship(message: str, language: str, quote: str) -> None:
    result = classify(LeadInput(citizenships=["CO"], messages=[message], language=language, today=TODAY))
    assert "no-permit-needed" not in result.flags
    spouse = next(c for c in result.candidates if c.stream == "spousal-open-work-permit")
    assert (spouse.exemption_code, spouse.verdict) == ("A74", "needs_info")
    assert any(quote in reason for reason in spouse.reasons) and len(spouse.missing) == 2


def test_a_pr_spouse_on_the_form_is_a_sponsorship_question_beside_the_leads_own_routes() -> None:
    result = classify(LeadInput(citizenships=["FR"], date_of_birth=date(1999, 1, 1), today=TODAY,
                                facts={"spouse_status_in_canada": "permanent_resident"}))
    assert result.primary_stream == "iec-working-holiday"
    spouse = next(c for c in result.candidates if c.stream == "spousal-open-work-permit")
    assert spouse.exemption_code == "A74" and "Spouse is a permanent resident of Canada" in spouse.reasons


@pytest.mark.parametrize("message", ["My friend's wife is a Canadian citizen", "My wife is a Canadian employer",
                                     "My wife is Canadian company owner's daughter"])
def test_someone_elses_spouse_or_a_company_is_no_sponsor(message: str) -> None:
    result = classify(LeadInput(citizenships=["CO"], messages=[message], today=TODAY))
    assert all(c.exemption_code != "A74" for c in result.candidates)


def test_what_a_sponsored_lead_is_asked_reads_to_the_lead() -> None:
    # The review email quotes the missing items to the lead: none may call them "the lead"
    lead = LeadInput(citizenships=["VN"], messages=["My wife is a permanent resident of Canada. Can I work?"],
                     today=TODAY)
    result = classify(lead)
    add_texts(result, lead)
    for candidate in result.candidates:
        texts = [*candidate.missing, *candidate.texts.get("fr", {}).get("missing", [])]
        assert not [item for item in texts if "the lead" in item or "la personne" in item]


def test_a_common_law_partner_counts_as_the_family_asked_about() -> None:
    # RCIC trial: "my common-law partner" scored 15 less than "my wife" (the acknowledgement promised a reply to both)
    partner = classify(LeadInput(messages=["I'm a Canadian citizen and my common-law partner from Kenya wants to join "
                                           "me in Toronto."], today=TODAY))
    wife = classify(LeadInput(messages=["I'm a Canadian citizen and my wife from Kenya wants to join me in Toronto."],
                              today=TODAY))
    assert partner.primary_stream == wife.primary_stream == "spousal-open-work-permit"
    assert partner.score == wife.score
    assert any("my common-law partner" in reason for reason in partner.score_reasons)


@pytest.mark.parametrize(("message", "language", "quote"), [
    ("I am a Canadian citizen and want to bring my girlfriend from Brazil", "en", "bring my girlfriend"),
    ("I'm a permanent resident of Canada. My boyfriend would like to work here too.", "en",
     "My boyfriend would like to work"),
    ("Je suis canadienne et je voudrais faire venir ma copine.", "fr", "faire venir ma copine"),
    ("Je suis résident permanent au Canada. Mon copain voudrait travailler ici.", "fr", "Mon copain voudrait"),
    ("Je suis canadien et ma petite amie souhaite venir travailler.", "fr", "ma petite amie souhaite venir"),
])
def test_a_sponsor_asking_about_a_girlfriend_or_boyfriend_is_asked_how_long_they_lived_together(
        message: str, language: str, quote: str) -> None:
    """A girlfriend or boyfriend is a common-law partner (a spouse for these routes) after 12 months of living
    together: the spouse's stream, a question rather than a review (RCIC trial: these stayed in review)."""
    lead = LeadInput(messages=[message], language=language, today=TODAY)
    result = classify(lead)
    assert result.primary_stream == "spousal-open-work-permit", result.candidates_json()
    assert "needs-review" not in result.flags and "no-permit-needed" in result.flags
    [partner] = result.candidates
    assert (partner.exemption_code, partner.verdict) == ("A74", "needs_info")
    assert any(quote in reason for reason in partner.reasons)
    assert "12 months" in partner.missing[0] or "12 mois" in partner.missing[0]
    add_texts(result, lead)
    other = "fr" if language == "en" else "en"
    assert "12 m" in partner.texts[other]["missing"][0]


@pytest.mark.parametrize("message", [
    "I am a Canadian citizen and want to bring my common-law partner",
    "Je suis canadien et je voudrais faire venir mon conjoint de fait.",
])
def test_a_common_law_partner_is_a_spouse(message: str) -> None:
    result = classify(LeadInput(messages=[message], today=TODAY))
    [partner] = result.candidates
    assert (partner.stream, partner.verdict) == ("spousal-open-work-permit", "likely")
    assert not any("12" in item for item in partner.missing)


def test_a_lead_whose_boyfriend_is_canadian_is_asked_about_living_together() -> None:
    result = classify(LeadInput(citizenships=["CO"], messages=["My boyfriend is a Canadian citizen, can I work there?"],
                                today=TODAY))
    [partner] = [c for c in result.candidates if c.exemption_code == "A74"]
    assert partner.verdict == "needs_info" and "12 months" in partner.missing[0]


@pytest.mark.parametrize("message", [
    "I'm Canadian and my friend's girlfriend wants to come",
    "Je suis canadienne. La copine de mon frère voudrait venir travailler.",
    # a partner or a "copain" who is no spouse
    "I am a Canadian citizen and my business partner wants to come work here.",
    "I'm a permanent resident of Canada and my research partner would like to join our lab.",
    "Je suis canadienne et mon copain de classe voudrait venir travailler.",
])
def test_someone_elses_girlfriend_is_not_the_leads_partner(message: str) -> None:
    result = classify(LeadInput(messages=[message], today=TODAY))
    assert result.primary_stream == "needs-review"
    assert all(c.exemption_code != "A74" for c in result.candidates)


@pytest.mark.parametrize("message", [
    "My business partner works in Toronto and I want to join him there.",
    "My research partner is studying at McGill; I'd like to work in Montreal.",
    "Our senior partner has a work permit in Vancouver and I want to work there too.",
])
def test_a_partner_in_business_or_research_who_works_or_studies_in_canada_is_no_spouse(message: str) -> None:
    result = classify(LeadInput(citizenships=["IE"], stated_age=27, messages=[message], today=TODAY))
    assert all(s["kind"] not in ("spouse_worker", "spouse_student") for s in result.signals)
    assert result.primary_stream != "spousal-open-work-permit"


def test_a_partner_who_works_in_canada_is_still_read() -> None:
    message = "My partner works in Toronto on a work permit."
    result = classify(LeadInput(citizenships=["IE"], stated_age=27, messages=[message], today=TODAY))
    assert any(s["kind"] == "spouse_worker" for s in result.signals)


@pytest.mark.parametrize(("citizenships", "message", "language"), [
    # RCIC trial: a Colombian whose husband is Canadian got the Recognized Organization route first
    (["CO"], "I'm Colombian, 29, and my husband is Canadian. What are my options to work in Canada?", "en"),
    (["CO"], "My husband is a Canadian citizen and we live in Bogota. Can I work in Canada?", "en"),
    (["FR"], "Ma femme est résidente permanente au Canada. J'ai 27 ans, est-ce que je peux travailler là-bas ?", "fr"),
    (["MX"], "I'm 30 and married to a Canadian citizen, what visa can I get?", "en"),
])
def test_a_canadian_spouse_in_the_message_puts_sponsorship_first(citizenships: list[str], message: str,
                                                                 language: str) -> None:
    # the spousal stream with A74: its emails speak of the sponsored spouse's permit (tests/email/test_sponsored_spouse)
    result = classify(LeadInput(citizenships=citizenships, messages=[message], language=language, today=TODAY))
    assert result.primary_stream == "spousal-open-work-permit", result.candidates_json()
    assert result.candidates[0].exemption_code == "A74" and "needs-review" not in result.flags


@pytest.mark.parametrize(("citizenships", "message", "stronger"), [
    (["CO"], "My husband is Canadian and I have a job offer from a company in Toronto as a welder.", None),
    (["IN"], "My wife is a Canadian citizen. I graduated from Seneca College in Toronto last year.",
     "post-graduation-work-permit"),
    (["IN"], "My wife is a Canadian citizen. My employer Infosys wants to transfer me to their Toronto office; "
             "I've been with them for 5 years.", "intra-company-transferee"),
])
def test_what_the_lead_states_of_their_own_still_comes_first(citizenships: list[str], message: str,
                                                             stronger: str | None) -> None:
    result = classify(LeadInput(citizenships=citizenships, messages=[message], today=TODAY))
    assert result.candidates[0].stream != "spousal-open-work-permit", result.candidates_json()
    if stronger is not None:
        assert result.primary_stream == stronger
    assert any(c.exemption_code == "A74" for c in result.candidates)


def test_a_pr_spouse_only_on_the_form_leaves_the_ranking_alone() -> None:
    result = classify(LeadInput(citizenships=["CO"], date_of_birth=date(1996, 1, 1), today=TODAY,
                                facts={"spouse_status_in_canada": "permanent_resident"}))
    assert result.primary_stream == "iec-recognized-organization"


@pytest.mark.parametrize("message", ["I'm not married to a Canadian, can I still come?",
                                     "I'm getting married to a Canadian citizen next year"])
def test_no_canadian_spouse_yet_is_no_sponsorship(message: str) -> None:
    result = classify(LeadInput(citizenships=["CO"], messages=[message], today=TODAY))
    assert all(c.exemption_code != "A74" for c in result.candidates)
