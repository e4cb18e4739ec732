"""Fixtures for the workspace: three users (admin, consultant, another consultant), signed-in clients,
leads posted through the real intake endpoint, and classification / sequence rows written directly."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from crm.db import Database, utcnow
from crm.models import Classification, Delivery, Enrolment, Lead, LeadFlag, ScheduledStep
from crm.workspace import accounts

PASSWORD = "correct horse battery"


@dataclass
class Team:
    admin_id: int
    consultant_id: int
    other_id: int
    token: str  # an API token of the consultant


@pytest.fixture
def team(db: Database) -> Team:
    with db.transaction() as session:
        admin = accounts.create_user(session, "admin@firm.example", "admin", PASSWORD)
        consultant = accounts.create_user(session, "ana@firm.example", "consultant", PASSWORD, languages=["fr"])
        other = accounts.create_user(session, "omar@firm.example", "consultant", PASSWORD)
        token = accounts.create_token(session, consultant, "tests")
        return Team(admin.id, consultant.id, other.id, token)


def csrf_from(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "no CSRF token in the page"
    return match.group(1)


class Browser:
    """A test client that signs in and posts forms with their CSRF token, like a browser."""

    def __init__(self, client: FlaskClient) -> None:
        self.client = client

    def login(self, email: str, password: str = PASSWORD) -> Any:
        page = self.client.get("/login")
        return self.client.post("/login", data={"email": email, "password": password,
                                                "csrf_token": csrf_from(page.get_data(as_text=True))})

    def token(self) -> str:
        return csrf_from(self.client.get("/account").get_data(as_text=True))

    def post(self, path: str, data: dict[str, Any] | None = None, **kwargs: Any) -> Any:
        return self.client.post(path, data={**(data or {}), "csrf_token": self.token()}, **kwargs)

    def get(self, path: str, **kwargs: Any) -> Any:
        return self.client.get(path, **kwargs)


@pytest.fixture
def browser_for(app: Flask, team: Team) -> Callable[[str | None], Browser]:
    def make(email: str | None) -> Browser:
        browser = Browser(app.test_client())
        if email:
            response = browser.login(email)
            assert response.status_code == 302, response.get_data(as_text=True)
        return browser

    return make


@pytest.fixture
def admin(browser_for: Callable[[str | None], Browser]) -> Browser:
    return browser_for("admin@firm.example")


@pytest.fixture
def consultant(browser_for: Callable[[str | None], Browser]) -> Browser:
    return browser_for("ana@firm.example")


@pytest.fixture
def other(browser_for: Callable[[str | None], Browser]) -> Browser:
    return browser_for("omar@firm.example")


@pytest.fixture
def post_lead(client: FlaskClient) -> Callable[..., str]:
    counter = {"n": 0}

    def post(**fields: Any) -> str:
        counter["n"] += 1
        body = {"first_name": "Aoife", "last_name": "Murphy", "email": f"aoife{counter['n']}@example.ie",
                "citizenships": ["Ireland"], "age": 27, "interest": "work", **fields}
        response = client.post("/api/leads", json=body)
        assert response.status_code == 201, response.get_data(as_text=True)
        return str(response.get_json()["id"])

    return post


def classify(db: Database, lead_id: str, stream: str = "iec-working-holiday", score: int = 50,
             flags: list[str] | None = None, assignee_id: int | None = None, **candidate: Any) -> None:
    """What the classification helper writes: a current Classification, and the lead's columns."""
    with db.transaction() as session:
        lead = session.get(Lead, lead_id)
        assert lead is not None
        for old in session.query(Classification).filter_by(lead_id=lead_id, is_current=True):
            old.is_current = False
        session.add(Classification(
            lead_id=lead_id, ruleset_version="2026.11-test", primary_stream=stream, lead_type="worker",
            score=score, score_reasons=["age 27: two years before the IEC limit"], flags=flags or [],
            candidates=[{"stream": stream, "exemption_code": "C21", "verdict": "likely",
                         "reasons": candidate.get("reasons", ["Irish citizen aged 18-35"]),
                         "missing": candidate.get("missing", ["proof of funds"]), "confidence": 0.8}],
            assignment_reason="round robin", trigger="intake"))
        lead.status, lead.primary_stream, lead.score, lead.lead_type = "classified", stream, score, "worker"
        lead.classified_at = utcnow()
        lead.assignee_id = assignee_id
        for flag in flags or []:
            session.add(LeadFlag(lead_id=lead_id, flag=flag))


def enrol(db: Database, lead_id: str, sent_subject: str = "Welcome", failed: bool = False) -> None:
    """An active enrolment with one sent step and one scheduled (the email helper's rows)."""
    now = utcnow()
    with db.transaction() as session:
        lead = session.get(Lead, lead_id)
        assert lead is not None
        enrolment = Enrolment(lead_id=lead_id, sequence="iec-working-holiday", language="en", status="active",
                              enrolled_at=now - timedelta(days=1))
        session.add(enrolment)
        session.flush()
        first = ScheduledStep(enrolment_id=enrolment.id, lead_id=lead_id, step_index=0,
                              content_key="answer:iec-working-holiday",
                              template="answer-iec", due_at=now - timedelta(days=1),
                              status="failed" if failed else "sent")
        second = ScheduledStep(enrolment_id=enrolment.id, lead_id=lead_id, step_index=1,
                               content_key="documents:iec-working-holiday", template="documents",
                               due_at=now + timedelta(days=2), status="scheduled")
        session.add_all([first, second])
        session.flush()
        session.add(Delivery(lead_id=lead_id, step_id=first.id, content_key="answer:iec-working-holiday",
                             sequence="iec-working-holiday", template="answer-iec", language="en",
                             status="failed" if failed else "sent", to_address=lead.email,
                             subject=sent_subject, text_body=f"Hello {lead.first_name}",
                             html_body=f"<p>Hello {lead.first_name}</p>",
                             sent_at=None if failed else now - timedelta(days=1),
                             error="550 mailbox unavailable" if failed else None))
