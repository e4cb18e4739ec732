"""The leads API as an integrator meets it: a parameter or a body it cannot use is a 400 naming the field,
never an answer to another question (the first page again, the open leads instead of `status=...`), and
a PATCH that is retried answers the same."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from crm.db import Database
from crm.models import Activity, Lead
from tests.web.conftest import Team, classify


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


BAD_PARAMETERS = [
    ("after", "garbage"), ("after", "eyJ4IjoxfQ"), ("limit", "0"), ("limit", "-1"), ("limit", "ten"),
    ("status", "contacetd"), ("scope", "everyone"), ("stream", "iec-workingholiday"), ("flag", "overdue"),
    ("language", "de"), ("nationality", "France"), ("consultant", "ana@firm.example"), ("from", "2026-02-30"),
    ("to", "yesterday"),
]


@pytest.mark.parametrize(("name", "value"), BAD_PARAMETERS)
def test_a_parameter_the_list_cannot_use_is_a_400_naming_it(team: Team, client: FlaskClient,
                                                            post_lead: Callable[..., str], name: str,
                                                            value: str) -> None:
    post_lead()
    response = client.get("/api/leads", query_string={name: value}, headers=auth(team.token))
    assert response.status_code == 400, (name, value, response.get_json())
    assert list(response.get_json()["errors"]) == [name]


def test_empty_and_valid_parameters_still_list(db: Database, team: Team, client: FlaskClient,
                                               post_lead: Callable[..., str]) -> None:
    lead_id = post_lead(citizenships=["France"])
    classify(db, lead_id, stream="francophone-mobility")
    # The shape docs/workspace.md shows, every parameter present and empty.
    empty = client.get("/api/leads?stream=&status=&nationality=&language=&consultant=&flag=&from=&to=&q="
                       "&scope=&limit=&after=", headers=auth(team.token))
    assert empty.status_code == 200 and [row["id"] for row in empty.get_json()["leads"]] == [lead_id]
    chosen = client.get("/api/leads", headers=auth(team.token), query_string={
        "stream": "francophone-mobility", "status": "any", "nationality": "fr", "language": "EN",
        "scope": "all", "from": "2020-01-01", "to": "2099-12-31", "limit": "500"})
    assert chosen.status_code == 200 and [row["id"] for row in chosen.get_json()["leads"]] == [lead_id]


@pytest.mark.parametrize("backend", ["sqlite", "postgres"], indirect=True)
def test_patch_refuses_an_unknown_status_and_an_empty_assignee(db: Database, team: Team, client: FlaskClient,
                                                               post_lead: Callable[..., str]) -> None:
    lead_id = post_lead()
    classify(db, lead_id, assignee_id=team.consultant_id)
    unknown = client.patch(f"/api/leads/{lead_id}", json={"status": "Contacted"}, headers=auth(team.token))
    assert unknown.status_code == 400 and "contacted" in unknown.get_json()["errors"]["status"][0]
    empty = client.patch(f"/api/leads/{lead_id}", json={"assignee": ""}, headers=auth(team.token))
    assert empty.status_code == 400 and list(empty.get_json()["errors"]) == ["assignee"]
    with db.transaction() as session:
        lead = session.get(Lead, lead_id)
        assert lead is not None and lead.assignee_id == team.consultant_id and lead.status == "classified"


@pytest.mark.parametrize("backend", ["sqlite", "postgres"], indirect=True)
def test_a_retried_status_change_answers_the_same(db: Database, team: Team, client: FlaskClient,
                                                  post_lead: Callable[..., str]) -> None:
    lead_id = post_lead()
    classify(db, lead_id, assignee_id=team.consultant_id)
    first = client.patch(f"/api/leads/{lead_id}", json={"status": "contacted"}, headers=auth(team.token))
    retried = client.patch(f"/api/leads/{lead_id}", json={"status": "contacted"}, headers=auth(team.token))
    assert first.status_code == retried.status_code == 200, retried.get_json()
    assert first.get_json() == retried.get_json()
    with db.transaction() as session:
        changes = session.scalars(select(Activity).where(Activity.lead_id == lead_id, Activity.kind == "status"))
        assert [change.summary for change in changes] == ["Status: classified → contacted"]
    # A move the table does not allow is still a conflict.
    assert client.patch(f"/api/leads/{lead_id}", json={"status": "received"},
                        headers=auth(team.token)).status_code == 409


def test_a_colleagues_lead_is_refused_on_the_lead_not_on_a_field_never_sent(
    db: Database, team: Team, client: FlaskClient, post_lead: Callable[..., str]
) -> None:
    lead_id = post_lead()
    classify(db, lead_id, assignee_id=team.other_id)
    refused = client.patch(f"/api/leads/{lead_id}", json={"status": "contacted"}, headers=auth(team.token))
    assert refused.status_code == 403 and list(refused.get_json()["errors"]) == ["id"]
