"""Layout defects from a consultant's browser trial (session of 2026-11-27), measured in Chromium, each test
failing before its fix: the team page's action buttons drawn outside their table row, and a new member's
streams missing from the team page's form."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.test_workspace import Seeded, _sign_in

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_the_team_pages_rows_hold_their_action_buttons(page: Any, server: Seeded, lang: str) -> None:
    _sign_in(page)
    page.goto(f"/admin/users?lang={lang}")
    rows = page.locator("table.users tbody tr")
    assert rows.count() >= 2
    for row in rows.all():
        box = row.bounding_box()
        cells = row.locator(":scope > td")
        displays = cells.evaluate_all("tds => tds.map(td => getComputedStyle(td).display)")
        assert displays == ["table-cell"] * cells.count()
        for cell in cells.all():  # a flex <td> was laid out beside the row, its border halfway up
            cell_box = cell.bounding_box()
            assert abs(cell_box["y"] + cell_box["height"] - (box["y"] + box["height"])) < 1, row.inner_text()
        buttons = row.locator("button")
        for button in buttons.all():
            b = button.bounding_box()
            assert box["y"] <= b["y"] and b["y"] + b["height"] <= box["y"] + box["height"]


def test_a_new_members_streams_are_boxes_to_tick(page: Any, server: Seeded) -> None:
    _sign_in(page)
    page.goto("/admin/users?lang=fr")
    boxes = page.locator("form[action$='/admin/users'] input[name=streams][type=checkbox]")
    assert boxes.count() == 15
    assert "Volets couverts (aucun : tous)" in page.locator("form[action$='/admin/users'] legend").all_inner_texts()
    page.fill("#new-email", "nadia@firm.example")
    page.fill("#new-password", "a-long-password")
    page.get_by_label("Mobilité francophone", exact=True).check()
    page.click("form[action$='/admin/users'] button[type=submit]")
    row = page.locator("table.users tbody tr", has_text="nadia@firm.example")
    assert row.locator("select[name=streams] option:checked").all_inner_texts() == ["Mobilité francophone"]
    assert page.console_errors == []  # type: ignore[attr-defined]
