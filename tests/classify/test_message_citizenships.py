"""The citizenships a classification read from the message are written on the lead (message_citizenships)."""

from __future__ import annotations

from datetime import date

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select, update

from crm.classify.classifier import classify
from crm.classify.model import LeadInput
from crm.classify.service import classify_and_store
from crm.db import Database, utcnow
from crm.models import Lead
from tests.classify.helpers import classifications, lead, post_lead


def test_the_result_names_the_citizenships_taken_from_the_message() -> None:
    said = LeadInput(messages=["I'm Irish and my wife is French, I have a British passport"], today=date(2026, 11, 26))
    assert "IE" in classify(said).message_citizenships
    assert classify(LeadInput(citizenships=["BE"], messages=["Je suis française"], language="fr",
                              today=date(2026, 11, 26))).message_citizenships == []
    assert classify(LeadInput(messages=["Je suis française"], language="fr", today=date(2026, 11, 26))
                    ).message_citizenships == ["FR"]


def test_a_lead_classified_before_the_column_gets_it_without_a_new_row(client: FlaskClient, db: Database) -> None:
    lead_id = post_lead(client, email="camille@example.fr", citizenships=[], preferred_language="fr",
                        message="Bonjour, je suis française et j'ai 27 ans.")
    with db.transaction() as session:
        assert classify_and_store(session, lead_id, "intake", utcnow()).status == "classified"
    assert lead(db, lead_id).message_citizenships == ["FR"]
    with db.transaction() as session:
        session.execute(update(Lead).where(Lead.id == lead_id).values(message_citizenships=[]))
    with db.transaction() as session:
        assert classify_and_store(session, lead_id, "reclassify", utcnow(), force=True).status == "unchanged"
    assert lead(db, lead_id).message_citizenships == ["FR"]
    assert len(classifications(db, lead_id)) == 1


def test_a_lead_enrolled_by_its_first_classification_is_scheduled_in_the_zone_of_its_message(
        db: Database) -> None:
    # 12:00 UTC on 2 March is 13:00 in Paris (daytime: the later steps fall at that hour) and 07:00 in
    # Toronto (they would wait until 09:00 there)
    from datetime import UTC, datetime

    from tests.email.helpers import inquire, steps

    t0 = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
    lead_id = inquire(db, t0, first_name="Camille", email="camille.first@example.fr", citizenships=[],
                      country_of_residence=None, date_of_birth=None, preferred_language="fr",
                      message="Bonjour, je suis française et j'ai 27 ans.")
    with db.transaction() as session:
        assert classify_and_store(session, lead_id, "intake", t0).status == "classified"
    later = [step for step in steps(db, lead_id) if step.step_index > 0]
    assert later and all(step.due_at.hour == 12 for step in later), [step.due_at for step in later]


def test_the_first_classification_counts_the_day_in_the_zone_of_the_citizenship_it_reads(db: Database) -> None:
    # 12:00 UTC on 30 November is 01:00 on 1 December in Auckland: her 36th birthday, past IEC's 18-35
    from datetime import UTC, datetime

    from crm.models import Classification
    from tests.email.helpers import inquire

    now = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
    lead_id = inquire(db, now, first_name="Aroha", email="aroha.first@example.nz", citizenships=[],
                      country_of_residence=None, date_of_birth="1990-12-01",
                      message="Kia ora, I am a New Zealander and I would love a working holiday in Canada.")
    with db.transaction() as session:
        assert classify_and_store(session, lead_id, "intake", now).status == "classified"
    assert lead(db, lead_id).message_citizenships == ["NZ"]
    with db.session() as session:
        current = session.scalars(select(Classification).where(Classification.lead_id == lead_id)).one()
        assert current.primary_stream != "iec-working-holiday" and "age-out-soon" not in current.flags


def test_reasons_name_a_country_as_a_sentence_writes_it() -> None:
    us = classify(LeadInput(citizenships=["US"], date_of_birth=date(1985, 1, 1),
                            facts={"occupation": "Civil engineer", "job_offer": True}, today=date(2026, 11, 26)))
    reasons = [reason for candidate in us.candidates for reason in candidate.reasons]
    assert "Citizen of the United States: CUSMA professionals" in reasons, reasons
    uk = classify(LeadInput(citizenships=["GB"], date_of_birth=date(1998, 1, 1), today=date(2026, 11, 26)))
    assert "Citizen of the United Kingdom" in [reason for c in uk.candidates for reason in c.reasons]


@pytest.mark.parametrize("message", [
    "Nous sommes une société française et nous voulons recruter deux soudeurs.",
    "Nous sommes une entreprise belge avec une filiale à Montréal et nous voulons y envoyer deux ingénieurs.",
    "Je dirige une agence italienne et je voudrais ouvrir un bureau à Toronto.",
])
def test_a_french_company_adjective_is_no_citizenship(message: str) -> None:
    """French puts the adjective after the company: 'une société française' is the company's, not the lead's."""
    result = classify(LeadInput(messages=[message], language="fr", today=date(2026, 3, 15)))
    assert result.message_citizenships == []
