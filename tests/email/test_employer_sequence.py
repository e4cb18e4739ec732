"""The employer sequence speaks to an employer (lead trial): a bakery in Sherbrooke hiring two bakers from France
read only about the Global Talent Stream ('permits in about two weeks'), a worker's document tips ('names and
dates of birth'), a consultation about 'your eligibility' and 'permanent residence', and a check-in asking
whether it still planned to work in Canada; its first email asked again for the citizenship and the place it
had written. Fails without the fix."""

from __future__ import annotations

from typing import Any

import pytest

from crm.config import Settings
from crm.db import Database
from crm.models import Lead
from crm.sequences import preview
from crm.sequences.content import hire_countries
from tests.email.helpers import T0, classified_inquiry
from tests.email.test_in_canada_answer import _flat

BAKERY = {
    "en": "We are a bakery in Sherbrooke and want to hire two bakers from France.",
    "fr": "Nous sommes une boulangerie à Sherbrooke et voulons embaucher deux boulangers français.",
}


def _emails(db: Database, settings: Settings, **fields: Any) -> dict[str, str]:
    lead_id = classified_inquiry(db, **fields)
    with db.session() as session:
        lead = session.get(Lead, lead_id)
        assert lead is not None
        return {email.template: _flat(email.subject + " " + email.text)
                for email in preview(session, lead, settings=settings, now=T0)}


@pytest.mark.parametrize("language", ["en", "fr"])
def test_a_bakery_hiring_from_france_reads_about_its_own_hire(db: Database, smtp_settings: Settings,
                                                              language: str) -> None:
    emails = _emails(db, smtp_settings, first_name="Marc", email=f"marc.bakery.{language}@example.ca",
                     interest="hire", company_name="Boulangerie Tremblay", country_of_residence="CA",
                     preferred_language=language, message=BAKERY[language])
    assert list(emails) == ["answer-employer", "employer-options", "documents", "consultation", "checkin"]
    everything = " ".join(emails.values())
    # Not a tech job: no Global Talent Stream, nothing of a worker's own file or plans
    for wrong in ("Global Talent", "talents mondiaux", "two weeks", "deux semaines", "date of birth",
                  "date de naissance", "eligibility", "admissibilité", "permanent residence", "résidence permanente",
                  "plan to work in Canada", "planning to work", "travailler au Canada ?"):
        assert wrong not in everything, (wrong, everything)
    if language == "en":
        # Day 0 asks only the job title: France and Quebec were in the message
        assert "it helps to know the job title (the job is in Quebec, as you told us). Just reply with that detail." \
            in emails["answer-employer"]
        assert "know the job title, the worker's citizenship" not in emails["answer-employer"]
        assert "Since your workers are citizens of France, an International Experience Canada partner country" \
            in emails["answer-employer"]
        assert "HIRING WITH A LABOUR MARKET IMPACT ASSESSMENT (LMIA)" in emails["employer-options"]
        assert "Proof of your recruitment efforts in Canada" in emails["documents"]
        assert "IEC HIRE" in emails["documents"]
        # The Employer Portal offer is for the employer-specific IEC permits, not the open Working Holiday one
        assert "For IEC Young Professionals or International Co-op (permits tied to your company): the offer" \
            in emails["documents"]
        assert "For IEC Working Holiday (an open permit): nothing from you" in emails["documents"]
        assert "compare the routes open to your hire, with or without an LMIA" in emails["consultation"]
        assert "are you still planning to hire from abroad?" in emails["checkin"]
        # Mobilité francophone is for a job outside Quebec
        assert "Francophone Mobility" not in everything
    else:
        assert ("il nous serait utile de connaître le titre du poste (lieu du poste : Québec, comme vous nous l'avez "
                "indiqué)") in emails["answer-employer"].replace("\u00a0", " ")
        assert "connaître la citoyenneté" not in emails["answer-employer"]
        assert "pays partenaire d'Expérience internationale Canada (France)" in emails["answer-employer"]
        assert "La preuve de vos efforts de recrutement au Canada" in emails["documents"]
        assert "prévoyez-vous toujours de recruter à l'étranger" in emails["checkin"].replace("\u00a0", " ")


def test_a_tech_employer_reads_about_the_global_talent_stream_and_its_file(db: Database,
                                                                           smtp_settings: Settings) -> None:
    emails = _emails(db, smtp_settings, first_name="Jo", email="jo.tech@example.ca", interest="hire",
                     company_name="Acme Soft", occupation="Software developer", job_offer_province="ON",
                     message="We want to hire 3 software developers from India for our Toronto office")
    assert "the first route to look at is Global Talent Stream" in emails["answer-employer"]
    # Everything asked is known: nothing asked again
    assert "it helps to know" not in emails["answer-employer"]
    assert "GLOBAL TALENT STREAM (TEMPORARY FOREIGN WORKER PROGRAM)" in emails["employer-options"]
    assert "FOR THE GLOBAL TALENT STREAM" in emails["documents"]
    assert "Labour Market Benefits Plan" in emails["documents"]
    # Workers from India: neither IEC nor Mobilité francophone
    assert "International Experience Canada partner" not in emails["answer-employer"]
    assert "Francophone Mobility" not in emails["employer-options"]


def test_the_countries_an_employer_hires_from() -> None:
    assert hire_countries("We want to hire two bakers from France.") == ["FR"]
    assert hire_countries("deux boulangers français et des cuisiniers du Maroc") == ["FR", "MA"]
    assert hire_countries("welders from Mexico and from the Philippines") == ["MX", "PH"]
    # A language, an office or a place is not the workers' citizenship
    assert hire_countries("We need French-speaking staff") == []
    assert hire_countries("We want to transfer our manager from our German office to Calgary.") == []
    assert hire_countries("We have an office in India") == []
    assert hire_countries("We need Filipino caregivers") == ["PH"]
    assert hire_countries("Our French bakery needs bakers") == []
    assert hire_countries("An Indian restaurant in Toronto hiring cooks") == []
    assert hire_countries("Une boulangerie française cherche des boulangers") == []
    assert hire_countries("Nous sommes français et cherchons des boulangers") == []
