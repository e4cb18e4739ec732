"""The queue's search reads typographic apostrophes and dashes as the keyboard's (sixth session).

Phones type "O’Brien" with a curly apostrophe; a consultant types "O'Brien" (and the reverse). Each test
failed before its fix.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

import pytest

from crm.db import Database
from tests.web.conftest import Browser, Team
from tests.web.test_queue import lead_ids_in


@pytest.mark.parametrize("backend", ["sqlite", "postgres"], indirect=True)
def test_curly_apostrophes_and_dashes_match_the_keyboards(db: Database, team: Team, consultant: Browser,
                                                           post_lead: Callable[..., str]) -> None:
    phone_typed = post_lead(first_name="Siobhán", last_name="O’Brien", email="siobhan@example.ie")
    keyboard_typed = post_lead(first_name="Ciarán", last_name="O'Brien", email="ciaran@example.ie")
    dashed = post_lead(first_name="Antoine", last_name="Saint–Exupéry", email="antoine@example.fr")

    def ids(query: str) -> set[str]:
        return set(lead_ids_in(consultant.get("/leads?scope=all&" + urlencode({"q": query})).get_data(as_text=True)))

    assert ids("O'Brien") == ids("o’brien") == ids("O‘Brien") == {phone_typed, keyboard_typed}
    assert ids("saint-exupery") == ids("Saint—Exupéry") == {dashed}
    assert ids("aoife") == set()  # nothing else matched by the new mapping
