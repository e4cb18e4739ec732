"""The top bar at 320 px, measured in Chromium (consultant trial, third round): the admin's bar put the
"English" / "Français" link on a line by itself."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.test_phone_layout import SMALL_PHONE
from tests.browser.test_workspace import Seeded, _sign_in

pytestmark = pytest.mark.browser

# Each item of the bar: its top and bottom, to tell its line.
_ITEMS = """() => [...document.querySelectorAll('.topbar > .brand, .topbar nav a, .topbar > form, .topbar > .lang')]
  .map(e => { const r = e.getBoundingClientRect();
              return {name: e.className || e.tagName, text: e.textContent.trim(), top: r.top, bottom: r.bottom,
                      right: r.right}; })"""


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_the_admins_top_bar_wraps_without_a_line_for_the_language_link_alone(
        page: Any, server: Seeded, lang: str) -> None:
    context = page.context.browser.new_context(base_url=server.url, viewport=SMALL_PHONE, is_mobile=True,
                                               has_touch=True)
    phone = context.new_page()
    _sign_in(phone)  # the admin, whose bar has the most links (Team)
    phone.goto(f"/leads?lang={lang}")
    phone.wait_for_load_state("load")
    items = phone.evaluate(_ITEMS)
    context.close()
    lines: list[list[dict[str, Any]]] = []  # items whose boxes overlap vertically share a line
    for item in sorted(items, key=lambda i: i["top"]):
        middle = (item["top"] + item["bottom"]) / 2
        line = next((line for line in lines if line[0]["top"] <= middle <= line[0]["bottom"]), None)
        if line is None:
            lines.append([item])
        else:
            line.append(item)
    language = next(item for item in items if item["name"] == "lang")
    with_language = next(line for line in lines if language in line)
    assert len(with_language) > 1, lines
    assert len(lines) <= 3, lines  # brand and actions, then the links
    assert all(item["right"] <= SMALL_PHONE["width"] for item in items), items
