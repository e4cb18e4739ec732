"""Builders for the classification tests: leads through the real intake endpoint, rows counted."""

from __future__ import annotations

import json
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import func, select

from crm.db import Database
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
