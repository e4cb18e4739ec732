"""The workspace on a phone, measured in Chromium: what the first screen shows, and no sideways scrolling.

A consultant calls leads from a phone between meetings. A trial at 390x844 found the queue's first lead
below the first screen (the header, the fourteen stream tabs and the filters filled it) and the lead's
email and phone three screens down the lead page, under the actions, the classification table and the
emails. The numbers here are the layout's (bounding boxes, scroll widths), not a look at a screenshot.
The same demo firm as tests/browser/test_workspace.py (its `server` and `page` fixtures).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from crm.classify.service import classify_and_store
from crm.db import Database, utcnow
from crm.intake.service import IntakeRequest, receive_inquiry
from tests.browser.test_workspace import CONSENT, SOURCE, Seeded, _sign_in

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}  # a current mid-size phone, in CSS pixels
SMALL_PHONE = {"width": 320, "height": 568}  # the narrowest still in use (iPhone SE, first generation)
# Unbroken words wider than a phone: a long compound surname and a long address, through the real intake.
LONG = {
    "first_name": "Maximiliane",
    "last_name": "Wolfeschlegelsteinhausenbergerdorff-Schleswigholsteinische",
    "email": "maximiliane.wolfeschlegelsteinhausenbergerdorff@international-recruitment.example",
    "phone": "+49 30 901820 1234567",
    "citizenships": ["Germany"],
    "country_of_residence": "Germany",
    "preferred_language": "en",
    "interest": "work",
    "job_offer": True,
    "job_offer_province": "ON",
    "occupation": "Elektroniker",
    "message": "Ein Arbeitgeber in Ottawa bietet mir eine Stelle an: "
    "https://careers.international-recruitment.example/positions/electrician-ottawa-2026-0001234567",
}


# A lead with a phone number, as most inquiry forms ask for one.
CALLER = {
    "first_name": "Lucas",
    "last_name": "Martin",
    "email": "lucas.martin@example.fr",
    "phone": "+1 613 555 0142",
    "citizenships": ["France"],
    "country_of_residence": "France",
    "preferred_language": "fr",
    "interest": "work",
    "french_ability": "native",
    "job_offer": True,
    "job_offer_province": "ON",
    "occupation": "Électricien",
    "message": "Un employeur d'Ottawa me propose un poste d'électricien.",
}


def _add_lead(db: Database, fields: dict[str, Any]) -> str:
    """One inquiry through the real intake, then the classification the intake's job runs."""
    fields = dict(fields, consent_marketing=True, source_url=SOURCE, consent_text=CONSENT[fields["preferred_language"]])
    now = utcnow()
    with db.transaction() as session:
        lead_id = receive_inquiry(
            session,
            IntakeRequest(body=json.dumps(fields).encode(), content_type="application/json", fields=fields,
                          remote_addr="203.0.113.7"),
            now=now,
        ).lead_id
    with db.transaction() as session:
        assert classify_and_store(session, lead_id, "intake", now + timedelta(seconds=5)).status == "classified"
    return str(lead_id)


@pytest.fixture
def phone(page: Any, server: Seeded) -> Iterator[Any]:
    """A signed-in admin on a touch phone (the meta viewport applies, as on a real one)."""
    context = page.context.browser.new_context(base_url=server.url, viewport=PHONE, is_mobile=True, has_touch=True)
    tab = context.new_page()
    errors: list[str] = []
    tab.on("console", lambda m: m.type == "error" and not m.text.startswith("Failed to load resource")
           and errors.append(m.text))
    tab.on("response", lambda r: r.status >= 400 and errors.append(f"{r.status} {r.url}"))
    tab.console_errors = errors
    _sign_in(tab)
    yield tab
    context.close()


def _top(page: Any, selector: str) -> float:
    """The element's top in page coordinates (0 = the top of the page, whatever the scroll)."""
    return page.evaluate(f"document.querySelector({json.dumps(selector)}).getBoundingClientRect().top + scrollY")


def _scroll_width(page: Any) -> int:
    return page.evaluate("document.scrollingElement.scrollWidth")


def test_the_queue_shows_leads_on_a_phones_first_screen(phone: Any, server: Seeded) -> None:
    screen = PHONE["height"]
    phone.goto("/leads?scope=all")
    rows = phone.locator("table.queue tbody tr")
    # A row's bottom is the next one's top: the first three rows whole on the first screen, a queue to read.
    bottoms = [_top(phone, f"table.queue tbody tr:nth-child({n})") for n in range(2, 5)]
    assert _top(phone, "table.queue tbody tr") < bottoms[0] < bottoms[2] <= screen
    assert _scroll_width(phone) <= PHONE["width"]
    # The stream tabs are one row that scrolls by itself, not fourteen lines of pills.
    tabs = phone.locator("nav.stream-tabs")
    assert tabs.bounding_box()["height"] < 60
    assert phone.evaluate("(t => t.scrollWidth > t.clientWidth)(document.querySelector('nav.stream-tabs'))")

    # A stream tab is a filter: the filter form stays folded (it used to open and fill the first screen),
    # and its summary counts the filters in use.
    phone.locator("nav.stream-tabs a[data-stream='francophone-mobility']").tap()
    phone.wait_for_url("**stream=francophone-mobility**")
    assert rows.locator("td:nth-child(2) a").all_inner_texts() == server.queue_order(["Awa Diop", "Camille Lefèvre"])
    assert phone.locator("details.filters").get_attribute("open") is None
    assert phone.locator("details.filters > summary").inner_text() == "Filters (2)"  # scope and stream
    assert _top(phone, "table.queue tbody tr:nth-child(2)") <= screen
    # The current tab is scrolled into view inside its row.
    current = phone.locator("nav.stream-tabs a[aria-current='page']").bounding_box()
    assert current["x"] >= 0 and current["x"] + current["width"] <= PHONE["width"]
    # One tap opens the form, with the filters in use filled in.
    phone.locator("details.filters > summary").tap()
    assert phone.locator("#stream").is_visible()
    assert phone.locator("#stream").input_value() == "francophone-mobility"
    assert _scroll_width(phone) <= PHONE["width"]
    assert phone.console_errors == []


def test_the_lead_page_starts_with_who_why_and_how_to_reach_them_on_a_phone(
        phone: Any, page: Any, server: Seeded) -> None:
    screen = PHONE["height"]
    url = f"/leads/{server.leads['Camille Lefèvre'].id}"
    phone.goto(url)
    why = phone.locator(".why-call")
    assert why.is_visible()
    # The primary candidate's verdict and reasons, and what she wrote, in the consultant's language.
    assert "Mobilité francophone C16 · eligible" in why.locator("h2").inner_text()
    assert "Job offer in New Brunswick, outside Quebec" in why.inner_text()
    assert "un hôpital de Moncton" in why.locator(".why-message").inner_text()
    # Name, then why, then contact, then the rest; the email to write or call from, on the first screen.
    order = [_top(phone, s) for s in ("h1", ".why-call", "#contact-h", "#actions-h", "#class-h", "#email-h")]
    assert order == sorted(order), order
    mail = phone.locator("#contact-h ~ dl a[href='mailto:camille.lefevre@example.org']")
    assert _top(phone, "#contact-h ~ dl a[href^='mailto:']") + mail.bounding_box()["height"] <= screen
    assert _scroll_width(phone) <= PHONE["width"]
    assert phone.console_errors == []

    # A wide screen is as it was: no summary (the classification card beside the contact card says it), the
    # contact card at the top of the right-hand column, level with the actions, the consent card under it.
    _sign_in(page)
    page.goto(url)
    assert not page.locator(".why-call").is_visible()
    actions = page.locator("section[aria-labelledby='actions-h']").bounding_box()
    contact = page.locator("section[aria-labelledby='contact-h']").bounding_box()
    consent = page.locator("section[aria-labelledby='consent-h']").bounding_box()
    assert contact["x"] > actions["x"] + actions["width"]
    assert abs(contact["y"] - actions["y"]) < 1
    assert abs(consent["x"] - contact["x"]) < 1
    assert 0 < consent["y"] - (contact["y"] + contact["height"]) <= 20  # one card gap, not a hole
    assert page.console_errors == []  # type: ignore[attr-defined]


def test_a_phone_number_is_a_link_that_calls(phone: Any, db: Database) -> None:
    phone.goto(f"/leads/{_add_lead(db, CALLER)}")
    call = phone.locator("#contact-h ~ dl a[href='tel:+16135550142']")
    assert call.inner_text() == "+16135550142"
    assert _top(phone, "#contact-h ~ dl a[href^='tel:']") + call.bounding_box()["height"] <= PHONE["height"]


@pytest.mark.parametrize("size", [PHONE, SMALL_PHONE], ids=["390px", "320px"])
def test_no_page_scrolls_sideways_on_a_phone(page: Any, server: Seeded, db: Database, size: dict[str, int]) -> None:
    long_id = _add_lead(db, LONG)
    context = page.context.browser.new_context(base_url=server.url, viewport=size, is_mobile=True, has_touch=True)
    phone = context.new_page()
    wide = {}

    def measure(path: str, unfold: str | None = None) -> None:
        """The page's scroll width in both interface languages (French words are longer), with the folds
        `unfold` selects opened."""
        for lang in ("en", "fr"):
            url = f"{path}{'&' if '?' in path else '?'}lang={lang}"
            phone.goto(url)
            phone.wait_for_load_state("load")
            if unfold:
                phone.evaluate(f"document.querySelectorAll({json.dumps(unfold)}).forEach(d => {{ d.open = true; }})")
            wide[url + (f" ({unfold} open)" if unfold else "")] = _scroll_width(phone)

    for path in ("/login", "/apply"):
        measure(path)
    _sign_in(phone)
    for path in ("/leads", "/leads?scope=all", f"/leads?scope=all&q={LONG['first_name']}", "/dashboard",
                 "/account", "/admin/users", f"/leads/{long_id}?preview=1",
                 *(f"/leads/{lead.id}" for lead in server.leads.values())):
        measure(path)
    measure("/leads?scope=all", "details.filters")
    measure(f"/leads/{long_id}", "details")
    context.close()
    assert len(wide) == 2 * (2 + 7 + len(server.leads) + 2)  # every page, in both languages
    assert {url: width for url, width in wide.items() if width > size["width"]} == {}


def _box(page: Any, selector: str) -> dict[str, float]:
    """The element's box in page coordinates, or {} when it is not rendered (display: none)."""
    return page.evaluate(f"""(s => {{ const e = document.querySelector(s); const r = e.getBoundingClientRect();
        return r.width && r.height ? {{left: r.left + scrollX, right: r.right + scrollX, top: r.top + scrollY,
        bottom: r.bottom + scrollY}} : {{}}; }})({json.dumps(selector)})""")


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_a_queue_row_reads_whole_on_a_phone(phone: Any, server: Seeded, lang: str, tmp_path: Path) -> None:
    """A trial at 390 px found the queue a 7-column table scrolling sideways in its box: the first screen
    showed the name and half the stream, not the score, the status or a flag such as "age-out soon". Each
    row is now a card: every cell of the first rows on the first screen, none cut at the right edge."""
    screen, width = PHONE["height"], PHONE["width"]
    phone.goto(f"/leads?scope=all&lang={lang}")
    wrap = "document.querySelector('.table-wrap')"
    assert phone.evaluate(f"{wrap}.scrollWidth <= {wrap}.clientWidth"), "the table scrolls sideways"
    rows = phone.locator("table.queue tbody tr")
    flagged = [n for n in range(1, rows.count() + 1)
               if phone.locator(f"table.queue tbody tr:nth-child({n}) .tag.flag").count()]
    assert flagged and flagged[0] <= 3, "the demo queue has a flagged lead among its first rows"
    cells = {"name": 2, "stream": 3, "score": 4, "status": 5, "waiting": 7, "consultant": 8, "flags": 9}
    for n in sorted({1, flagged[0]}):
        for what, column in cells.items():
            if what == "flags" and n not in flagged:
                continue
            box = _box(phone, f"table.queue tbody tr:nth-child({n}) td:nth-child({column})")
            assert box, f"row {n}: {what} is not shown"
            assert box["left"] >= 0 and box["right"] <= width, f"row {n}: {what} is cut at the edge: {box}"
            assert box["bottom"] <= screen, f"row {n}: {what} is below the first screen: {box}"
    # The bare numbers say what they are (the header row is gone): the score and the waiting time.
    first = rows.first
    said = phone.evaluate("""[4, 7].map(n => getComputedStyle(
        document.querySelector(`table.queue tbody tr td:nth-child(${n})`), '::before').content)""")
    assert said == {"en": ['"Score "', '"Waiting "'], "fr": ['"Score "', '"Attente "']}[lang]
    assert rows.nth(flagged[0] - 1).locator(".tag.flag").first.is_visible()
    assert _scroll_width(phone) <= width
    phone.screenshot(path=str(tmp_path / f"queue-phone-{lang}.png"))

    # Bulk selection still works on a phone: the box to tick every lead is there, with its words, and
    # tapping a row's box ticks that lead only.
    select_all = phone.locator("#select-all")
    assert select_all.is_visible()
    assert phone.locator("label.select-all-label").is_visible()
    box = first.locator("input[name=lead_ids]")
    assert box.is_visible() and box.bounding_box()["width"] >= 18
    box.tap()
    assert phone.locator("input[name=lead_ids]:checked").count() == 1
    phone.locator("label.select-all-label").tap()
    assert phone.locator("input[name=lead_ids]:checked").count() == rows.count()
    assert phone.console_errors == []


def test_the_wide_queue_is_still_a_table(page: Any, server: Seeded) -> None:
    """The card layout is the phone's: a desktop keeps the nine columns and its header row."""
    _sign_in(page)
    page.goto("/leads?scope=all")
    assert page.locator("table.queue thead th:nth-child(9)").is_visible()
    assert not page.locator("label.select-all-label").is_visible()
    assert page.evaluate("getComputedStyle(document.querySelector('table.queue tbody tr')).display") == "table-row"
    cells = page.locator("table.queue tbody tr").first.locator("td")
    tops = {round(cells.nth(i).bounding_box()["y"]) for i in range(cells.count())}
    assert len(tops) == 1  # one line of cells
