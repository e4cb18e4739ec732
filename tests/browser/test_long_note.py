"""A long note on the lead's timeline, in Chromium: folded to its first lines, the whole note one click away
(consultant trial, third round: a 3,000-character note made the page very tall)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.test_workspace import Seeded, _sign_in

pytestmark = pytest.mark.browser


def test_a_long_note_opens_in_place_of_its_start(page: Any, server: Seeded) -> None:
    _sign_in(page)
    lead = next(iter(server.leads.values()))
    page.goto(f"/leads/{lead.id}")
    note = "Discussed the job offer, the LMIA exemption and the documents to gather before the call. " * 34
    page.fill("#note", note.strip())
    page.click("form[action$='/note'] button[type=submit]")
    page.wait_for_load_state("load")
    entry = page.locator(".timeline li.kind-note").filter(has=page.locator("details.whole-note")).first
    start, whole = entry.locator(".note-start"), entry.locator("details.whole-note .summary")
    folded_height = entry.bounding_box()["height"]
    assert start.is_visible() and not whole.is_visible()
    entry.locator("details.whole-note summary").click()
    assert whole.is_visible() and not start.is_visible()  # the whole note, not its start and then the whole
    assert whole.inner_text() == note.strip()
    assert entry.bounding_box()["height"] > 2 * folded_height
