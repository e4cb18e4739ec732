"""Every route of the workspace, for each kind of caller: admin, consultant (the lead's owner), another
consultant, anonymous, and an API token without a session.

EXPECTED lists every endpoint; a new route without a row here fails the coverage test.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from crm.db import Database
from crm.models import Delivery, Inquiry, Lead
from tests.web.conftest import Browser, Team, classify, csrf_from, enrol

WORKSPACE_BLUEPRINTS = {"auth", "queue", "lead", "dashboard", "admin", "leads_api"}
OK = {200, 302}

# endpoint -> who may use it: "public", "user" (any signed-in user), "owner" (a signed-in user who may
# act on the lead: its consultant or an admin; others are refused), "admin", "token".
EXPECTED: dict[str, str] = {
    "auth.login": "public",
    "auth.favicon": "public",
    "auth.logout": "user",
    "auth.account": "user",
    "queue.home": "user",
    "queue.index": "user",
    "queue.counts": "user",
    "queue.export_csv": "user",
    "queue.bulk": "owner",
    "lead.show": "user",
    "lead.raw_inquiry": "user",
    "lead.delivery_html": "user",
    "lead.preview_html": "user",
    "lead.act_note": "user",
    "lead.act_claim": "owner",
    "lead.act_status": "owner",
    "lead.act_assign": "owner",
    "lead.act_reclassify": "owner",
    "lead.act_sequence": "owner",
    "lead.export_json": "admin",
    "lead.erase": "admin",
    "dashboard.index": "admin-or-user",
    "admin.users": "admin",
    "admin.create_user": "admin",
    "admin.coverage": "admin",
    "admin.deactivate": "admin",
    "admin.reactivate": "admin",
    "admin.create_token": "admin",
    "leads_api.list_leads": "token",
    "leads_api.get_lead": "token",
    "leads_api.patch_lead": "token",
}
ROLES = ("anonymous", "admin", "consultant", "other", "token")


def workspace_rules(app: Flask) -> list[tuple[str, str, str]]:
    found = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint.split(".")[0] in WORKSPACE_BLUEPRINTS:
            for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
                found.append((rule.endpoint, rule.rule, method))
    return found


def test_every_workspace_route_is_in_the_matrix(app: Flask) -> None:
    assert {endpoint for endpoint, _, _ in workspace_rules(app)} == set(EXPECTED)


@pytest.fixture
def world(db: Database, team: Team, post_lead: Callable[..., str]) -> dict[str, Any]:
    lead_id = post_lead()
    classify(db, lead_id, assignee_id=team.consultant_id)
    enrol(db, lead_id)
    with db.transaction() as session:
        inquiry_id = session.scalars(select(Inquiry.id).where(Inquiry.lead_id == lead_id)).one()
        delivery_id = session.scalars(select(Delivery.id).where(Delivery.lead_id == lead_id)).one()
    return {"lead_id": lead_id, "inquiry_id": inquiry_id, "delivery_id": delivery_id, "user_id": team.other_id,
            "step": 1}


FORMS = {
    "lead.act_note": {"note": "matrix"}, "lead.act_status": {"status": "lost"},
    "lead.act_assign": {"assignee": "none"}, "lead.act_sequence": {"do": "pause"},
    "lead.erase": {"confirm": "no"}, "admin.create_user": {"email": "x"}, "queue.bulk": {"action": "status",
                                                                                         "status": "lost"},
}


@pytest.mark.parametrize("role", ROLES)
def test_access_matrix(role: str, app: Flask, db: Database, team: Team, world: dict[str, Any],
                       browser_for: Callable[[str | None], Browser]) -> None:
    emails = {"admin": "admin@firm.example", "consultant": "ana@firm.example", "other": "omar@firm.example"}
    browser = browser_for(emails.get(role))
    # Anonymous callers get a valid CSRF token too (from the login page), so that the check under test
    # is the login check, not the CSRF one.
    csrf = browser.token() if role in emails else csrf_from(browser.get("/login").get_data(as_text=True))
    failures = []
    for endpoint, rule, method in workspace_rules(app):
        path = rule
        for name, value in world.items():
            path = path.replace(f"<{name}>", str(value)).replace(f"<int:{name}>", str(value))
        data = {**FORMS.get(endpoint, {}), "csrf_token": csrf}
        if endpoint == "queue.bulk":
            data["lead_ids"] = world["lead_id"]
        headers = {"Authorization": f"Bearer {team.token}"} if role == "token" else {}
        if endpoint == "auth.logout":
            continue  # checked last: it ends the session
        if method == "PATCH":
            response = browser.client.open(path, method=method, json={"status": "contacted"}, headers=headers)
        elif method == "POST":
            response = browser.client.post(path, data=data, headers=headers)
        else:
            response = browser.client.get(path, headers=headers)
        response.get_data()  # consume streamed bodies (the CSV export) as a browser would
        response.close()
        status, location = response.status_code, response.headers.get("Location", "")
        kind = EXPECTED[endpoint]
        if kind == "public":
            ok = status in OK | {401}
        elif kind == "token":
            ok = status in {200, 409} if role == "token" else status == 401
        elif role in ("anonymous", "token"):
            ok = status == 302 and "/login" in location
        elif kind == "admin":
            ok = status in OK | {422} if role == "admin" else status == 403
        else:
            ok = status in OK
        if not ok:
            failures.append(f"{role} {method} {path}: {status} {location}")
    assert not failures, "\n".join(failures)
    with db.transaction() as session:
        lead = session.get(Lead, world["lead_id"])
        if role in ("other", "anonymous", "token"):
            # Refused: another consultant's status change, assignment and sequence actions did nothing
            # (the token's PATCH acts as the consultant who owns the lead, so it may change the status).
            assert lead.assignee_id == team.consultant_id
            if role != "token":
                assert lead.status == "classified"
    if role in emails:
        assert browser.post("/logout").status_code == 302
        assert browser.get("/leads").status_code == 302
