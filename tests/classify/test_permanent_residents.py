"""A permanent resident of Canada needs no work permit either (IRPA s. 30(1) is about foreign nationals, and s. 2
says a permanent resident is not one): read from the message, in English and French, the lead's own status
only ("I want to get PR" is a plan, "my wife has PR" is someone else's), then classified like a Canadian citizen."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
import yaml

from crm.classify.classifier import add_texts, classify
from crm.classify.model import LeadInput
from crm.classify.ruleset import RULESET_FILE, RulesetError, load_ruleset, validate_ruleset
from crm.classify.signals import read_message

TODAY = date(2026, 3, 15)
REASON = {"en": "Permanent resident of Canada: no work permit needed",
          "fr": "Résidence permanente au Canada : aucun permis de travail n'est nécessaire"}


def _said(text: str) -> str | None:
    found = [signal.quote for signal in read_message(text) if signal.kind == "permanent_resident"]
    return found[0] if found else None


@pytest.mark.parametrize(("text", "quote"), [
    ("I am a permanent resident of Canada", "I am a permanent resident of Canada"),
    ("Hi! I'm a Canadian permanent resident living in Calgary.", "I'm a Canadian permanent resident"),
    ("I'm a permanent resident here in Toronto", "I'm a permanent resident"),
    ("I have been a permanent resident since 2019", "I have been a permanent resident"),
    ("I have PR", "I have PR"),
    ("I have PR. My wife is from Brazil and wants to work.", "I have PR"),
    ("I'm French and I have PR, my wife needs a permit", "I have PR"),
    ("I got my PR last year", "I got my PR"),
    ("I hold Canadian PR status", "I hold Canadian PR status"),
    ("I'm PR since 2020", "I'm PR"),
    ("I am a PR card holder", "I am a PR card holder"),
    ("I have my PR card", "I have my PR card"),
    ("I have permanent residence in Canada.", "I have permanent residence in Canada"),
    ("je suis résident permanent", "je suis résident permanent"),
    ("Bonjour, je suis résidente permanente au Québec depuis 2019", "je suis résidente permanente"),
    ("Je suis résidente permanente du Canada", "Je suis résidente permanente du Canada"),
    ("j'ai la résidence permanente", "j'ai la résidence permanente"),
    ("J'ai obtenu ma résidence permanente en 2022", "J'ai obtenu ma résidence permanente"),
    ("j'ai ma RP depuis 2021", "j'ai ma RP"),
    ("je suis titulaire de la carte de RP", "je suis titulaire de la carte de RP"),
    ("As a permanent resident, do I need a work permit?", "As a permanent resident"),
    ("Hi, as a PR, can my wife work here?", "as a PR"),
    ("As a permanent resident of Canada I want to bring my husband", "As a permanent resident of Canada"),
    ("Bonjour. En tant que résident permanent du Canada, ma femme peut-elle travailler ?",
     "En tant que résident permanent du Canada"),
    # said without "I've" spelled out, just obtained, or by a couple (review of the first version)
    ("I've got PR", "I've got PR"),
    ("I've got my permanent residence", "I've got my permanent residence"),
    ("I have got PR since 2021", "I have got PR"),
    ("I just got my PR", "I just got my PR"),
    ("I received my PR in March", "I received my PR"),
    ("I recently became a permanent resident", "I recently became a permanent resident"),
    ("I've been a PR for 3 years", "I've been a PR"),
    ("My husband and I are permanent residents", "My husband and I are permanent residents"),
    ("We are permanent residents and our daughter wants to work", "We are permanent residents"),
    ("Hi\nAs a PR do I need a permit to change jobs", "As a PR"),
    ("Hello,\nAs a permanent resident, can I work anywhere?", "As a permanent resident"),
    ("Je suis RP", "Je suis RP"),
    ("Bonjour, je suis RP depuis 2022.", "je suis RP"),
    ("En tant que RP, dois-je demander un permis ?", "En tant que RP"),
    ("Je suis devenue résidente permanente en 2020", "Je suis devenue résidente permanente"),
    ("Mon mari et moi sommes résidents permanents", "Mon mari et moi sommes résidents permanents"),
    ("J'ai la résidence permanente canadienne", "J'ai la résidence permanente"),
    # Canada named with the status: another country in the sentence is where the lead lives or comes from
    ("I am a permanent resident of Canada and a citizen of India", "I am a permanent resident of Canada"),
    ("I'm a Canadian PR living in Dubai for now", "I'm a Canadian PR"),
    # a province by its abbreviation, an employer after "work at" (misses of the first versions)
    ("I am a permanent resident in BC", "I am a permanent resident"),
    ("I'm a PR in B.C. and want to hire a cook", "I'm a PR"),
    ("Je suis résidente permanente en C.-B.", "Je suis résidente permanente"),
    ("Je suis résident permanent, je vis en C.-B.", "Je suis résident permanent"),
    ("Je suis RP, et j'habite en C.-B.", "Je suis RP"),
    ("I have PR and work at Shopify", "I have PR"),
    ("I have PR, working at Telus since 2021", "I have PR"),
])
def test_the_leads_own_permanent_residence_is_read_with_their_words(text: str, quote: str) -> None:
    assert _said(text) == quote


@pytest.mark.parametrize("text", [
    # a plan, a wish or a file, not a status held
    "I want to get PR", "I want to apply for permanent residence", "My goal is PR.", "my goal is PR",
    "I applied for PR last year", "I have a PR application pending", "my PR application is in process",
    "I am a permanent resident applicant", "I'm a PR applicant", "I would like to become a permanent resident",
    "I hope I have PR by 2027", "Once I have PR I will bring my wife",
    "If I am a permanent resident, do I need a permit?",
    "Je veux obtenir la résidence permanente", "J'ai fait une demande de résidence permanente",
    "je voudrais avoir la résidence permanente",
    # a denial
    "I am not a permanent resident", "I don't have PR yet", "Je ne suis pas résident permanent",
    # someone else's status
    "My husband is a permanent resident", "my wife is a PR card holder", "My husband has PR",
    "Mon mari a la résidence permanente", "mon mari est résident permanent", "ma femme a sa carte de RP",
    # another country's permanent residence
    "I'm a permanent resident of Germany", "I am a US permanent resident", "I'm a permanent resident in the UK",
    "I have PR in Australia", "I have a permanent residence permit in Spain", "je suis résidente permanente en France",
    "je suis résident permanent d'Australie",
    # public relations
    "I have PR experience in marketing", "I'm a PR manager", "I work in PR", "As a PR professional I need a visa",
    # "as a permanent resident" inside a question is about the status, not the lead's
    "Can I work as a permanent resident?", "What rights would I have as a permanent resident?",
    "Quels droits en tant que résident permanent ?", "As a permanent resident applicant, can I work?",
    "As a permanent resident of Germany, can I apply?",
    # no first-person subject: the status may be anyone's (review of the first version)
    "PR card holder", "Status: PR card holder, 34 years old", "titulaire de la carte de RP", "PR holder here",
    "I am the spouse of a PR card holder and need an open work permit",
    "What can a PR card holder do? I am a French student finishing my college program in Montreal",
    "Spouse of a PR holder here, can I get a work permit?", "My daughter, who is a PR holder, lives in Toronto",
    "My employer is a PR card holder", "Is a PR card holder allowed to sponsor?", "I am a PR holder's wife",
    "Mon mari, titulaire d'une carte de RP, m'a conseillé", "my wife, a PR card holder, and I",
    "My PR card holder husband",
    "My PR card expired", "ma carte de RP expire", "Husband is PR card holder, I need an open work permit",
    "I have a sponsor who is a PR card holder",
    # permanent residence of another country, wherever the place stands in the sentence
    "I have PR status in Singapore", "I have PR status in Singapore and want to work in Canada",
    "I have PR here in Dubai", "I have PR here in Dubai and a job offer in Toronto",
    "I have PR since 2018 in Australia", "I have PR now in the UK",
    "I am a PR holder in Australia", "I am a PR card holder in the UAE", "PR card holder of Singapore",
    "Singapore PR card holder", "I hold a Singapore PR card", "I am a Singapore PR card holder", "I'm an Australian PR",
    "I have a PR card from Australia", "I am a permanent resident living in Germany",
    "I am a permanent resident residing in Germany", "I am a permanent resident from Germany",
    "I am a permanent resident\nin Germany", "I am a permanent resident (Australia)", "I live in Sydney and I have PR",
    "je suis résident permanent à Dubaï", "je suis résident permanent à Dubaï et j'ai une offre d'emploi à Montréal",
    "je suis résident permanent dans l'UE", "ma carte de résident permanent de Belgique",
    "j'ai ma carte de résident permanent de Belgique", "je suis titulaire d'une carte de résident permanent en France",
    "J'ai la RP en France", "je suis RP aux Émirats",
    "I have PR and work at Bosch in Germany", "I have PR in NSW", "I have PR and work in Sydney",
    # a file or a plan, not a status held
    "I have PR status pending", "I have PR status application in progress", "I'm PR status pending",
    "I have PR card application submitted", "I am a PR card applicant", "I am a permanent resident hopeful",
    "I'm a permanent resident-to-be", "Je suis résident permanent en attente", "j'ai ma RP en cours de traitement",
    # a question, not a statement
    "I'm a permanent resident? not sure", "I have PR now? How do I check",
    # public relations
    "I'm a PR and communications specialist with 5 years experience, I'd like to work in Canada",
    "I have PR and marketing background; looking for working holiday", "I'm a PR, events and media coordinator",
    "Je suis RP dans une agence de communication",
])
def test_plans_denials_other_people_and_other_countries_are_not_read_as_permanent_residence(text: str) -> None:
    assert _said(text) is None


def test_a_canadian_pr_is_not_read_as_a_canadian_citizen() -> None:
    kinds = {signal.kind for signal in read_message("I'm a Canadian PR")}
    assert "permanent_resident" in kinds and "canadian_citizen" not in kinds


@pytest.mark.parametrize(("message", "lang", "quote"), [
    ("I am a permanent resident of Canada, 29, and my wife is Brazilian.", "en", "I am a permanent resident of Canada"),
    ("Hi, I have PR and I'm Irish, 27. Do I need a working holiday permit?", "en", "I have PR"),
    ("Je suis résidente permanente au Canada et française, 28 ans.", "fr", "Je suis résidente permanente au Canada"),
])
def test_a_permanent_resident_is_offered_no_work_permit(message: str, lang: str, quote: str) -> None:
    ruleset = load_ruleset()
    for form in ([], ["IE"]):  # even with an IEC partner citizenship on the form
        result = classify(LeadInput(citizenships=form, stated_age=28, stated_age_on=TODAY, messages=[message],
                                    language=lang, today=TODAY))
        assert result.primary_stream == "needs-review"
        assert [c.stream for c in result.candidates] == ["needs-review"], result.candidates_json()
        review = result.candidates[0]
        assert review.reasons[0] == REASON[lang]
        assert review.reasons[1] == ("The message says “{quote}”" if lang == "en"
                                     else "Le message indique « {quote} »").format(quote=quote)
        assert review.no_permit == "permanent-resident"
        assert (review.source, review.confidence) == (ruleset.no_permit_pr_source, ruleset.no_permit_pr_confidence)
        assert "no-permit-needed" in result.flags and "age-out-soon" not in result.flags


def test_a_canadian_citizen_who_also_mentions_pr_is_a_citizen() -> None:
    result = classify(LeadInput(citizenships=["CA"], messages=["I have PR too"], today=TODAY))
    assert result.candidates[0].no_permit == "citizen"
    assert result.candidates[0].reasons == ["Canadian citizen: no work permit needed"]


@pytest.mark.parametrize(("message", "stream"), [
    ("I'm Irish, 27, and my goal is PR in Canada.", "iec-working-holiday"),
    # the lead is not a PR; the husband's status makes sponsorship the subject, first before a working holiday
    ("I'm Irish, 27. My husband is a permanent resident of Canada.", "spousal-open-work-permit"),
    ("I'm Irish, 27, working in Toronto, and I applied for PR last month.", "bridging-open-work-permit"),
])
def test_wanting_pr_or_a_spouse_having_it_changes_nothing(message: str, stream: str) -> None:
    result = classify(LeadInput(messages=[message], today=TODAY, country_of_residence="CA"))
    assert result.primary_stream == stream, result.candidates_json()
    assert "no-permit-needed" not in result.flags


def test_a_permanent_resident_employer_is_classified_as_an_employer() -> None:
    result = classify(LeadInput(facts={"interest": "hire"}, today=TODAY,
                                messages=["I have PR and we want to hire two developers for our startup."]))
    assert result.lead_type == "employer" and "no-permit-needed" not in result.flags


def test_the_reason_is_translated_for_the_workspace() -> None:
    lead = LeadInput(messages=["I am a permanent resident of Canada"], today=TODAY)
    result = classify(lead)
    add_texts(result, lead)
    assert result.candidates[0].texts["fr"]["reasons"][0] == REASON["fr"]


def test_the_rule_is_data_with_its_own_source() -> None:
    ruleset = load_ruleset()
    assert ruleset.no_permit_permanent_residents is True
    assert ruleset.no_permit_pr_source == "https://laws.justice.gc.ca/eng/acts/i-2.5/section-30.html"
    assert ruleset.no_permit_pr_confidence == "official"
    # the version that brought the rule, or a later one
    assert tuple(int(part) for part in ruleset.version.split(".")) >= (2026, 2, 3)


def test_switched_off_in_the_ruleset_a_permanent_resident_is_classified_as_before(tmp_path: Path) -> None:
    data = yaml.safe_load(RULESET_FILE.read_text(encoding="utf-8"))
    data["no_work_permit_needed"]["permanent_residents"]["applies"] = False
    path = tmp_path / "ruleset.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    result = classify(LeadInput(citizenships=["IE"], stated_age=27, stated_age_on=TODAY, today=TODAY,
                                messages=["I have PR"]), load_ruleset(path))
    assert result.primary_stream == "iec-working-holiday" and "no-permit-needed" not in result.flags


def test_the_check_catches_a_rule_without_source_or_switch(tmp_path: Path) -> None:
    data = yaml.safe_load(RULESET_FILE.read_text(encoding="utf-8"))
    data["no_work_permit_needed"]["permanent_residents"] = {"applies": "yes", "confidence": "official"}
    path = tmp_path / "ruleset.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    problems = validate_ruleset(path)
    assert "no_work_permit_needed.permanent_residents: applies must be true or false" in problems
    assert any(p.startswith("no_work_permit_needed.permanent_residents: source") for p in problems)


@pytest.mark.parametrize("data", [{"no_work_permit_needed": {"permanent_residents": True}},
                                  {"no_work_permit_needed": True}])
def test_a_shorthand_rule_is_a_problem_not_a_crash(tmp_path: Path, data: dict[str, object]) -> None:
    ruleset = yaml.safe_load(RULESET_FILE.read_text(encoding="utf-8"))
    if data["no_work_permit_needed"] is True:
        ruleset["no_work_permit_needed"] = True
    else:
        ruleset["no_work_permit_needed"]["permanent_residents"] = True
    path = tmp_path / "ruleset.yaml"
    path.write_text(yaml.safe_dump(ruleset, allow_unicode=True), encoding="utf-8")
    problems = validate_ruleset(path)
    assert len(problems) == 1 and "must be a mapping" in problems[0], problems
    with pytest.raises(RulesetError, match="must be a mapping"):
        load_ruleset(path)


# The reviewer's end-to-end cases: a permanent residence of another country, someone else's card, public relations
# or a pending file leaves the lead with their work-permit routes and without the no-permit answer.
@pytest.mark.parametrize(("citizenship", "residence", "lang", "message", "expected"), [
    ("IE", "DE", "en", "I am a permanent resident living in Germany, Irish citizen, want to do a working holiday",
     "iec-working-holiday"),
    ("IN", "SG", "en", "I have PR status in Singapore and want to work in Canada as a software engineer.",
     "global-talent-stream"),
    ("IN", "AE", "en", "I have PR here in Dubai and a job offer in Toronto as a software developer.",
     "global-talent-stream"),
    ("FR", "AE", "fr", "Je suis résident permanent à Dubaï et j'ai une offre d'emploi à Montréal.",
     "iec-young-professionals"),
    ("IE", "IE", "en", "I'm a PR and communications specialist with 5 years experience, I'd like to work in Canada",
     "iec-working-holiday"),
    ("FR", "CA", "en", "What can a PR card holder do? I am a French student finishing my college program in Montreal",
     "post-graduation-work-permit"),
])
def test_a_permanent_residence_that_is_not_the_leads_own_in_canada_keeps_the_routes(
        citizenship: str, residence: str, lang: str, message: str, expected: str) -> None:
    result = classify(LeadInput(citizenships=[citizenship], country_of_residence=residence,
                                date_of_birth=date(1998, 1, 1), facts={"interest": "work", "job_offer": True},
                                messages=[message], language=lang, today=TODAY))
    assert "no-permit-needed" not in result.flags
    assert expected in [c.stream for c in result.candidates], result.candidates_json()
    assert all(c.no_permit is None for c in result.candidates)


def test_a_pending_pr_status_keeps_the_bridging_permit() -> None:
    result = classify(LeadInput(
        citizenships=["IN"], country_of_residence="CA", date_of_birth=date(1995, 1, 1), today=TODAY,
        facts={"interest": "work", "pr_application_pending": True},
        messages=["I work in Toronto on a work permit expiring in May and I have PR status pending through Express "
                  "Entry."]))
    assert result.primary_stream == "bridging-open-work-permit", result.candidates_json()
    assert "no-permit-needed" not in result.flags


@pytest.mark.parametrize(("facts", "message", "pending"), [
    ({"pr_application_pending": True}, "I am a permanent resident of Canada and I work in Toronto.",
     "Has applied for permanent residence"),
    ({}, "I have PR. I applied for PR through Express Entry and my work permit expires in May.",
     "The message says “applied for PR”"),
])
def test_pr_held_beside_a_pending_application_is_a_contradiction_that_keeps_the_routes(
        facts: dict[str, object], message: str, pending: str) -> None:
    # Never tell a lead they need no permit on contradictory evidence: the consultant sees both, the routes stay
    result = classify(LeadInput(citizenships=["IN"], country_of_residence="CA", date_of_birth=date(1995, 1, 1),
                                facts={"interest": "work", **facts}, messages=[message], today=TODAY))
    assert "no-permit-needed" not in result.flags and "contradiction" in result.flags
    assert result.primary_stream == "needs-review"
    review = result.candidates[0]
    assert review.no_permit is None
    assert review.reasons[:2] == [f"The message says “{_said(message)}”", pending]
    assert "bridging-open-work-permit" in [c.stream for c in result.candidates], result.candidates_json()


@pytest.mark.parametrize(("text", "quote"), [
    ("I have PR and work at the University of Sydney", "I have PR"),
    ("I am a permanent resident and I work for a bank in Dubai", "I am a permanent resident"),
    ("J'ai la RP et je travaille à l'Université de Sydney", "J'ai la RP"),
    ("Je suis résident permanent et je vis à Londres", "Je suis résident permanent"),
])
def test_pr_beside_a_city_abroad_is_not_canadas_but_a_question_for_the_consultant(text: str, quote: str) -> None:
    # A lead with permanent residence of Australia is a foreign national: told they need no permit, they would never
    # hear of their routes (consultant trial: "the University of Sydney" named an employer, so it was not a place)
    assert _said(text) is None
    result = classify(LeadInput(citizenships=["IE"], stated_age=27, stated_age_on=TODAY, messages=[text],
                                language="fr" if text.startswith(("J", "Je")) else "en", today=TODAY))
    assert "no-permit-needed" not in result.flags
    assert result.primary_stream == "iec-working-holiday"
    note = result.candidates[0].for_consultant
    assert any(quote in reason for reason in note), note
    assert all(quote not in reason for reason in result.candidates[0].reasons if reason not in note)


@pytest.mark.parametrize("text", [
    "I am a permanent resident living in Sydney, Nova Scotia",  # Canada's Sydney: the capital place rule decides
    "I am a permanent resident, it would be nice to hear about my wife's options",
])
def test_a_canadian_city_or_an_everyday_word_is_no_city_abroad(text: str) -> None:
    from crm.classify.signals import _foreign_city_in, normalise

    lowered = normalise(text)
    tokens = lowered.split()
    assert not _foreign_city_in(text, lowered, 0, len(text), lowered, [t.strip(",.") for t in tokens], True)


def test_pr_as_public_relations_abroad_asks_nothing() -> None:
    result = classify(LeadInput(citizenships=["IE"], stated_age=27, stated_age_on=TODAY, today=TODAY,
                                messages=["I am a PR and communications specialist from Dubai"]))
    assert not any("permanent residence" in reason for c in result.candidates for reason in c.reasons)
