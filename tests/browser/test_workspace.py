"""The consultant workspace in a real browser (Playwright driving Debian's Chromium).

The app is served by the test on loopback with a file SQLite database. The flow: sign in, see the
queue, filter by stream, open a lead, add a note, preview an email, pause the sequence, change the
status, export CSV, see the dashboard's charts, sign out. Screenshots of the main pages are taken on
every run; with CRM_UPDATE_SCREENSHOTS=1 they replace those in docs/screenshots/ (shown in the README),
otherwise they go to the test's temporary directory so that a test run leaves the tree clean.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient
from werkzeug.serving import make_server

from crm import create_app
from crm.config import PROJECT_ROOT, Settings
from crm.db import Database, utcnow
from crm.models import Lead
from crm.workspace import accounts
from tests import services
from tests.conftest import RecordingDispatcher
from tests.web.conftest import PASSWORD, classify, enrol

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = PROJECT_ROOT / "docs" / "screenshots"
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
               "--disable-sync", "--no-first-run"]

DEMO = [
    # first, last, email, citizenship, stream, score, flags, hours waiting, language
    ("Aoife", "Murphy", "aoife@example.ie", "Ireland", "iec-working-holiday", 92, ["age-out-soon"], 30, "en"),
    ("Camille", "Lefèvre", "camille@example.fr", "France", "francophone-mobility", 88, [], 3, "fr"),
    ("Lucas", "Moreau", "lucas@example.be", "Belgium", "francophone-mobility", 74, [], 52, "fr"),
    ("Sofia", "García", "sofia@example.mx", "Mexico", "free-trade-professional", 81, [], 6, "en"),
    ("Kenji", "Tanaka", "kenji@example.jp", "Japan", "intra-company-transferee", 77, [], 12, "en"),
    ("Emma", "Schmidt", "emma@example.de", "Germany", "iec-young-professionals", 69, [], 80, "en"),
    ("Noah", "Williams", "noah@example.au", "Australia", "iec-working-holiday", 64, ["age-out-soon"], 2, "en"),
    ("Priya", "Sharma", "priya@example.in", "India", "spousal-open-work-permit", 58, [], 20, "en"),
    ("Tom", "O'Brien", "tom@example.co.uk", "United Kingdom", "entrepreneur", 45, ["needs-review"], 100, "en"),
    ("Min-jun", "Kim", "minjun@example.kr", "South Korea", "needs-review", 30, ["needs-review"], 4, "en"),
]


def _chromium() -> None:
    if not CHROMIUM.exists():
        if services.in_ci():
            pytest.fail("/usr/bin/chromium is missing: under CI the browser tests must run (see .ci/run)")
        pytest.skip("/usr/bin/chromium is not installed")


@pytest.fixture
def server(settings: Settings, db: Database, client: FlaskClient) -> Iterator[str]:
    _chromium()
    with db.transaction() as session:
        accounts.create_user(session, "ana@firm.example", "consultant", PASSWORD, name="Ana")
        accounts.create_user(session, "admin@firm.example", "admin", PASSWORD)
    for first, last, email, country, stream, score, flags, hours, lang in DEMO:
        response = client.post("/api/leads", json={
            "first_name": first, "last_name": last, "email": email, "citizenships": [country], "age": 28,
            "preferred_language": lang, "interest": "work", "consent_marketing": True,
            "consent_text": "I agree to receive emails", "message": "I would like to work in Canada next year."})
        lead_id = response.get_json()["id"]
        classify(db, lead_id, stream=stream, score=score, flags=flags,
                 reasons=[f"Citizen of {country}, aged 28", "Wants to work in Canada within a year"],
                 missing=["Job offer details"] if stream != "iec-working-holiday" else ["Proof of funds"])
        with db.transaction() as session:
            lead = session.get(Lead, lead_id)
            lead.last_inquiry_at = lead.first_inquiry_at = utcnow() - timedelta(hours=hours)
        if stream != "needs-review":
            enrol(db, lead_id, sent_subject=f"{first}, your options for working in Canada")
    app = create_app(settings, database=db, dispatcher=RecordingDispatcher())
    http = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=http.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{http.server_port}"
    http.shutdown()
    thread.join(timeout=10)


@pytest.fixture
def page(server: str, tmp_path: Path) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        context = browser.new_context(viewport={"width": 1280, "height": 860}, accept_downloads=True,
                                      base_url=server)
        page = context.new_page()
        page.console_errors = []  # type: ignore[attr-defined]
        page.screenshot_dir = tmp_path / "screenshots"  # type: ignore[attr-defined]
        # CSP violations and script errors show as console errors; failed loads are checked by URL.
        page.on("console", lambda m: m.type == "error" and not m.text.startswith("Failed to load resource")
                and page.console_errors.append(m.text))  # type: ignore
        page.on("response", lambda r: r.status >= 400 and not r.url.endswith("/favicon.ico")
                and page.console_errors.append(f"{r.status} {r.url}"))  # type: ignore
        yield page
        context.close()
        browser.close()


def shot(page: Any, name: str) -> None:
    folder = SCREENSHOTS if os.environ.get("CRM_UPDATE_SCREENSHOTS") == "1" else page.screenshot_dir
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 10_000  # a real rendering, not a blank page


def test_a_consultants_day(page: Any, tmp_path: Path) -> None:
    page.goto("/leads")
    assert "/login" in page.url  # signed out: sent to the login page
    shot(page, "login")
    page.fill("#email", "ana@firm.example")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/leads")

    rows = page.locator("table.queue tbody tr")
    assert rows.count() == len(DEMO)
    assert rows.first.locator("a").inner_text() == "Aoife Murphy"  # best score first
    assert page.locator("tr.overdue").count() >= 3
    page.wait_for_function("document.querySelector('[data-count-for=\"francophone-mobility\"]').textContent !== ''")
    assert page.locator("[data-count-for='francophone-mobility']").inner_text() == "2"
    shot(page, "queue")

    page.click("nav.stream-tabs a[data-stream='francophone-mobility']")
    page.wait_for_url("**stream=francophone-mobility**")
    names = page.locator("table.queue tbody tr td:nth-child(2) a").all_inner_texts()
    assert names == ["Camille Lefèvre", "Lucas Moreau"]

    page.click("text=Camille Lefèvre")
    page.wait_for_selector("h1:has-text('Camille Lefèvre')")
    assert page.locator(".meta .tag.stream").inner_text() == "Mobilité francophone"

    page.fill("#note", "Called, she prefers Montréal. Follow up Friday.")
    page.click("button:has-text('Save note')")
    page.wait_for_selector(".timeline .summary:has-text('prefers Montréal')")

    page.click("button:has-text('Pause sequence')")
    page.wait_for_selector("button:has-text('Resume sequence')")

    page.click("a:has-text('Preview emails')")
    page.wait_for_selector("#previews article.preview")
    assert page.locator("#previews article.preview").count() >= 2
    page.locator("#previews iframe.email-frame").first.wait_for()
    page.wait_for_load_state("load")
    shot(page, "lead")

    page.select_option("#status-target", "contacted")
    page.click("button:has-text('Change status')")
    page.wait_for_selector(".meta .status-contacted")

    page.goto("/leads?scope=all&status=any")
    with page.expect_download() as download_info:
        page.click("a:has-text('Export CSV')")
    csv_path = tmp_path / "leads.csv"
    download_info.value.save_as(csv_path)
    lines = csv_path.read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("id,first_name,last_name,email") and len(lines) == len(DEMO) + 1

    page.goto("/dashboard")
    charts = page.locator("svg.chart")
    assert charts.count() == 3
    assert page.locator("svg.chart rect").count() >= len(DEMO)
    assert page.locator("svg.chart").first.bounding_box()["height"] > 100
    shot(page, "dashboard")

    page.click("button:has-text('Sign out')")
    page.wait_for_url("**/login")
    page.goto("/leads")
    assert "/login" in page.url

    page.goto("/apply")
    shot(page, "apply")
    assert page.console_errors == []  # type: ignore[attr-defined]  (a CSP violation would show here)


def test_french_interface_and_small_screens(page: Any) -> None:
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/login?lang=fr")
    assert page.locator("h1").inner_text() == "Connexion"
    page.fill("#email", "admin@firm.example")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/leads")
    assert page.locator("h1").inner_text() == "Prospects"
    assert page.locator("a:has-text('Équipe')").count() == 1  # admins see the team tools
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 400  # no sideways scrolling of the whole page on a phone
    shot(page, "queue-mobile-fr")
    assert page.console_errors == []  # type: ignore[attr-defined]


def test_keyboard_only_sign_in(page: Any) -> None:
    page.goto("/login")
    page.keyboard.press("Tab")  # skip link
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.id || document.activeElement.textContent")
    assert focused  # something visible is focusable from the keyboard
    page.focus("#email")
    page.keyboard.type("ana@firm.example")
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url("**/leads")

