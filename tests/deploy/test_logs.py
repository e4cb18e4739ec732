"""Structured logs: request and lead ids on every line, and no lead's personal data in any line."""

from __future__ import annotations

import json
import logging

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from crm.db import Database
from crm.observability import logs

PEOPLE = [
    {"first_name": "Siobhan", "last_name": "Quarrington", "email": "siobhan.quarrington@example.ie",
     "phone": "+353 87 555 0142", "message": "Tell me about the Working Holiday, my passport no is X1234567"},
    {"first_name": "Maëlle", "last_name": "Vandenbroucke", "email": "maelle.vdb@exemple.fr",
     "phone": "+33 6 12 34 56 78", "message": "Je cherche un permis de travail ouvert"},
]


def personal_values() -> list[str]:
    values = []
    for person in PEOPLE:
        values += [person["first_name"], person["last_name"], person["email"], person["email"].split("@")[0],
                   person["phone"], person["message"][:20]]
    return values


def formatted(records: list[logging.LogRecord]) -> list[str]:
    """Each record as the JSON and the text formatter write it, plus its raw message and extras."""
    lines = []
    context = logs.ContextFilter()
    for record in records:
        context.filter(record)
        lines.append(logs.SafeJsonFormatter().format(record))
        lines.append(logs.SafeTextFormatter().format(record))
    return lines


def test_posting_leads_logs_ids_and_no_personal_data(client: FlaskClient, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    # Given new leads, a replay, a duplicate person and an invalid submission
    statuses = []
    for person in PEOPLE:
        body = {**person, "citizenships": ["Ireland"]}
        statuses.append(client.post("/api/leads", json=body).status_code)
        statuses.append(client.post("/api/leads", json=body).status_code)
        statuses.append(client.post("/api/leads", json={**body, "message": "again"}).status_code)
        statuses.append(client.post("/api/leads", json={**body, "email": person["email"] + ".."}).status_code)
    assert statuses == [201, 200, 201, 422] * 2

    lines = formatted(caplog.records)
    assert any('"lead received"' in line for line in lines)
    # Then no line carries a name, an address, a phone number or a message
    leaks = [(value, line) for line in lines for value in personal_values() if value.lower() in line.lower()]
    assert not leaks, leaks[:3]


def test_the_intake_line_carries_the_request_and_lead_ids(client: FlaskClient,
                                                           caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    response = client.post("/api/leads", json={**PEOPLE[0], "citizenships": ["IE"]},
                           headers={"X-Request-ID": "edge-proxy-1234"})
    assert response.headers["X-Request-ID"] == "edge-proxy-1234"
    record = next(r for r in caplog.records if r.getMessage() == "lead received")
    line = json.loads(formatted([record])[0])
    assert line["request_id"] == "edge-proxy-1234"
    assert line["lead_id"] == response.get_json()["id"]
    assert line["level"] == "INFO" and line["logger"] == "crm.requests"


def test_an_unusable_request_id_is_replaced(client: FlaskClient) -> None:
    response = client.get("/healthz", headers={"X-Request-ID": "bad id with spaces"})
    assert response.headers["X-Request-ID"] != "bad id with spaces"
    assert len(response.headers["X-Request-ID"]) == 16
    assert client.get("/healthz").headers["X-Request-ID"] != response.headers["X-Request-ID"]


@pytest.mark.parametrize("backend", ["sqlite", "postgres"], indirect=True)
def test_database_errors_are_logged_without_their_values(app: Flask, db: Database) -> None:
    # A unique violation echoes the duplicate value (psycopg: "Key (email_key)=(...) already exists").
    email = PEOPLE[0]["email"]
    with db.transaction() as session:
        session.execute(text("CREATE TABLE leak_probe (email VARCHAR(320) UNIQUE)"))
    with db.transaction() as session:
        session.execute(text("INSERT INTO leak_probe (email) VALUES (:e)"), {"e": email})
    with pytest.raises(IntegrityError) as caught, db.transaction() as session:
        session.execute(text("INSERT INTO leak_probe (email) VALUES (:e)"), {"e": email})
    assert email in str(caught.value)  # the raw exception does carry it ...
    record = logging.LogRecord("crm", logging.ERROR, __file__, 1, "insert failed", None,
                               (type(caught.value), caught.value, caught.value.__traceback__))
    for line in formatted([record]):  # ... the log line does not
        assert email not in line
        assert "IntegrityError" in line and "message withheld" in line
        assert "INSERT INTO leak_probe" in line


def test_addresses_in_messages_are_masked() -> None:
    record = logging.LogRecord("x", logging.WARNING, __file__, 1, "bounce for %s", ("aoife@example.ie",), None)
    for line in formatted([record]):
        assert "aoife@example.ie" not in line and "<email>" in line


def test_json_lines_are_one_object_per_line() -> None:
    record = logging.LogRecord("crm.test", logging.INFO, __file__, 1, "two\nlines", None, None)
    with logs.bound(request_id="r-123456789", lead_id="lead-1"):
        line = formatted([record])[0]
    assert "\n" not in line
    data = json.loads(line)
    assert data["message"] == "two\nlines" and data["request_id"] == "r-123456789" and data["lead_id"] == "lead-1"
