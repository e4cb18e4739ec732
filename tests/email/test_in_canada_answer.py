"""The first email of the in-Canada sequences (bridging, post-graduation, spousal permits) names the other
permits the classification found for the lead, with what points to each and what to ask: a graduate of a
Canadian school whose primary permit was the bridging one read nothing about the post-graduation work permit."""

from __future__ import annotations

import pytest

from crm.config import Settings
from crm.db import Database
from crm.mail import transport_from_url
from crm.models import Lead
from crm.sequences import preview
from crm.sequences.rendering import RenderedEmail
from tests.email.conftest import Sink
from tests.email.helpers import T0, classified_inquiry, enrolments, run_due


def _flat(text: str) -> str:
    return " ".join(text.split())


def _first_email(db: Database, settings: Settings, lead_id: str) -> RenderedEmail:
    with db.session() as session:
        lead = session.get(Lead, lead_id)
        assert lead is not None
        return preview(session, lead, 0, settings=settings, now=T0)[0]


def _section(text: str, heading: str, next_heading: str) -> str:
    assert heading in text, text
    return text.split(heading, 1)[1].split(next_heading, 1)[0]


GRADUATE = {
    "en": ("I work in Toronto and applied for PR through Express Entry last month. I graduated from Seneca College "
           "in 2024."),
    "fr": ("Je travaille à Montréal et j'ai fait une demande de résidence permanente le mois dernier. J'ai terminé "
           "mes études à Concordia en 2024."),
}
EXPECT = {
    "en": {"other": "OTHER PERMITS YOUR SITUATION POINTS TO", "next": "WHAT HAPPENS NEXT",
           "pgwp": "Post-graduation work permit (PGWP), exemption code C43",
           "why": "What points to it: The message says “graduated from Seneca”",
           "ask": "To advise you precisely, could you reply with:",
           # "through Express Entry" names the PR program: it is not asked again
           "asks": ["Current work permit expiry date",
                    "Program length and completion date", "Whether the program is PGWP-eligible"]},
    "fr": {"other": "D'AUTRES PERMIS QUE VOTRE SITUATION LAISSE ENTREVOIR", "next": "LA SUITE",
           "pgwp": "Permis de travail postdiplôme (PTPD), code de dispense C43",
           "why": "Ce qui l'indique : Le message indique « terminé mes études à Concordia »",
           "ask": "Pour vous conseiller précisément, pourriez-vous nous répondre avec :",
           "asks": ["Programme de résidence permanente (il doit s'agir d'une catégorie économique)",
                    "Date d'expiration du permis de travail actuel", "Durée du programme et date de fin",
                    "Si le programme donne droit au PTPD"]},
}


@pytest.mark.parametrize("language", ["en", "fr"])
def test_a_graduate_with_a_bridging_permit_reads_about_the_pgwp_too(db: Database, smtp_settings: Settings,
                                                                    sink: Sink, language: str) -> None:
    # Given Priya, working in Canada, who applied for PR and graduated from a Canadian school
    email = f"priya.{language}@example.in"
    lead_id = classified_inquiry(db, first_name="Priya", email=email, citizenships=["India"], age=30,
                                 country_of_residence="Canada", preferred_language=language, message=GRADUATE[language])
    assert [e.sequence for e in enrolments(db, lead_id)] == ["bridging-open-work-permit"]
    # When her first email goes out through the SMTP server
    transport = transport_from_url(smtp_settings.mail_url)
    try:
        assert run_due(db, smtp_settings, transport, T0) == ["sent"]
    finally:
        transport.close()
    [message] = sink.to(email)
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = _flat(message.get_body(preferencelist=("html",)).get_content()).replace("&#39;", "'")
    expect = EXPECT[language]
    # Then it names the post-graduation work permit beside the bridging one, with her own words for it
    others = _flat(_section(text, expect["other"], expect["next"]))
    assert expect["pgwp"] in others and expect["why"] in others, others
    assert "C43" in html and expect["why"] in html
    # And what is still to ask covers both permits, the bridging one's first
    asks = _flat(text).split(expect["ask"], 1)[1]
    positions = [asks.find(item) for item in expect["asks"]]
    assert -1 not in positions and positions == sorted(positions), asks


@pytest.mark.parametrize(("language", "spousal", "why"), [
    ("en", "Open work permit for spouses of skilled workers or students (exemption code C41)",
     "What points to it: The message says “husband works”"),
    ("fr", "Permis de travail ouvert pour les conjoints de travailleurs qualifiés ou d'étudiants (code de dispense "
           "C41)",
     "Ce qui l'indique : Le message indique « mari travaille »"),
])
def test_a_graduate_whose_spouse_works_in_canada_reads_about_the_spousal_permit(
        db: Database, settings: Settings, language: str, spousal: str, why: str) -> None:
    message = ("My husband works in Toronto as a nurse. I finished my diploma at Humber College in December."
               if language == "en" else
               "Mon mari travaille à Toronto comme infirmier. J'ai terminé mes études à Humber en décembre.")
    lead_id = classified_inquiry(db, first_name="Ana", email=f"ana.{language}@example.br", citizenships=["Brazil"],
                                 age=27, country_of_residence="Canada", preferred_language=language, message=message)
    first = _first_email(db, settings, lead_id)
    assert first.template == "answer-in-canada"
    text = _flat(first.text)
    assert ("Post-graduation work permit" if language == "en" else "Permis de travail postdiplôme") in first.subject
    assert spousal in text and why in text, text
    assert ("Months left on the spouse's work permit (16 or more)" if language == "en"
            else "Mois restants sur le permis de travail du conjoint (16 ou plus)") in text


def test_no_other_route_no_section(db: Database, settings: Settings) -> None:
    lead_id = classified_inquiry(db, first_name="Jun", email="jun@example.kr", citizenships=["South Korea"], age=40,
                                 country_of_residence="Canada", studied_in_canada=True)
    first = _first_email(db, settings, lead_id)
    assert first.template == "answer-in-canada"
    assert "OTHER PERMITS" not in first.text
    assert "Whether the program is PGWP-eligible" in _flat(first.text)
