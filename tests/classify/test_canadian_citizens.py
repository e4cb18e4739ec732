"""A Canadian citizen needs no work permit and cannot take part in IEC: never sold one (ruleset
`no_work_permit_needed`). They go to a consultant with that reason and no work-permit candidate."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import dramatiq
import pytest
from dramatiq.brokers.stub import StubBroker
from flask.testing import FlaskClient
from sqlalchemy import select

from crm.classify.classifier import add_texts, classify
from crm.classify.model import LeadInput
from crm.classify.ruleset import load_ruleset
from crm.db import Database
from crm.models import Enrolment
from tests.classify.helpers import classifications, post_lead
from tests.conftest import RecordingDispatcher
from workers.dispatch import BrokerDispatcher

TODAY = date(2026, 3, 15)
REASON = {"en": "Canadian citizen: no work permit needed",
          "fr": "Citoyenneté canadienne : aucun permis de travail n'est nécessaire"}


def _only_review(result, lang: str = "en") -> None:  # type: ignore[no-untyped-def]
    assert result.primary_stream == "needs-review"
    assert [c.stream for c in result.candidates] == ["needs-review"], result.candidates_json()
    assert result.candidates[0].reasons[0] == REASON[lang]
    assert result.candidates[0].source == load_ruleset().no_permit_source.strip()
    assert "age-out-soon" not in result.flags
    # The flag that chooses the acknowledgement sequence, and the status the email speaks to
    assert "no-permit-needed" in result.flags
    assert result.candidates[0].no_permit == "citizen"
    assert result.candidates_json()[0]["no_permit"] == "citizen"


@pytest.mark.parametrize("citizenships", [["CA"], ["KR", "CA"], ["CA", "FR"]])
def test_a_canadian_citizen_from_the_form_is_offered_no_work_permit(citizenships: list[str]) -> None:
    lead = LeadInput(citizenships=citizenships, stated_age=25, stated_age_on=TODAY, country_of_residence="FR",
                     facts={"job_offer": True, "job_offer_province": "ON"}, today=TODAY,
                     messages=["I want to move back to work in Canada."])
    _only_review(classify(lead))
    _only_review(classify(replace(lead, language="fr")), "fr")


@pytest.mark.parametrize(("message", "lang", "quote"), [
    ("I am Canadian, living in Lyon, and want to move back to work in Canada.", "en", "I am Canadian"),
    ("I'm a Canadian citizen living in Seoul, 28 years old.", "en", "I'm a Canadian citizen"),
    ("Je suis canadienne et j'habite à Paris depuis cinq ans.", "fr", "Je suis canadienne"),
])
def test_a_canadian_citizen_who_says_so_in_the_message_is_offered_no_work_permit(message: str, lang: str,
                                                                                  quote: str) -> None:
    for form in ([], ["FR"]):
        result = classify(LeadInput(citizenships=form, stated_age=28, stated_age_on=TODAY, messages=[message],
                                    language=lang, today=TODAY))
        _only_review(result, lang)
        assert quote in result.candidates[0].reasons[1]


@pytest.mark.parametrize("message", [
    "My wife is a Canadian citizen and I am French, 27 years old.",
    "I am a Canadian employer looking to hire.",
    "I'm French and I have a Canadian job offer in Toronto.",
    "I am not Canadian, I am French.",
])
def test_someone_else_being_canadian_changes_nothing(message: str) -> None:
    result = classify(LeadInput(citizenships=["FR"], stated_age=27, stated_age_on=TODAY, messages=[message],
                                today=TODAY))
    assert REASON["en"] not in " ".join(r for c in result.candidates for r in c.reasons)
    assert "no-permit-needed" not in result.flags
    assert all(c.no_permit is None for c in result.candidates)


def test_the_reason_is_translated_for_the_workspace() -> None:
    lead = LeadInput(citizenships=["CA"], stated_age=25, stated_age_on=TODAY, today=TODAY)
    result = classify(lead)
    add_texts(result, lead)
    assert result.candidates[0].texts["fr"]["reasons"][0] == REASON["fr"]


def test_the_rule_is_data_with_a_source() -> None:
    ruleset = load_ruleset()
    assert "CA" in ruleset.no_permit_citizenships
    assert ruleset.no_permit_source.startswith("https://www.canada.ca/")
    assert ruleset.no_permit_confidence == "official"


def test_a_canadian_employer_is_classified_as_an_employer() -> None:
    # The rule is about the lead's own work: a Canadian hiring abroad needs permits for the hires
    result = classify(LeadInput(citizenships=["CA"], facts={"interest": "hire"}, today=TODAY,
                                messages=["We want to hire two welders from the Philippines."]))
    assert result.lead_type == "employer" and "no-permit-needed" not in result.flags


def test_the_flag_has_a_french_label() -> None:
    from crm.i18n import translate

    assert translate("no-permit-needed", "fr") == "aucun permis requis"


def test_emma_gets_the_no_permit_acknowledgement_not_a_permit_sale(client: FlaskClient, db: Database,
                                                         dispatcher: RecordingDispatcher, stub_broker: StubBroker,
                                                         stub_worker: dramatiq.Worker) -> None:
    # Given the inquiry that was sold "IEC through a Recognized Organization"
    lead_id = post_lead(client, first_name="Emma", email="emma.tremblay@example.ca", citizenships=["Canada"],
                        date_of_birth=None, age=25, country_of_residence="France", consent_marketing=True,
                        message="I am Canadian, living in Lyon, and want to move back to work in Canada.")
    # When it is classified
    BrokerDispatcher(stub_broker).dispatch(dispatcher.jobs)
    stub_broker.join("default", fail_fast=True)
    stub_worker.join()
    # Then a consultant reviews it, with the reason, and no work-permit stream is recommended
    [stored] = classifications(db, lead_id)
    assert stored.primary_stream == "needs-review"
    assert [c["stream"] for c in stored.candidates] == ["needs-review"]
    assert stored.candidates[0]["reasons"][0] == REASON["en"]
    assert "no-permit-needed" in stored.flags and stored.candidates[0]["no_permit"] == "citizen"
    # And the email sequence is the one-step acknowledgement: neither a stream's sales sequence nor the
    # review sequence, whose later steps market work-permit routes (tests/email/test_no_permit.py)
    with db.session() as session:
        assert [e.sequence for e in session.scalars(select(Enrolment).where(Enrolment.lead_id == lead_id))] \
            == ["no-permit-needed"]
