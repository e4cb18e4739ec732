"""`crm leads reclassify`: runs the ruleset again, keeps history, reports changed primary streams."""

from __future__ import annotations

import dramatiq
from click.testing import CliRunner
from dramatiq.brokers.stub import StubBroker
from flask.testing import FlaskClient
from sqlalchemy import update

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
