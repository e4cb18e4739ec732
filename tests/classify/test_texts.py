"""The classification's texts in both workspace languages: the lead's where they always were (the emails
read them), the other language beside them (the workspace shows the consultant's language)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest
from flask.testing import FlaskClient
from sqlalchemy import update

from crm.classify.classifier import add_texts, classify
from crm.classify.model import LeadInput
from crm.classify.service import classify_and_store
from crm.db import Database, utcnow
from crm.models import Classification
from tests.classify.corpus import lead_input, load_corpus
from tests.classify.helpers import classifications, post_lead

TODAY = date(2026, 11, 26)


def _corpus() -> list[LeadInput]:
    today, leads = load_corpus()
    return [lead_input(spec, today) for spec in leads]


def test_every_corpus_lead_gets_the_other_language_without_changing_its_own() -> None:
    translated = 0
    for lead in _corpus():
        for language in ("en", "fr"):
            facts = replace(lead, language=language)
            plain = classify(facts)
            result = classify(facts)
            add_texts(result, facts)
            # The lead's texts, verdicts and score are exactly what they were without the translation.
            assert [{k: v for k, v in c.items() if k != "texts"} for c in result.candidates_json()] == \
                plain.candidates_json()
            assert (result.score_reasons, result.score, result.flags) == (plain.score_reasons, plain.score,
                                                                          plain.flags)
            other = "fr" if language == "en" else "en"
            written = classify(replace(facts, text_language=other))
            for mine, theirs in zip(result.candidates, written.candidates, strict=True):
                assert mine.texts.get(other, {}).get("reasons", theirs.reasons) == theirs.reasons
                assert mine.texts.get(other, {}).get("missing", theirs.missing) == theirs.missing
                assert language not in mine.texts
            if result.candidates:
                assert result.candidates[0].texts[other]["score_reasons"] == written.score_reasons
                translated += 1
    assert translated > 100


def test_the_text_language_never_changes_a_verdict() -> None:
    # A lead who wrote in French fits Mobilité francophone ("wrote to us in French"): a fact about the
    # lead, whatever language the texts are written in.
    lead = LeadInput(citizenships=["BE"], facts={"job_offer": True, "job_offer_province": "ON"}, language="fr",
                     today=TODAY, messages=["Bonjour, j'ai une offre d'emploi à Toronto"])
    french, english = classify(lead), classify(replace(lead, text_language="en"))
    assert [(c.stream, c.verdict) for c in english.candidates] == [(c.stream, c.verdict) for c in french.candidates]
    assert english.language == "en" and french.language == "fr"
    mobility = next(c for c in english.candidates if c.stream == "francophone-mobility")
    assert "Wrote to us in French" in mobility.reasons


@pytest.mark.parametrize(("language", "own", "other", "other_language"), [
    ("fr", "Citoyen(ne) de : France", "Citizen of France", "en"),
    ("en", "Citizen of Ireland", "Citoyen(ne) de : Irlande", "fr"),
])
def test_the_stored_classification_keeps_the_leads_texts_and_adds_the_other_language(
        client: FlaskClient, db: Database, language: str, own: str, other: str, other_language: str) -> None:
    citizenship = "France" if language == "fr" else "Ireland"
    lead_id = post_lead(client, email=f"{language}@example.com", citizenships=[citizenship],
                        preferred_language=language, date_of_birth="1998-04-12")
    with db.transaction() as session:
        assert classify_and_store(session, lead_id, "intake", utcnow()).status == "classified"
    (row,) = [c for c in classifications(db, lead_id) if c.is_current]
    first = row.candidates[0]
    # The emails read `reasons` and `missing`: still the lead's language.
    assert any(reason.startswith(own) for reason in first["reasons"])
    assert not any(reason.startswith(other) for reason in first["reasons"])
    assert any(reason.startswith(other) for reason in first["texts"][other_language]["reasons"])
    assert language not in first["texts"]
    assert len(first["texts"][other_language]["score_reasons"]) == len(row.score_reasons)
    assert first["texts"][other_language]["score_reasons"] != row.score_reasons

    # The same classification again: no new row (the translation is not a difference).
    with db.transaction() as session:
        assert classify_and_store(session, lead_id, "reclassify", utcnow(), force=True).status == "unchanged"
    assert len(classifications(db, lead_id)) == 1


def test_a_row_stored_before_the_translations_is_the_same_classification(client: FlaskClient,
                                                                          db: Database) -> None:
    lead_id = post_lead(client, email="before@example.fr", citizenships=["France"], preferred_language="fr")
    with db.transaction() as session:
        classify_and_store(session, lead_id, "intake", utcnow())
        row = session.query(Classification).filter_by(lead_id=lead_id).one()
        stored_before = [{k: v for k, v in c.items() if k != "texts"} for c in row.candidates]
        session.execute(update(Classification).where(Classification.id == row.id)
                        .values(candidates=stored_before))
    with db.transaction() as session:
        assert classify_and_store(session, lead_id, "reclassify", utcnow(), force=True).status == "unchanged"
    assert len(classifications(db, lead_id)) == 1


@pytest.mark.parametrize(("messages", "reason"), [
    ([], "Asked to be answered in French"),  # French chosen on the form: no message to show it
    (["I have a job offer in Toronto, thank you for your help"], "Asked to be answered in French"),
    (["Bonjour, je voudrais savoir si je peux travailler au Canada avec mon offre"], "Wrote to us in French"),
])
def test_french_as_the_leads_language_is_said_as_it_was_shown(messages: list[str], reason: str) -> None:
    lead = LeadInput(citizenships=["BE"], facts={"job_offer": True, "job_offer_province": "ON"}, language="fr",
                     today=TODAY, messages=messages)
    mobility = next(c for c in classify(replace(lead, text_language="en")).candidates
                    if c.stream == "francophone-mobility")
    assert reason in mobility.reasons
    french = {"Asked to be answered in French": "A demandé une réponse en français",
              "Wrote to us in French": "Nous a écrit en français"}[reason]
    assert french in next(c for c in classify(lead).candidates if c.stream == "francophone-mobility").reasons
