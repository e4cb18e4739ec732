"""`crm leads reclassify`: runs the ruleset again, keeps history, reports changed primary streams."""

from __future__ import annotations

import dramatiq
import pytest
from click.testing import CliRunner
from dramatiq.brokers.stub import StubBroker
from flask.testing import FlaskClient
from sqlalchemy import func, update

from crm.cli.leads import leads_group
from crm.db import Database
from crm.models import Lead
from tests.classify.helpers import classifications, lead, post_lead
from tests.conftest import RecordingDispatcher
from workers.dispatch import BrokerDispatcher


def test_reclassify_reports_changes_and_keeps_history(client: FlaskClient, db: Database,
                                                      dispatcher: RecordingDispatcher, stub_broker: StubBroker,
                                                      stub_worker: dramatiq.Worker) -> None:
    # Given three classified leads
    irish = post_lead(client, email="irish@example.ie", citizenships=["Ireland"])
    french = post_lead(client, email="french@example.fr", citizenships=["France"])
    american = post_lead(client, email="us@example.com", citizenships=["USA"])
    BrokerDispatcher(stub_broker).dispatch(dispatcher.jobs)
    stub_broker.join("default", fail_fast=True)
    stub_worker.join()
    # And a fact of one of them changed behind the classifier's back (as a rule update would)
    with db.transaction() as session:
        session.execute(update(Lead).where(Lead.id == french).values(facts={"interest": "business"}))
    runner = CliRunner()

    # When every lead is reclassified
    result = runner.invoke(leads_group, ["reclassify", "--all"])
    # Then one changed primary stream, and only it got a new classification (the old one kept)
    assert result.exit_code == 0, result.output
    assert "3 lead(s) reclassified: 1 changed primary stream, 2 did not." in result.output
    assert [(c.primary_stream, c.is_current, c.trigger) for c in classifications(db, french)] == [
        ("iec-working-holiday", False, "intake"), ("entrepreneur", True, "reclassify")]
    assert len(classifications(db, irish)) == len(classifications(db, american)) == 1
    assert lead(db, french).primary_stream == "entrepreneur"

    # And the filters select by citizenship and by stream
    by_country = runner.invoke(leads_group, ["reclassify", "--country", "Irlande"])
    assert "1 lead(s) reclassified: 0 changed" in by_country.output
    by_stream = runner.invoke(leads_group, ["reclassify", "--stream", "iec-recognized-organization"])
    assert "1 lead(s) reclassified" in by_stream.output
    assert runner.invoke(leads_group, ["reclassify"]).exit_code != 0  # one selection is required


@pytest.mark.parametrize("backend", ["sqlite", "postgres"], indirect=True)
def test_an_age_read_from_a_message_is_dated_by_the_inquiry_not_by_each_reclassification(db: Database) -> None:
    import json
    from datetime import UTC, datetime, timedelta

    from crm.classify.service import classify_and_store
    from crm.intake.service import IntakeRequest, receive_inquiry

    def inquire(now: datetime, **fields: object) -> str:
        payload = {"first_name": "Chloé", "email": "chloe@example.fr", "citizenships": ["France"],
                   "country_of_residence": "France", "interest": "work", **fields}
        with db.transaction() as session:
            return receive_inquiry(session, IntakeRequest(body=json.dumps(payload).encode(),
                                                          content_type="application/json", fields=payload),
                                   now=now).lead_id

    def said() -> dict[str, object]:
        [row] = [c for c in classifications(db, lead_id) if c.is_current]
        working_holiday = next(c for c in row.candidates if c["stream"] == "iec-working-holiday")
        return dict(working_holiday["message_age"])

    # A French lead with no form age writes "I'm 27" at 23:30 UTC on 2 March: 00:30 on 3 March in Paris
    asked = datetime(2026, 3, 2, 23, 30, tzinfo=UTC)
    lead_id = inquire(asked, message="Hello, I'm 27 years old and I would like to work in Canada.")
    with db.transaction() as session:
        assert classify_and_store(session, lead_id, "intake", asked).status == "classified"
    assert said() == {"age": 27, "on": "2026-03-03"}
    # Re-classified days later: she may have turned 28 since she said it (the lead ages from the day of
    # the inquiry, as with an age typed in the form) ...
    with db.transaction() as session:
        assert classify_and_store(session, lead_id, "reclassify", asked + timedelta(days=3),
                                  force=True).status == "classified"
    assert said() == {"age": 27, "on": "2026-03-03"}
    # ... and from then on nothing changes from one day to the next: no new row at each re-classification
    for days in (4, 40, 41):
        with db.transaction() as session:
            assert classify_and_store(session, lead_id, "reclassify", asked + timedelta(days=days),
                                      force=True).status == "unchanged", days
    assert len(classifications(db, lead_id)) == 2
    # A later inquiry without an age: the age is still the one said on 3 March, dated that day
    later = asked + timedelta(days=50)
    inquire(later, message="Do I need a job offer?")
    with db.transaction() as session:
        classify_and_store(session, lead_id, "new-inquiry", later)
    assert said() == {"age": 27, "on": "2026-03-03"}
    with db.transaction() as session:
        assert classify_and_store(session, lead_id, "reclassify", later + timedelta(days=5),
                                  force=True).status == "unchanged"


@pytest.mark.parametrize("backend", ["sqlite", "postgres"], indirect=True)
def test_a_reclassification_a_consultant_asked_for_says_so_on_the_timeline_when_nothing_changed(
        client: FlaskClient, db: Database, dispatcher: RecordingDispatcher) -> None:
    from sqlalchemy import select

    from crm.classify.service import UNCHANGED_SUMMARY, classify_pending
    from crm.db import utcnow
    from crm.models import Activity, Role, User
    from crm.workspace.actions import reclassify

    # Given a classified lead
    lead_id = post_lead(client)
    with db.session() as session, session.begin():
        classify_pending(session, lead_id, "intake", utcnow(), batch_size=1)
    with db.transaction() as session:
        session.add(User(email="amelie@firm.example", password_hash="x", role=Role.CONSULTANT.value))
    # When a consultant asks for a reclassification and its job runs with the same result
    with db.transaction() as session:
        amelie = session.scalars(select(User)).one()
        found = session.get(Lead, lead_id)
        assert found is not None
        assert reclassify(session, found, amelie) is not None
    with db.session() as session, session.begin():
        outcome = classify_pending(session, lead_id, "reclassify", utcnow(), batch_size=1)
    assert outcome.status == "unchanged"
    # Then nothing new is stored, but the timeline says it ran, after the request
    assert len(classifications(db, lead_id)) == 1
    with db.session() as session:
        timeline = [(a.kind, a.summary, a.data) for a in session.scalars(
            select(Activity).where(Activity.lead_id == lead_id).order_by(Activity.at, Activity.id))]
    assert [kind for kind, _summary, _data in timeline][-2:] == ["reclassify", "classified"]
    _kind, summary, data = timeline[-1]
    assert summary == UNCHANGED_SUMMARY == "Reclassified: no change"
    assert data["unchanged"] is True and data["trigger"] == "reclassify"
    assert data["primary_stream"] == lead(db, lead_id).primary_stream
    # And the operator's `crm leads reclassify` (no job: a run over many leads) adds no such line
    assert "0 changed" in CliRunner().invoke(leads_group, ["reclassify", "--all"]).output
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(Activity).where(
            Activity.lead_id == lead_id, Activity.summary == UNCHANGED_SUMMARY)) == 1


def test_reclassify_by_country_takes_citizenships_read_from_the_message(
        client: FlaskClient, db: Database, dispatcher: RecordingDispatcher, stub_broker: StubBroker,
        stub_worker: dramatiq.Worker) -> None:
    # A French lead who said so only in the message, and one on the form: the queue's nationality filter shows both
    said = post_lead(client, email="zoe@example.fr", citizenships=[],
                     message="Bonjour, je suis française et j'ai 26 ans, je voudrais travailler au Canada.")
    on_form = post_lead(client, email="lea@example.fr", citizenships=["France"])
    post_lead(client, email="irish@example.ie", citizenships=["Ireland"])
    BrokerDispatcher(stub_broker).dispatch(dispatcher.jobs)
    stub_broker.join("default", fail_fast=True)
    stub_worker.join()
    assert lead(db, said).message_citizenships == ["FR"] and lead(db, on_form).citizenships == ["FR"]
    result = CliRunner().invoke(leads_group, ["reclassify", "--country", "France"])
    assert result.exit_code == 0, result.output
    assert "2 lead(s) reclassified" in result.output
