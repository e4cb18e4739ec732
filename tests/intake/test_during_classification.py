"""A new inquiry from a known lead while a classification batch holds that lead."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from crm.db import Database
from crm.models import Job
from tests.classify.helpers import batch_holding_lead, post_lead


@pytest.mark.parametrize("backend", ["sqlite", "postgres"], indirect=True)
def test_an_inquiry_during_the_batch_gets_a_job_of_its_own(
        client: FlaskClient, db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    lead_id = post_lead(client, email="a@example.ie")
    errors: dict[str, BaseException] = {}
    # The batch has read the lead's facts and holds it; the second inquiry arrives now.
    with batch_holding_lead(db, lead_id, monkeypatch, errors) as arrived:
        arrived()
        post_lead(client, email="a@example.ie", message="I now have a job offer in Toronto.")
    assert not errors, errors

    with db.session() as session:
        jobs = session.scalars(select(Job).where(Job.lead_id == lead_id, Job.kind == "classify_lead")
                               .order_by(Job.id)).all()
    # The batch closed the first job on the old facts; the second inquiry's facts need a job of their own.
    assert [job.status for job in jobs] == ["done", "pending"]
    assert jobs[1].args["trigger"] == "new-inquiry"
