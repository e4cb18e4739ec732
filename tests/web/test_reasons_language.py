"""The classification's texts (reasons, missing facts, score reasons, review reasons) are shown in the
interface's language, whatever the lead's: they are stored in the lead's language for the emails, with
the other language beside them."""

from __future__ import annotations

import html as html_lib
import re
from collections.abc import Callable

import pytest
from sqlalchemy import update

from crm.classify.service import classify_and_store
from crm.db import Database, utcnow
from crm.models import Classification
from tests.web.conftest import Browser, Team

# What the classification of each lead says, in each language.
TEXTS = {
    "fr-lead": {"en": ["Citizen of France", "Date of birth", "+25 likely fit for IEC Working Holiday"],
                "fr": ["Citoyen(ne) de : France", "Date de naissance",
                       "+25 correspond probablement à : EIC Vacances-Travail"]},
    "en-lead": {"en": ["Citizen of Ireland", "Date of birth", "+25 likely fit for IEC Working Holiday",
                       "+10 has a Canadian job offer"],
                "fr": ["Citoyen(ne) de : Irlande", "Date de naissance",
                       "+25 correspond probablement à : EIC Vacances-Travail",
                       "+10 a une offre d'emploi au Canada"]},
}
REVIEW = {"en": "Citizenship is not known", "fr": "La citoyenneté n'est pas connue"}


@pytest.fixture
def two_leads(db: Database, post_lead: Callable[..., str]) -> dict[str, str]:
    french = post_lead(first_name="Camille", last_name="Durand", email="camille@example.fr",
                       citizenships=["France"], preferred_language="fr", age=27)
    english = post_lead(first_name="Aoife", last_name="Murphy", email="aoife@example.ie", citizenships=["Ireland"],
                        preferred_language="en", age=27, job_offer=True)
    with db.transaction() as session:
        for lead_id in (french, english):
            assert classify_and_store(session, lead_id, "intake", utcnow()).status == "classified"
    return {"fr-lead": french, "en-lead": english}


def _text(response: object) -> str:
    return html_lib.unescape(response.get_data(as_text=True))  # type: ignore[attr-defined]


def _score_why(queue: str) -> str:
    return " ".join(re.findall(r'<details class="score-why">(.*?)</details>', queue, re.DOTALL))


@pytest.mark.parametrize("interface", ["en", "fr"])
def test_the_lead_page_shows_the_texts_in_the_interface_language(team: Team, admin: Browser,
                                                                 two_leads: dict[str, str], interface: str) -> None:
    other = "fr" if interface == "en" else "en"
    for key, lead_id in two_leads.items():
        page = _text(admin.get(f"/leads/{lead_id}?lang={interface}"))
        for text in TEXTS[key][interface]:
            assert text in page, (key, text)
        for text in TEXTS[key][other]:
            assert text not in page, (key, text)


@pytest.mark.parametrize("interface", ["en", "fr"])
def test_the_queue_score_details_are_in_the_interface_language(team: Team, admin: Browser,
                                                               two_leads: dict[str, str], interface: str) -> None:
    other = "fr" if interface == "en" else "en"
    why = _score_why(_text(admin.get(f"/leads?lang={interface}&scope=all")))
    for key in two_leads:
        for text in TEXTS[key][interface]:
            if text.startswith("+"):
                assert text in why, (key, text)
        for text in TEXTS[key][other]:
            if text.startswith("+"):
                assert text not in why, (key, text)


@pytest.mark.parametrize(("interface", "language"), [("en", "fr"), ("fr", "en")])
def test_review_reasons_are_in_the_interface_language(db: Database, team: Team, admin: Browser,
                                                      post_lead: Callable[..., str], interface: str,
                                                      language: str) -> None:
    lead_id = post_lead(email=f"nobody-{language}@example.com", citizenships=[], preferred_language=language)
    with db.transaction() as session:
        classify_and_store(session, lead_id, "intake", utcnow())
    page = _text(admin.get(f"/leads/{lead_id}?lang={interface}"))
    assert REVIEW[interface] in page
    assert REVIEW[language] not in page


def test_a_classification_stored_before_shows_its_stored_texts(db: Database, team: Team, admin: Browser,
                                                              two_leads: dict[str, str]) -> None:
    with db.transaction() as session:
        for row in session.query(Classification).filter_by(lead_id=two_leads["fr-lead"]):
            session.execute(update(Classification).where(Classification.id == row.id).values(
                candidates=[{k: v for k, v in c.items() if k != "texts"} for c in row.candidates]))
    page = _text(admin.get(f"/leads/{two_leads['fr-lead']}?lang=en"))
    for text in TEXTS["fr-lead"]["fr"]:
        assert text in page
    assert "+25 correspond probablement à : EIC Vacances-Travail" in \
        _score_why(_text(admin.get("/leads?lang=en&scope=all")))
