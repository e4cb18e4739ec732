"""The leads API: bearer tokens, the contract's GET /api/leads/<id> shape, list filters and PATCH."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from crm.db import Database
from crm.models import ApiToken, Lead
from crm.workspace import accounts
from tests.web.conftest import Team, classify, enrol

# The contract's keys (docs/intake-contract.md), plus message_citizenships (additive: the citizenships read
# from the message, which GET /api/leads?nationality= matches), right after the form's.
CONTRACT_KEYS = ["id", "status", "email", "first_name", "citizenships", "message_citizenships",
                 "preferred_language", "classification", "sequence"]


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.mark.parametrize("backend", ["sqlite", "postgres"], indirect=True)
def test_get_lead_has_exactly_the_contract_shape(db: Database, team: Team, client: FlaskClient,
                                                  post_lead: Callable[..., str]) -> None:
    lead_id = post_lead(citizenships=["France"], preferred_language="fr")
    before = client.get(f"/api/leads/{lead_id}", headers=auth(team.token)).get_json()
    assert list(before) == CONTRACT_KEYS
    assert before["classification"] is None and before["sequence"] is None
    assert before["status"] == "received" and before["citizenships"] == ["FR"] and before["preferred_language"] == "fr"

    classify(db, lead_id, flags=["age-out-soon"])
    enrol(db, lead_id)
    body = client.get(f"/api/leads/{lead_id}", headers=auth(team.token)).get_json()
    assert list(body) == CONTRACT_KEYS
    c = body["classification"]
    assert list(c) == ["primary_stream", "lead_type", "candidates", "score", "flags", "ruleset", "classified_at"]
    assert c["primary_stream"] == "iec-working-holiday" and c["ruleset"] == "2026.11-test"
    assert c["flags"] == ["age-out-soon"]
    assert list(c["candidates"][0]) == ["stream", "exemption_code", "verdict", "reasons", "missing"]
    assert list(body["sequence"]) == ["name", "status", "next_send_at"]
    assert body["sequence"]["status"] == "active" and body["sequence"]["next_send_at"]


def test_tokens_are_required_and_stored_hashed(db: Database, team: Team, client: FlaskClient,
                                               post_lead: Callable[..., str]) -> None:
    lead_id = post_lead()
    assert client.get(f"/api/leads/{lead_id}").status_code == 401
    assert client.get(f"/api/leads/{lead_id}", headers=auth("crm_wrong")).status_code == 401
    assert client.get(f"/api/leads/{lead_id}", headers={"Authorization": f"Basic {team.token}"}).status_code == 401
    with db.transaction() as session:
        stored = session.scalars(select(ApiToken.token_hash)).all()
        assert team.token not in stored and accounts.token_hash(team.token) in stored
        accounts.deactivate_user(session, session.get(accounts.User, team.consultant_id))
    assert client.get(f"/api/leads/{lead_id}", headers=auth(team.token)).status_code == 401


def test_list_uses_the_queue_filters(db: Database, team: Team, client: FlaskClient,
                                     post_lead: Callable[..., str]) -> None:
    a, b = post_lead(), post_lead(citizenships=["France"])
    classify(db, a, stream="entrepreneur", score=10)
    classify(db, b, stream="francophone-mobility", score=80)
    body = client.get("/api/leads", headers=auth(team.token)).get_json()
    assert [row["id"] for row in body["leads"]] == [b, a] and body["next"] is None
    body = client.get("/api/leads?stream=entrepreneur", headers=auth(team.token)).get_json()
    assert [row["id"] for row in body["leads"]] == [a]
    page = client.get("/api/leads?limit=1", headers=auth(team.token)).get_json()
    assert len(page["leads"]) == 1 and page["next"]
    rest = client.get(f"/api/leads?limit=1&after={page['next']}", headers=auth(team.token)).get_json()
    assert [row["id"] for row in rest["leads"]] == [a]


@pytest.mark.parametrize("backend", ["sqlite", "postgres"], indirect=True)
def test_patch_status_and_assignment(db: Database, team: Team, client: FlaskClient,
                                     post_lead: Callable[..., str]) -> None:
    lead_id = post_lead()
    classify(db, lead_id)
    ok = client.patch(f"/api/leads/{lead_id}", json={"status": "contacted", "assignee": "ana@firm.example"},
                      headers=auth(team.token))
    assert ok.status_code == 200 and ok.get_json()["status"] == "contacted"
    with db.transaction() as session:
        assert session.get(Lead, lead_id).assignee_id == team.consultant_id
    bad = client.patch(f"/api/leads/{lead_id}", json={"status": "received"}, headers=auth(team.token))
    assert bad.status_code == 409 and "status" in bad.get_json()["errors"]
    colleague = client.patch(f"/api/leads/{lead_id}", json={"assignee": "omar@firm.example"},
                             headers=auth(team.token))
    assert colleague.status_code == 403
    assert client.patch(f"/api/leads/{lead_id}", json={"name": "x"}, headers=auth(team.token)).status_code == 400
    assert client.patch(f"/api/leads/{lead_id}", data="nope", headers=auth(team.token)).status_code == 400
    assert client.patch("/api/leads/missing", json={"status": "lost"}, headers=auth(team.token)).status_code == 404
    released = client.patch(f"/api/leads/{lead_id}", json={"assignee": None}, headers=auth(team.token))
    assert released.status_code == 200
