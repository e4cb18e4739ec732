"""A new inquiry from a known lead while a classification batch holds that lead."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from crm.classify import service
from crm.classify.service import classify_pending
from crm.db import Database, utcnow
from crm.models import Job
from tests.classify.helpers import post_lead


@pytest.mark.parametrize("backend", ["sqlite", "postgres"], indirect=True)
def test_an_inquiry_during_the_batch_gets_a_job_of_its_own(
        client: FlaskClient, db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    lead_id = post_lead(client, email="a@example.ie")
    batch_holds_lead, inquiry_started = threading.Event(), threading.Event()
    real_assign_many = service.assign_many

    def assign_many_after_the_inquiry_started(*args: Any, **kwargs: Any) -> Any:
        # The batch has read the lead's facts and holds it; the second inquiry arrives now.
        batch_holds_lead.set()
        inquiry_started.wait(10)
        time.sleep(0.5)
        return real_assign_many(*args, **kwargs)

    monkeypatch.setattr(service, "assign_many", assign_many_after_the_inquiry_started)
    errors: dict[str, BaseException] = {}

    def classification() -> None:
        try:
            with db.session() as session, session.begin():
                classify_pending(session, lead_id, "intake", utcnow())
        except BaseException as exc:  # reported by the assertion below
            errors["classification"] = exc

    thread = threading.Thread(target=classification)
    thread.start()
    assert batch_holds_lead.wait(10)
    inquiry_started.set()
    post_lead(client, email="a@example.ie", message="I now have a job offer in Toronto.")
    thread.join(60)
    assert not errors, errors

    with db.session() as session:
        jobs = session.scalars(select(Job).where(Job.lead_id == lead_id, Job.kind == "classify_lead")
                               .order_by(Job.id)).all()
    # The batch closed the first job on the old facts; the second inquiry's facts need a job of their own.
    assert [job.status for job in jobs] == ["done", "pending"]
    assert jobs[1].args["trigger"] == "new-inquiry"
