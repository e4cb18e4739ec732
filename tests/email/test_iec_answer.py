"""The first email of an IEC sequence speaks to a job offer the lead mentioned and names the other routes
that fit, as the worker answer does (it used to say neither: a French speaker with an offer in Ontario
read only about Working Holiday)."""

from __future__ import annotations

import pytest

from crm.classify.service import Outcome, classify_and_store
from crm.config import Settings
from crm.db import Database
from crm.models import Lead
from crm.sequences import preview
from crm.sequences.rendering import RenderedEmail
from tests.email.helpers import T0, inquire


def _classified_first_email(db: Database, settings: Settings, lead_id: str) -> tuple[Outcome, RenderedEmail]:
    """Classify the lead with the real classifier, then render its sequence's first email."""
    with db.transaction() as session:
        outcome = classify_and_store(session, lead_id, "intake", T0)
    with db.session() as session:
        lead = session.get(Lead, lead_id)
        assert lead is not None
        return outcome, preview(session, lead, 0, settings=settings, now=T0)[0]


@pytest.mark.parametrize(("language", "offer_line", "alternative"), [
    ("en", "You mentioned a job offer", "Francophone Mobility (Mobilité francophone)"),
    ("fr", "Vous avez mentionné une offre d'emploi", "Mobilité francophone"),
])
def test_an_iec_answer_takes_up_the_job_offer_and_the_other_routes(db: Database, settings: Settings, language: str,
                                                                    offer_line: str, alternative: str) -> None:
    # Given a French citizen with intermediate French (advanced or native puts Mobilité francophone first:
    # tests/classify/test_francophone_first.py) and a job offer in Ontario
    lead_id = inquire(db, first_name="Camille", email=f"camille.{language}@example.fr", citizenships=["France"],
                      country_of_residence="France", date_of_birth="1995-03-01", preferred_language=language,
                      job_offer=True, job_offer_province="ON", french_ability="intermediate",
                      employer_name="Current Employer SA")
    # When she is classified (the real classifier) and her sequence's first email is rendered
    outcome, first = _classified_first_email(db, settings, lead_id)
    # Then an IEC stream leads, and the email mentions her offer and the francophone route beside it
    assert outcome.primary_stream is not None and outcome.primary_stream.startswith("iec-")
    assert "Current Employer SA" not in first.text
    assert offer_line in first.text
    assert alternative in first.text
    # The offer is placed by its province (the form's employer field is the current employer, not the offer's)
    assert "Ontario" in first.text.split(offer_line, 1)[1].split("\n\n", 1)[0]
    # And the IEC categories named in the IEC paragraph are not listed again as other routes
    others = first.text.split(alternative, 1)[0].rsplit("\n\n", 1)[1]
    assert "Young Professionals" not in others and "Jeunes professionnels" not in others


def test_an_iec_answer_without_an_offer_says_nothing_about_one(db: Database, settings: Settings) -> None:
    lead_id = inquire(db, email="aoife.nooffer@example.ie")
    _, first = _classified_first_email(db, settings, lead_id)
    assert "IEC Working Holiday" in first.subject
    assert "job offer" not in first.text


def test_the_iec_answer_lists_every_route_beside_iec_even_when_iec_categories_come_first(
        db: Database, settings: Settings) -> None:
    # A student (Co-op leads) with an offer and a spouse working in Canada: IEC categories, then
    # Mobilité francophone, a spousal open work permit... beyond the first three alternatives
    lead_id = inquire(db, first_name="Chloé", email="chloe.coop@example.fr", citizenships=["France"],
                      country_of_residence="France", date_of_birth="1999-03-01", job_offer=True,
                      job_offer_province="ON", french_ability="intermediate", enrolled_in_post_secondary=True,
                      spouse_status_in_canada="worker")
    outcome, first = _classified_first_email(db, settings, lead_id)
    assert outcome.primary_stream is not None and outcome.primary_stream.startswith("iec-")
    others = first.text.split("Other routes may also be open to you", 1)[1].split("\n\n", 2)[1]
    assert "Francophone Mobility" in others and "Open work permit for spouses" in others, others
    assert "IEC" not in others
