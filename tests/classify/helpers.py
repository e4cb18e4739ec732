"""Builders for the classification tests: leads through the real intake endpoint, rows counted."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from crm.db import Database, utcnow
from crm.models import Activity, Classification, Job, Lead


def post_lead(client: FlaskClient, **fields: Any) -> str:
    payload: dict[str, Any] = {"first_name": "Aoife", "email": "aoife@example.ie", "citizenships": ["Ireland"],
                               "date_of_birth": "1998-04-12", "interest": "work"}
    payload.update(fields)
    response = client.post("/api/leads", data=json.dumps(payload), content_type="application/json")
    assert response.status_code in (200, 201), response.get_data(as_text=True)
    return str(response.get_json()["id"])


def lead(db: Database, lead_id: str) -> Lead:
    with db.session() as session:
        found = session.get(Lead, lead_id)
        assert found is not None
        _ = found.flags  # load before the session closes
        return found


def classifications(db: Database, lead_id: str) -> list[Classification]:
    with db.session() as session:
        return list(session.scalars(select(Classification).where(Classification.lead_id == lead_id)
                                    .order_by(Classification.id)))


def activity_count(db: Database, lead_id: str, kind: str) -> int:
    with db.session() as session:
        return session.scalar(select(func.count()).select_from(Activity)
                              .where(Activity.lead_id == lead_id, Activity.kind == kind)) or 0


def jobs(db: Database, lead_id: str) -> list[Job]:
    with db.session() as session:
        return list(session.scalars(select(Job).where(Job.lead_id == lead_id).order_by(Job.id)))


@contextmanager
def batch_holding_lead(db: Database, lead_id: str, monkeypatch: pytest.MonkeyPatch,
                       errors: dict[str, BaseException]) -> Iterator[Callable[[], None]]:
    """A classification batch for `lead_id`, running in a thread and paused while it holds its leads.

    The body runs while the batch holds the lead (locked, facts read, round-robin not yet done) and
    calls the yielded `arrived()` when its competing transaction starts: the batch goes on half a second
    later, so that transaction runs into the batch's locks. On exit the batch has finished; an exception
    it raised is in errors["classification"].
    """
    from crm.classify import service

    holds_lead, other_arrived = threading.Event(), threading.Event()
    real_assign_many = service.assign_many

    def assign_many_after_the_other_arrived(*args: Any, **kwargs: Any) -> Any:
        holds_lead.set()
        other_arrived.wait(10)
        time.sleep(0.5)
        return real_assign_many(*args, **kwargs)

    monkeypatch.setattr(service, "assign_many", assign_many_after_the_other_arrived)

    def classification() -> None:
        try:
            with db.session() as session, session.begin():
                service.classify_pending(session, lead_id, "intake", utcnow())
        except BaseException as exc:  # reported through `errors`
            errors["classification"] = exc

    thread = threading.Thread(target=classification)
    thread.start()
    try:
        assert holds_lead.wait(10), "the batch never reached the round-robin"
        yield other_arrived.set
    finally:
        other_arrived.set()
        thread.join(60)
