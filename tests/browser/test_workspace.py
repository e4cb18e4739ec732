"""The consultant workspace in a real browser (Playwright driving Debian's Chromium).

The app is served by the test on loopback with a file SQLite database. Its data is a few days of a small
firm replayed through the real code: invented people's inquiries stored by the intake service at their
own moments, classified by the real classifier (which also assigns them round-robin and enrols them in
their stream's sequence), the scheduler's ticks sending the due emails to a file outbox, and a
consultant's call. The flow: sign in, see the queue, filter by stream, open a lead, add a note, preview
its emails, pause the sequence, change the status, export CSV, see the dashboard's charts, sign out.
Screenshots of the main pages are taken on every run; with CRM_UPDATE_SCREENSHOTS=1 they replace those
in docs/screenshots/ (shown in the README), otherwise they go to the test's temporary directory so that
a test run leaves the tree clean.
"""

from __future__ import annotations

import heapq
import json
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from werkzeug.serving import make_server

from crm import create_app
from crm.classify.service import classify_and_store
from crm.config import PROJECT_ROOT, Settings
from crm.db import Database, utcnow
from crm.intake.service import IntakeRequest, receive_inquiry
from crm.mail import Transport, transport_from_url
from crm.models import Classification, Lead, User
from crm.models.lead import OPEN_STATUS_VALUES
from crm.sequences.scheduling import claim_due_steps
from crm.workspace import accounts, actions
from tests import services
from tests.conftest import RecordingDispatcher
from tests.web.conftest import PASSWORD
from workers.actors.email import deliver

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = PROJECT_ROOT / "docs" / "screenshots"
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SOURCE = "https://maple-route.example/contact"
CONSENT = {
    "en": "I agree to receive emails about my immigration options from Maple Route Immigration. "
    "I can unsubscribe at any time.",
    "fr": "J'accepte de recevoir des courriels de Maple Route Immigration sur mes options d'immigration. "
    "Je peux me désabonner à tout moment.",
}


def born(years: int, days_later: int = 0) -> str:
    """A date of birth `years` years before today, moved `days_later` days towards today."""
    today = date.today()
    try:
        day = today.replace(year=today.year - years)
    except ValueError:  # 29 February
        day = today.replace(year=today.year - years, day=28)
    return (day + timedelta(days=days_later)).isoformat()


@dataclass(frozen=True)
class Inquiry:
    """An invented person's inquiry as the firm's website posts it, `hours` ago."""

    hours: float
    fields: dict[str, Any]
    # A consultant's follow-up: (hours after the inquiry, new status, note), done by the lead's assignee.
    follow_up: tuple[float, str, str] | None = None

    @property
    def name(self) -> str:
        return f"{self.fields['first_name']} {self.fields['last_name']}"


# Invented people, with addresses on the reserved example domains. Nothing below says which stream they
# belong to: the real classifier decides, from what they typed, like it does for every inquiry.
DEMO = [
    Inquiry(
        30.4,
        {
            "first_name": "Aoife",
            "last_name": "Murphy",
            "email": "aoife.murphy@example.com",
            "citizenships": ["Ireland"],
            "country_of_residence": "Ireland",
            "date_of_birth": born(36, 120),
            "preferred_language": "en",
            "interest": "work",
            "message": "I'd love a working holiday in Vancouver before I'm too old for it.",
        },
    ),
    Inquiry(
        3.2,
        {
            "first_name": "Camille",
            "last_name": "Lefèvre",
            "email": "camille.lefevre@example.org",
            "citizenships": ["Belgium"],
            "country_of_residence": "Belgium",
            "date_of_birth": born(38),
            "preferred_language": "fr",
            "interest": "work",
            "french_ability": "native",
            "job_offer": True,
            "job_offer_province": "NB",
            "occupation": "Infirmière",
            "message": "Bonjour, un hôpital de Moncton m'a fait une offre d'emploi d'infirmière.",
        },
    ),
    Inquiry(
        52.7,
        {
            "first_name": "Awa",
            "last_name": "Diop",
            "email": "awa.diop@example.net",
            "citizenships": ["Senegal"],
            "country_of_residence": "Senegal",
            "date_of_birth": born(31),
            "preferred_language": "fr",
            "interest": "work",
            "french_ability": "native",
            "job_offer": True,
            "job_offer_province": "ON",
            "occupation": "Comptable",
            "message": "Un cabinet comptable d'Ottawa souhaite m'embaucher.",
        },
    ),
    Inquiry(
        6.6,
        {
            "first_name": "Sofia",
            "last_name": "García",
            "email": "sofia.garcia@example.com",
            "citizenships": ["Mexico"],
            "country_of_residence": "Mexico",
            "date_of_birth": born(37),
            "preferred_language": "en",
            "interest": "work",
            "job_offer": True,
            "occupation": "Civil engineer",
            "message": "A firm in Calgary offered me a civil engineer position.",
        },
    ),
    Inquiry(
        12.3,
        {
            "first_name": "Kenji",
            "last_name": "Tanaka",
            "email": "kenji.tanaka@example.org",
            "citizenships": ["Japan"],
            "country_of_residence": "Japan",
            "date_of_birth": born(41),
            "preferred_language": "en",
            "interest": "work",
            "employer_name": "Hoshino Systems",
            "years_with_employer": 6,
            "employer_has_canadian_office": True,
            "message": "My company wants to transfer me to its Toronto office as a senior manager.",
        },
        follow_up=(4, "contacted", "Called Kenji: HR at Hoshino Systems will send the transfer letter."),
    ),
    Inquiry(
        80.9,
        {
            "first_name": "Emma",
            "last_name": "Schmidt",
            "email": "emma.schmidt@example.net",
            "citizenships": ["Germany"],
            "country_of_residence": "Germany",
            "date_of_birth": born(29),
            "preferred_language": "en",
            "interest": "work",
            "job_offer": True,
            "job_offer_province": "BC",
            "occupation": "Marketing coordinator",
            "message": "I have a job offer in Vancouver in my field.",
        },
    ),
    Inquiry(
        1.8,
        {
            "first_name": "Noah",
            "last_name": "Williams",
            "email": "noah.williams@example.com",
            "citizenships": ["Australia"],
            "country_of_residence": "Australia",
            "date_of_birth": born(26),
            "preferred_language": "en",
            "interest": "work",
            "message": "Looking at a ski season in Whistler.",
        },
    ),
    Inquiry(
        20.5,
        {
            "first_name": "Priya",
            "last_name": "Sharma",
            "email": "priya.sharma@example.org",
            "citizenships": ["India"],
            "country_of_residence": "Canada",
            "date_of_birth": born(30),
            "preferred_language": "en",
            "interest": "work",
            "spouse_status_in_canada": "worker",
            "message": "My husband works in Toronto as a software developer.",
        },
    ),
    Inquiry(
        100.2,
        {
            "first_name": "Tom",
            "last_name": "O'Brien",
            "email": "tom.obrien@example.net",
            "citizenships": ["United Kingdom"],
            "country_of_residence": "United Kingdom",
            "date_of_birth": born(46),
            "preferred_language": "en",
            "interest": "business",
            "owns_business": True,
            "message": "I run two cafés in Leeds and want to open one in Halifax.",
        },
    ),
    Inquiry(
        4.1,
        {
            "first_name": "Min-jun",
            "last_name": "Kim",
            "email": "minjun.kim@example.com",
            "citizenships": ["South Korea"],
            "preferred_language": "en",
            "interest": "work",
            "message": "What are my options?",
        },
    ),
    Inquiry(
        90.6,
        {
            "first_name": "Grace",
            "last_name": "Liu",
            "email": "grace.liu@northwind.example",
            "preferred_language": "en",
            "interest": "hire",
            "company_name": "Northwind Labs",
            "occupation": "Software engineer",
            "noc_code": "21231",
            "message": "We want to hire two backend developers for our Vancouver office.",
        },
    ),
]


@dataclass
class Seeded:
    """What the real code made of DEMO, read back from the database and the outbox."""

    url: str
    outbox: Path
    ana_id: int
    leads: dict[str, Lead] = field(default_factory=dict)  # by "first last"
    exemption_codes: dict[str, str | None] = field(default_factory=dict)  # of the primary candidate
    sent: dict[str, list[str]] = field(default_factory=dict)  # subjects of the emails in the outbox, by lead

    def queue_order(self, names: list[str]) -> list[str]:
        """Best score first, then the lead waiting longest (the queue's documented order)."""
        return sorted(names, key=lambda n: (-(self.leads[n].score or 0), self.leads[n].last_inquiry_at))


def _send_due(db: Database, settings: Settings, transport: Transport, now: datetime) -> None:
    """One scheduler tick at `now`: claim the due steps, then the send_step actor's code for each."""
    with db.transaction() as session:
        step_ids = claim_due_steps(session, now)
    for step_id in step_ids:
        with db.session() as session:
            deliver(session, step_id, settings, transport, now)


def _seed(db: Database, settings: Settings, now: datetime) -> None:
    """The last few days of a small firm, replayed through the real code paths at their own moments:
    intake, classification (with its round-robin assignment and sequence enrolment), the scheduler's
    hourly ticks sending the due emails to the file outbox, and consultants' calls."""
    transport = transport_from_url(settings.mail_url)
    start = now - timedelta(hours=max(d.hours for d in DEMO))
    ticks = int((now - start) / timedelta(hours=1))
    # (moment, sequence number, what happens): a scheduler tick (None), an inquiry, or a follow-up.
    events: list[tuple[datetime, int, Any]] = [(start + timedelta(hours=h), h, None) for h in range(ticks + 1)]
    events += [(now - timedelta(hours=d.hours), ticks + 1 + i, d) for i, d in enumerate(DEMO)]
    heapq.heapify(events)
    while events:
        moment, number, what = heapq.heappop(events)
        if what is None:
            _send_due(db, settings, transport, moment)
        elif isinstance(what, tuple):  # the assignee calls the lead back
            lead_id, status, note = what
            with db.transaction() as session:
                lead = actions.get_lead(session, lead_id)
                user = session.get_one(User, lead.assignee_id)
                actions.change_status(session, lead, status, user, now=moment)
                actions.add_note(session, lead, note, user, now=moment)
        else:
            fields = dict(
                what.fields,
                consent_marketing=True,
                source_url=SOURCE,
                consent_text=CONSENT[what.fields["preferred_language"]],
            )
            with db.transaction() as session:
                lead_id = receive_inquiry(
                    session,
                    IntakeRequest(
                        body=json.dumps(fields).encode(),
                        content_type="application/json",
                        fields=fields,
                        remote_addr="203.0.113.7",
                    ),
                    now=moment,
                ).lead_id
            with db.transaction() as session:  # what the classify_lead actor does a few seconds later
                outcome = classify_and_store(session, lead_id, "intake", moment + timedelta(seconds=5))
                assert outcome.status == "classified", outcome
            _send_due(db, settings, transport, moment + timedelta(seconds=30))  # the answer goes out
            if what.follow_up is not None:
                hours, status, note = what.follow_up
                heapq.heappush(events, (moment + timedelta(hours=hours), -number, (lead_id, status, note)))


def _read_back(db: Database, seeded: Seeded) -> None:
    with db.session() as session:
        for lead in session.scalars(select(Lead)):
            seeded.leads[lead.full_name] = lead
            current = session.scalars(
                select(Classification).where(Classification.lead_id == lead.id, Classification.is_current.is_(True))
            ).one()
            seeded.exemption_codes[lead.full_name] = current.candidates[0].get("exemption_code")
        session.expunge_all()
    names = {lead.email: name for name, lead in seeded.leads.items()}
    for path in sorted(seeded.outbox.glob("*.eml")):
        message = message_from_bytes(path.read_bytes(), policy=policy.default)
        seeded.sent.setdefault(names[str(message["To"].addresses[0].addr_spec)], []).append(str(message["Subject"]))


def _chromium() -> None:
    if not CHROMIUM.exists():
        if services.in_ci():
            pytest.fail("/usr/bin/chromium is missing: under CI the browser tests must run (see .ci/run)")
        pytest.skip("/usr/bin/chromium is not installed")


@pytest.fixture
def server(settings: Settings, db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Seeded]:
    _chromium()
    monkeypatch.setenv("CRM_MAIL_JOURNAL_DIR", str(tmp_path / "mail-journal"))
    with db.transaction() as session:
        # Ana answers French and English leads; Omar English ones; the admin (the firm's owner) takes
        # the English business leads too.
        ana = accounts.create_user(
            session, "ana@firm.example", "consultant", PASSWORD, name="Ana", languages=["fr", "en"]
        )
        accounts.create_user(session, "omar@firm.example", "consultant", PASSWORD, name="Omar", languages=["en"])
        accounts.create_user(
            session,
            "admin@firm.example",
            "admin",
            PASSWORD,
            languages=["en"],
            streams=["entrepreneur", "global-talent-stream"],
        )
        session.flush()
        ana_id = ana.id
    _seed(db, settings, utcnow())
    app = create_app(settings, database=db, dispatcher=RecordingDispatcher())
    http = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=http.serve_forever, daemon=True)
    thread.start()
    seeded = Seeded(f"http://127.0.0.1:{http.server_port}", Path(settings.mail_url.removeprefix("file://")), ana_id)
    _read_back(db, seeded)
    yield seeded
    http.shutdown()
    thread.join(timeout=10)


@pytest.fixture
def page(server: Seeded, tmp_path: Path) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        context = browser.new_context(
            viewport={"width": 1280, "height": 860}, accept_downloads=True, base_url=server.url
        )
        page = context.new_page()
        errors: list[str] = []
        page.console_errors = errors  # type: ignore[attr-defined]
        page.screenshot_dir = tmp_path / "screenshots"  # type: ignore[attr-defined]
        # CSP violations and script errors show as console errors; failed loads are checked by URL.
        page.on(
            "console",
            lambda m: m.type == "error" and not m.text.startswith("Failed to load resource") and errors.append(m.text),
        )
        page.on(
            "response",
            lambda r: r.status >= 400 and errors.append(f"{r.status} {r.url}"),  # /favicon.ico included
        )
        yield page
        context.close()
        browser.close()


def shot(page: Any, name: str) -> None:
    folder = SCREENSHOTS if os.environ.get("CRM_UPDATE_SCREENSHOTS") == "1" else page.screenshot_dir
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 10_000  # a real rendering, not a blank page


def test_a_consultants_day(page: Any, server: Seeded, tmp_path: Path) -> None:
    leads = server.leads
    open_names = [name for name, lead in leads.items() if lead.status in OPEN_STATUS_VALUES]
    # What the real classifier made of the inquiries (the screenshots show these leads).
    assert leads["Camille Lefèvre"].primary_stream == "francophone-mobility"
    assert server.exemption_codes["Camille Lefèvre"] == "C16"  # crm/classify/ruleset.yaml
    assert leads["Aoife Murphy"].primary_stream == "iec-working-holiday"
    assert server.exemption_codes["Aoife Murphy"] == "C21"
    assert leads["Min-jun Kim"].primary_stream == "needs-review"
    assert leads["Grace Liu"].lead_type == "employer"
    assert leads["Kenji Tanaka"].status == "contacted"
    assert all(server.sent.get(name) for name in leads)  # every lead got at least its answer, in the outbox

    page.goto("/leads")
    assert "/login" in page.url  # signed out: sent to the login page
    shot(page, "login")
    page.fill("#email", "ana@firm.example")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/leads")

    # By default: Ana's open leads and the unassigned ones, best score first, then the longest waiting.
    names = page.locator("table.queue tbody tr td:nth-child(2) a")
    mine = [name for name in open_names if leads[name].assignee_id in (server.ana_id, None)]
    assert 0 < len(mine) < len(open_names)  # round-robin gave some leads to her colleagues
    assert names.all_inner_texts() == server.queue_order(mine)

    page.select_option("#scope", "all")
    page.click("button:has-text('Apply filters')")
    page.wait_for_url("**scope=all**")
    assert names.all_inner_texts() == server.queue_order(open_names)
    waiting = {name: leads[name].last_inquiry_at for name in open_names}
    for row in page.locator("table.queue tbody tr").all():
        name = row.locator("td:nth-child(2) a").inner_text()
        assert row.locator(".tag.stream").count() == 1
        overdue = "overdue" in (row.get_attribute("class") or "")
        age = utcnow() - waiting[name]
        if age > timedelta(hours=73):  # past one business day, weekend or not
            assert overdue, name
        elif age < timedelta(hours=24):
            assert not overdue, name
    francophones = [name for name in open_names if leads[name].primary_stream == "francophone-mobility"]
    page.wait_for_function("document.querySelector('[data-count-for=\"francophone-mobility\"]').textContent !== ''")
    assert page.locator("[data-count-for='francophone-mobility']").inner_text() == str(len(francophones))
    shot(page, "queue")

    page.click("nav.stream-tabs a[data-stream='francophone-mobility']")
    page.wait_for_url("**stream=francophone-mobility**")
    assert sorted(francophones) == ["Awa Diop", "Camille Lefèvre"]
    assert names.all_inner_texts() == server.queue_order(francophones)

    page.click("text=Camille Lefèvre")
    page.wait_for_selector("h1:has-text('Camille Lefèvre')")
    assert page.locator(".meta .tag.stream").inner_text() == "Mobilité francophone"
    first = page.locator("table.candidates tbody tr").first
    assert first.locator("td:nth-child(2)").inner_text() == "C16"
    # Her reasons, in the consultant's language (the English interface); her emails stay in French.
    assert "Job offer in New Brunswick, outside Quebec" in first.inner_text()
    assert "Nouveau-Brunswick" not in first.inner_text()
    assert "Mobilité francophone" in page.locator("#email-h + p").inner_text()  # the sequence, by name
    # What she wrote is on the page without opening anything (it was folded away with the raw payload).
    assert page.locator("p.message:has-text('un hôpital de Moncton')").is_visible()
    for subject in server.sent["Camille Lefèvre"]:  # what the file outbox received is on her page
        assert page.locator(f"li.delivery-sent strong:has-text('{subject}')").count() == 1

    page.fill("#note", "Called: she starts at the Moncton hospital in March; TEF Canada booked for next month.")
    page.click("button:has-text('Save note')")
    page.wait_for_selector(".timeline .summary:has-text('TEF Canada booked')")

    page.click("button:has-text('Pause sequence')")
    page.wait_for_selector("button:has-text('Resume sequence')")

    page.click("a:has-text('Preview emails')")
    page.wait_for_selector("#previews article.preview")
    # Every step of her sequence: the answer as it was sent, the others as they will be.
    previews = page.locator("#previews article.preview")
    assert previews.count() == 5  # crm/sequences/data/sequences.yaml, the "worker" family
    assert previews.first.locator(".status-sent").count() == 1
    assert server.sent["Camille Lefèvre"][0] in previews.first.inner_text()
    for index in range(previews.count()):
        frame = page.frame_locator("#previews iframe.email-frame").nth(index)
        assert "Bonjour Camille" in frame.locator("body").inner_text()

    # The screenshot: her page with the preview of the next email only (all five make a very long page).
    page.click("li.step-scheduled a:has-text('Preview')")
    page.wait_for_selector("#previews article.preview")
    assert page.locator("#previews article.preview").count() == 1
    assert "Bonjour Camille" in page.frame_locator("#previews iframe.email-frame").first.locator("body").inner_text()
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
    # UTF-8 with a byte order mark (Excel on Windows reads accents by it): read as a spreadsheet would.
    lines = csv_path.read_text(encoding="utf-8-sig").splitlines()
    assert lines[0].startswith("id,first_name,last_name,email") and len(lines) == len(DEMO) + 1

    page.goto("/dashboard")
    charts = page.locator("svg.chart >> visible=true")  # the charts drawn for a phone are hidden here
    assert charts.count() == 3 and page.locator("svg.chart").count() == 6
    assert charts.locator("rect").count() >= len(DEMO)
    assert charts.first.bounding_box()["height"] > 100
    shot(page, "dashboard")

    page.click("button:has-text('Sign out')")
    page.wait_for_url("**/login")
    page.goto("/leads")
    assert "/login" in page.url

    page.goto("/apply")
    shot(page, "apply")
    assert page.console_errors == []  # type: ignore[attr-defined]  (a CSP violation would show here)


def test_french_interface_and_small_screens(page: Any, server: Seeded) -> None:
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/login?lang=fr")
    assert page.locator("h1").inner_text() == "Connexion"
    page.fill("#email", "admin@firm.example")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/leads")
    assert page.locator("h1").inner_text() == "Prospects"
    assert page.locator("a:has-text('Équipe')").count() == 1  # admins see the team tools
    page.goto("/leads?scope=all")  # round-robin gave every lead to a consultant: the whole team's queue
    open_leads = [lead for lead in server.leads.values() if lead.status in OPEN_STATUS_VALUES]
    assert page.locator("table.queue tbody tr").count() == len(open_leads)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 400  # no sideways scrolling of the whole page on a phone
    shot(page, "queue-mobile-fr")
    # The lead page (candidates table, rows of action buttons) and the dashboard (its charts) fit too;
    # a wide table scrolls inside its own box.
    page.click("text=Camille Lefèvre")
    page.wait_for_selector("h1:has-text('Camille Lefèvre')")
    assert page.evaluate("document.documentElement.scrollWidth") <= 400
    page.goto("/dashboard")
    page.wait_for_selector("svg.chart >> visible=true")  # the phone's weekly chart (the wide one is hidden)
    assert page.evaluate("document.documentElement.scrollWidth") <= 400
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


def test_stopping_a_sequence_takes_a_second_click(page: Any, server: Seeded) -> None:
    # Stopping cannot be undone (pausing can): one click on the red button next to "Pause" must not do it.
    page.goto("/login")
    page.fill("#email", "admin@firm.example")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/leads")
    page.goto(f"/leads/{server.leads['Noah Williams'].id}")
    assert page.locator("#email-h + p .status").inner_text() == "active"
    page.click("summary:has-text('Stop sequence')")
    assert page.locator("#email-h + p .status").inner_text() == "active"  # nothing was posted
    assert "Stopping is final" in page.locator("details.confirm").inner_text()
    page.click("#confirm-stop")
    page.wait_for_selector("#email-h + p .status-stopped")
    assert page.locator("button:has-text('Resume sequence')").count() == 0
    assert page.console_errors == []  # type: ignore[attr-defined]


def _sign_in(page: Any, email: str = "admin@firm.example") -> None:
    page.goto("/login")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/leads")


def test_score_reasons_open_from_the_keyboard_and_by_touch(page: Any, server: Seeded) -> None:
    # The reasons used to be a title on a span: a mouse hover only, never a keyboard or a finger.
    _sign_in(page)
    page.goto("/leads?scope=all")
    first = page.locator("table.queue tbody tr").first.locator("details.score-why")
    reasons = first.locator("ul")
    assert not reasons.is_visible()  # closed: the table stays a table
    first.locator("summary").focus()
    assert page.evaluate("document.activeElement.tagName") == "SUMMARY"  # reached by Tab
    page.keyboard.press("Enter")
    reasons.wait_for(state="visible")
    lines = reasons.locator("li").all_inner_texts()
    score = int(first.locator("summary").inner_text().split()[0])
    assert sum(int(line.split()[0]) for line in lines) == score  # the reasons add up to the score
    page.keyboard.press("Enter")
    reasons.wait_for(state="hidden")
    # A tap opens it too.
    context = page.context.browser.new_context(base_url=server.url, has_touch=True, is_mobile=True,
                                               viewport={"width": 390, "height": 844})
    phone = context.new_page()
    _sign_in(phone)
    phone.goto("/leads?scope=all")
    cell = phone.locator("table.queue tbody tr").first.locator("details.score-why")
    cell.locator("summary").tap()
    cell.locator("ul").wait_for(state="visible")
    context.close()
    assert page.console_errors == []  # type: ignore[attr-defined]
