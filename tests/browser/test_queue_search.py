"""The queue's search in Chromium, as a consultant uses it: typed into the search box and sent with Enter.

A name typed without its apostrophe, a phone number as written on a sticky note, and a search that finds
nothing in "My leads and unassigned" because the lead is a colleague's: the page says so and its link
runs the same search on everyone's leads. The same demo firm as tests/browser/test_workspace.py.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select, update

from crm.db import Database
from crm.models import Lead, User
from tests.browser.test_phone_layout import _add_lead
from tests.browser.test_workspace import Seeded, _sign_in

pytestmark = pytest.mark.browser

NIAMH = {"first_name": "Niamh", "last_name": "O'Sullivan", "email": "niamh.osullivan@example.ie",
         "phone": "+1 647 555 0173", "citizenships": ["Ireland"], "country_of_residence": "Ireland",
         "preferred_language": "en", "interest": "work", "date_of_birth": "1999-04-02"}


def _search(page: Any, text: str) -> list[str]:
    page.fill("#q", text)
    page.press("#q", "Enter")
    page.wait_for_load_state("load")
    return [name.strip() for name in page.locator("table.queue tbody tr td:nth-child(2) a").all_inner_texts()]


def test_a_consultant_finds_a_lead_however_she_types_it(page: Any, server: Seeded, db: Database) -> None:
    lead_id = _add_lead(db, NIAMH)
    with db.transaction() as session:
        omar = session.scalars(select(User).where(User.email == "omar@firm.example")).one()
        session.execute(update(Lead).where(Lead.id == lead_id).values(assignee_id=omar.id))
    _sign_in(page, "ana@firm.example")
    page.goto("/leads?scope=all")
    assert _search(page, "osullivan") == ["Niamh O'Sullivan"]
    assert _search(page, "osullivan niamh") == ["Niamh O'Sullivan"]
    assert _search(page, "(647) 555-0173") == ["Niamh O'Sullivan"]

    # "My leads and unassigned": Omar's lead is not there, and the page says where it is.
    page.goto("/leads")
    assert _search(page, "o'sullivan") == []
    hint = page.locator("section.empty p.hint")
    assert "No lead here matches “o'sullivan”, but some of your team's leads do:" in hint.inner_text()
    hint.get_by_role("link", name="search everyone's leads").click()
    page.wait_for_load_state("load")
    assert page.input_value("#q") == "o'sullivan" and page.input_value("#scope") == "all"
    assert [name.strip() for name in page.locator("table.queue tbody tr td:nth-child(2) a").all_inner_texts()] == \
        ["Niamh O'Sullivan"]
    assert page.console_errors == []
