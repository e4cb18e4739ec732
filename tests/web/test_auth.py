"""Sign-in, sign-out, password change, rate limiting, no user enumeration, cookies and headers."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask

from crm.config import Settings
from crm.db import Database
from crm.workspace import WorkspaceError, accounts
from tests.conftest import make_app
from tests.web.conftest import PASSWORD, Browser, Team, csrf_from


def test_it_signs_in_and_out(browser_for: Callable[[str | None], Browser]) -> None:
    browser = browser_for(None)
    response = browser.login("ana@firm.example")
    assert response.status_code == 302 and response.headers["Location"].endswith("/leads")
    assert browser.get("/leads").status_code == 200
    assert browser.get("/login").headers["Location"] == "/leads"  # already signed in
    response = browser.post("/logout")
    assert response.status_code == 302
    assert browser.get("/leads").status_code == 302  # back to the login page


def test_it_gives_one_answer_for_unknown_email_and_wrong_password(browser_for: Callable[[str | None], Browser],
                                                                     team: Team) -> None:
    browser = browser_for(None)
    unknown = browser.login("nobody@firm.example", PASSWORD)
    wrong = browser.login("ana@firm.example", "wrong password!!")
    assert unknown.status_code == wrong.status_code == 401
    def strip(html: str) -> str:
        return html.replace("nobody@firm.example", "").replace("ana@firm.example", "").replace(
            csrf_from(html), "")
    assert strip(unknown.get_data(as_text=True)) == strip(wrong.get_data(as_text=True))


def test_a_deactivated_user_cannot_sign_in_and_their_leads_return_to_the_pool(
        db: Database, browser_for: Callable[[str | None], Browser], team: Team,
        post_lead: Callable[..., str]) -> None:
    from tests.web.conftest import classify

    lead_id = post_lead()
    classify(db, lead_id, assignee_id=team.other_id)
    with db.transaction() as session:
        user = session.get(accounts.User, team.other_id)
        assert accounts.deactivate_user(session, user) == 1
    browser = browser_for(None)
    assert browser.login("omar@firm.example").status_code == 401
    with db.transaction() as session:
        assert session.get(accounts.Lead, lead_id).assignee_id is None


def test_the_next_parameter_never_leaves_the_site(browser_for: Callable[[str | None], Browser]) -> None:
    browser = browser_for(None)
    page = browser.get("/login")
    response = browser.client.post("/login", data={"email": "ana@firm.example", "password": PASSWORD,
                                                   "next": "//evil.example/x",
                                                   "csrf_token": csrf_from(page.get_data(as_text=True))})
    assert response.headers["Location"] == "/leads"


def test_forms_without_a_csrf_token_are_refused(consultant: Browser) -> None:
    assert consultant.client.post("/logout").status_code == 400
    assert consultant.client.post("/account", data={"action": "language", "ui_language": "fr"}).status_code == 400


def test_password_change(db: Database, consultant: Browser, browser_for: Callable[[str | None], Browser]) -> None:
    bad = consultant.post("/account", {"action": "password", "current_password": "nope nope nope",
                                       "new_password": "a new password 1", "confirm_password": "a new password 1"})
    assert bad.status_code == 422
    short = consultant.post("/account", {"action": "password", "current_password": PASSWORD,
                                         "new_password": "short", "confirm_password": "short"})
    assert short.status_code == 422
    ok = consultant.post("/account", {"action": "password", "current_password": PASSWORD,
                                      "new_password": "a new password 1", "confirm_password": "a new password 1"})
    assert ok.status_code == 302
    fresh = browser_for(None)
    assert fresh.login("ana@firm.example").status_code == 401
    assert fresh.login("ana@firm.example", "a new password 1").status_code == 302


def test_login_is_rate_limited(settings: Settings, db: Database, team: Team) -> None:
    app: Flask = make_app(settings, db, rate_limit="100/minute")
    browser = Browser(app.test_client())
    statuses = [browser.login("ana@firm.example", f"wrong password {i}").status_code for i in range(7)]
    assert statuses[:5] == [401] * 5
    assert statuses[-1] == 429


def test_session_cookie_flags_and_security_headers(settings: Settings, db: Database, team: Team) -> None:
    production = make_app(settings, db, env="production")
    browser = Browser(production.test_client())
    response = browser.login("ana@firm.example")
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" in cookie
    page = browser.get("/login")
    csp = page.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp
    assert page.headers["X-Content-Type-Options"] == "nosniff"
    assert page.headers["X-Frame-Options"] == "DENY"


def test_interface_language_follows_the_user_and_the_query(consultant: Browser) -> None:
    assert "Déconnexion" in consultant.get("/leads?lang=fr").get_data(as_text=True)
    assert "Sign out" in consultant.get("/leads?lang=en").get_data(as_text=True)
    consultant.post("/account", {"action": "language", "ui_language": "fr"})
    assert "Déconnexion" in consultant.get("/leads").get_data(as_text=True)


def test_error_pages_speak_to_a_consultant(team: Team, consultant: Browser) -> None:
    html = {"Accept": "text/html"}  # a browser (API clients get JSON errors)
    forbidden = consultant.get("/admin/users", headers=html)
    assert forbidden.status_code == 403
    assert "This page is for admins." in forbidden.get_data(as_text=True)
    assert "read-protected or not readable by the server" not in forbidden.get_data(as_text=True)
    missing = consultant.get("/leads/no-such-lead", headers=html)
    assert missing.status_code == 404 and "Back to the queue" in missing.get_data(as_text=True)
    assert "If you entered the URL manually" not in missing.get_data(as_text=True)


def test_a_password_of_only_spaces_is_refused(db: Database) -> None:
    with db.transaction() as session, pytest.raises(WorkspaceError, match="only spaces"):
        accounts.create_user(session, "spaces@firm.example", "consultant", " " * 12)
