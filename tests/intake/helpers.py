"""Small builders shared by the intake tests."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

from flask.testing import FlaskClient
from sqlalchemy import func, select
from werkzeug.test import TestResponse

from crm.db import Database
from crm.models import ConsentRecord, Inquiry, Job, Lead


def lead_payload(**overrides: Any) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "first_name": "Aoife",
        "last_name": "Murphy",
        "email": "aoife.murphy@example.ie",
        "phone": "+353 85 123 4567",
        "citizenships": ["Ireland"],
        "country_of_residence": "Ireland",
        "date_of_birth": "1998-04-12",
        "preferred_language": "en",
        "interest": "work",
        "occupation": "Nurse",
        "message": "I'd like to work in Vancouver for a year.",
        "consent_marketing": True,
        "consent_text": "Yes, send me emails about work permits.",
        "source_url": "https://maple-route.example/contact",
        "utm_source": "google",
    }
    payload.update(overrides)
    return payload


def post_json(client: FlaskClient, payload: Any, headers: dict[str, str] | None = None) -> TestResponse:
    return client.post("/api/leads", data=json.dumps(payload), content_type="application/json",
                       headers=headers or {})


def post_form(client: FlaskClient, pairs: list[tuple[str, str]] | dict[str, str],
              headers: dict[str, str] | None = None) -> TestResponse:
    return client.post("/api/leads", data=urlencode(pairs), content_type="application/x-www-form-urlencoded",
                       headers=headers or {})


def counts(db: Database) -> dict[str, int]:
    with db.session() as session:
        return {
            "leads": session.scalar(select(func.count()).select_from(Lead)) or 0,
            "inquiries": session.scalar(select(func.count()).select_from(Inquiry)) or 0,
            "consents": session.scalar(select(func.count()).select_from(ConsentRecord)) or 0,
            "jobs": session.scalar(select(func.count()).select_from(Job)) or 0,
        }
