"""The queue's search finds a later word of a name when nothing starts with the term.

"bhriain" for "Siobhán Ní Bhriain", "dijk" for "Van Dijk", "lopez" for "María García López": the search
matched only the start of the first name, last name or email. The fallback is tried only when that
prefix search finds nothing, so that a matching prefix keeps its indexed cost; the page, its next pages,
the counts per stream and the CSV export all use the same choice. Each test failed before the fix.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from urllib.parse import urlencode

import pytest

from crm.db import Database
from crm.models import User
from crm.workspace import queue
from tests.web.conftest import Browser, Team, classify
from tests.web.test_queue import lead_ids_in

BOTH = pytest.mark.parametrize("backend", ["sqlite", "postgres"], indirect=True)


def _ids(browser: Browser, query: str, **args: str) -> list[str]:
    html = browser.get("/leads?" + urlencode({"scope": "all", "q": query, **args})).get_data(as_text=True)
    return lead_ids_in(html)


@BOTH
def test_a_later_word_of_the_name_is_found(db: Database, team: Team, consultant: Browser,
                                           post_lead: Callable[..., str]) -> None:
    irish = post_lead(first_name="Siobhán", last_name="Ní Bhriain", email="s.nb@example.ie")
    dutch = post_lead(first_name="Anna", last_name="Van Dijk", email="anna@example.nl")
    spanish = post_lead(first_name="María", last_name="García López", email="maria@example.es")
    french = post_lead(first_name="Antoine", last_name="Saint–Exupéry", email="antoine@example.fr")
    apostrophe = post_lead(first_name="Ciarán", last_name="O’Brien", email="ciaran@example.ie")
    for lead_id in (irish, dutch, spanish, french, apostrophe):
        classify(db, lead_id)

    assert _ids(consultant, "bhriain") == _ids(consultant, "Bhriain") == [irish]
    assert _ids(consultant, "dijk") == [dutch]
    assert _ids(consultant, "lopez") == _ids(consultant, "López") == _ids(consultant, "LOPEZ") == [spanish]
    assert _ids(consultant, "garcia lopez") == [spanish]
    assert _ids(consultant, "exupery") == [french]
    assert _ids(consultant, "brien") == [apostrophe]
    # The start of a word only, not anywhere inside one.
    assert _ids(consultant, "ijk") == _ids(consultant, "opez") == _ids(consultant, "riain") == []
    # Wildcards stay literal in the fallback too.
    assert _ids(consultant, "%") == _ids(consultant, "_ijk") == []


@BOTH
def test_the_fallback_is_used_only_when_no_prefix_matches(db: Database, team: Team, consultant: Browser,
                                                          post_lead: Callable[..., str]) -> None:
    starts = post_lead(first_name="Murielle", last_name="Dupont", email="murielle@example.fr")
    inside = post_lead(first_name="Jean", last_name="Le Murray", email="jean@example.fr")
    classify(db, starts, stream="francophone-mobility")
    classify(db, inside, stream="entrepreneur")

    with db.transaction() as session:
        user = session.get(User, team.consultant_id)
        assert user is not None
        prefix = queue.queue_page(session, user, queue.QueueFilter(scope="all", q="mur"))
        assert [row.lead.id for row in prefix.rows] == [starts] and not prefix.matched_inside_names
        fallback = queue.queue_page(session, user, queue.QueueFilter(scope="all", q="murray"))
        assert [row.lead.id for row in fallback.rows] == [inside] and fallback.matched_inside_names

    assert consultant.get("/leads/counts?scope=all&q=mur").get_json()["counts"] == {"francophone-mobility": 1}
    assert consultant.get("/leads/counts?scope=all&q=murray").get_json()["counts"] == {"entrepreneur": 1}
    # A stream tab follows the same choice as the tabs' counts: "mur" starts a name in another stream,
    # so the entrepreneur tab (counted 0) does not list the lead whose later word starts with it.
    assert _ids(consultant, "mur", stream="entrepreneur") == []
    assert _ids(consultant, "murray", stream="entrepreneur") == [inside]
    assert _ids(consultant, "murray", stream="francophone-mobility") == []


@BOTH
def test_next_pages_and_the_csv_export_keep_the_fallback(db: Database, team: Team, admin: Browser,
                                                         post_lead: Callable[..., str]) -> None:
    found = []
    for n in range(7):
        lead_id = post_lead(first_name=f"Ana{n}", last_name="de Souza", email=f"ana{n}@example.br")
        classify(db, lead_id, score=n * 10)
        found.append(lead_id)
    other = post_lead(first_name="Paulo", last_name="Sousa", email="paulo@example.br")  # not "souza"
    classify(db, other)

    with db.transaction() as session:
        user = session.get(User, team.admin_id)
        assert user is not None
        flt = queue.QueueFilter(scope="all", q="souza")
        seen: list[str] = []
        cursor = None
        while True:
            page = queue.queue_page(session, user, flt, cursor, limit=3)
            assert page.matched_inside_names
            seen.extend(row.lead.id for row in page.rows)
            if page.next_cursor is None:
                break
            cursor = page.next_cursor
            # The cursor is still a valid one for the API's check.
            assert queue.decode_cursor(cursor) is not None
    assert seen == found[::-1]  # best score first, each once

    response = admin.get("/leads/export.csv?" + urlencode({"scope": "all", "q": "souza"}))
    rows = list(csv.DictReader(io.StringIO(response.get_data().decode("utf-8-sig"))))
    assert [row["id"] for row in rows] == found[::-1]
