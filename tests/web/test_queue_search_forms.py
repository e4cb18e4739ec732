"""The queue's search finds a lead however a consultant types what they know of it (consultant trial).

Names without their punctuation ("obrien" for O'Brien, "jean pierre" for Jean-Pierre), last name first,
German names without umlauts, an employer's company, a phone number in any common format; and a search
that finds nothing in the current view says where it does find leads, with a link. Each test failed
before its fix.
"""

from __future__ import annotations

import html as markup
import re
from collections.abc import Callable
from urllib.parse import urlencode

import pytest
from sqlalchemy import update

from crm.db import Database
from crm.models import Lead
from tests.web.conftest import Browser, Team, classify
from tests.web.test_queue import lead_ids_in

BOTH = pytest.mark.parametrize("backend", ["sqlite", "postgres"], indirect=True)


def _ids(browser: Browser, query: str, **args: str) -> set[str]:
    html = browser.get("/leads?" + urlencode({"scope": "all", "q": query, **args})).get_data(as_text=True)
    return set(lead_ids_in(html))


@BOTH
def test_names_are_found_without_their_apostrophes_hyphens_and_accents(
        db: Database, team: Team, consultant: Browser, post_lead: Callable[..., str]) -> None:
    obrien = post_lead(first_name="Siobhán", last_name="O'Brien", email="siobhan@example.ie")
    oconnor = post_lead(first_name="Liam", last_name="O’Connor", email="liam@example.ie")
    jean_pierre = post_lead(first_name="Jean-Pierre", last_name="Bélanger", email="jp@example.fr")
    dangelo = post_lead(first_name="Marco", last_name="D'Angelo", email="marco@example.it")
    muller = post_lead(first_name="Jürgen", last_name="Müller", email="jurgen@example.de")
    garcia = post_lead(first_name="María José", last_name="García López", email="mj@example.es")

    assert _ids(consultant, "obrien") == _ids(consultant, "O'Brien") == _ids(consultant, "o’brien") == {obrien}
    assert _ids(consultant, "oconnor") == _ids(consultant, "OConnor") == {oconnor}
    assert _ids(consultant, "dangelo") == _ids(consultant, "d'angelo") == {dangelo}
    assert _ids(consultant, "jean pierre") == _ids(consultant, "Jean-Pierre") == {jean_pierre}
    assert _ids(consultant, "belanger") == _ids(consultant, "BÉLANGER") == {jean_pierre}
    assert _ids(consultant, "muller") == _ids(consultant, "Müller") == _ids(consultant, "mueller") == {muller}
    # First name then last name, last name then first name, with extra spaces or a comma, any case.
    assert _ids(consultant, "siobhan obrien") == _ids(consultant, "  Siobhán   O'Brien ") == {obrien}
    assert _ids(consultant, "obrien siobhan") == _ids(consultant, "O'Brien, Siobhán") == {obrien}
    assert _ids(consultant, "jean pierre belanger") == _ids(consultant, "belanger jean-pierre") == {jean_pierre}
    assert _ids(consultant, "garcia lopez maria") == _ids(consultant, "maria jose garcia") == {garcia}
    assert _ids(consultant, "juergen mueller") == {muller}
    # A later word is still found ("brien", "lopez"), and nothing inside a word.
    assert _ids(consultant, "brien") == {obrien}
    assert _ids(consultant, "lopez") == {garcia}
    assert _ids(consultant, "rien") == _ids(consultant, "'") == _ids(consultant, "-") == set()
    # Part of an email address: its domain, or a later part of it.
    assert _ids(consultant, "@example.de") == _ids(consultant, "Example.DE") == {muller}
    assert _ids(consultant, "j@example.es") == {garcia}  # mj@example.es



@BOTH
def test_an_employers_company_is_searchable(db: Database, team: Team, consultant: Browser,
                                            post_lead: Callable[..., str]) -> None:
    employer = post_lead(first_name="Robert", last_name="Hale", email="robert@northwind.example",
                         employer_name="Northwind Logistics", interest="hire", citizenships=[], age=None)
    founder = post_lead(first_name="Chloé", last_name="Roy", email="chloe@example.fr",
                        company_name="Boulangerie L'Étoile", interest="business")
    worker = post_lead(first_name="Ana", last_name="Silva", email="ana@example.pt", employer_name="Northwind Café")

    assert _ids(consultant, "northwind") == _ids(consultant, "Northwind Log") == {employer}
    assert _ids(consultant, "boulangerie letoile") == _ids(consultant, "Boulangerie L’Étoile") == {founder}
    assert _ids(consultant, "logistics") == {employer}  # a later word of the company
    assert _ids(consultant, "etoile") == _ids(consultant, "l'étoile") == {founder}
    assert worker not in _ids(consultant, "northwind cafe")  # a worker's current employer is not a company
    # The row says which company it is, as the lead page's header does.
    html = consultant.get("/leads?" + urlencode({"scope": "all", "q": "northwind"})).get_data(as_text=True)
    assert "Robert Hale</a> <span class=\"muted company\">· Northwind Logistics</span>" in html
    # A later word of the company: the page says where the search found it.
    html = consultant.get("/leads?" + urlencode({"scope": "all", "q": "logistics"})).get_data(as_text=True)
    assert "these have it at the start of a later word (of the name or company) or inside the email address" in html


@BOTH
def test_a_phone_number_is_found_in_any_format(db: Database, team: Team, consultant: Browser,
                                              post_lead: Callable[..., str]) -> None:
    toronto = post_lead(first_name="Kenji", email="kenji@example.jp", phone="(416) 555-0199")
    paris = post_lead(first_name="Inès", email="ines@example.fr", phone="+33 6 12 34 56 78")

    for typed in ("+1 416 555 0199", "(416) 555-0199", "416-555-0199", "416.555.0199", "4165550199",
                  "1-416-555-0199", "011 1 416 555 0199", "416 555"):
        assert _ids(consultant, typed) == {toronto}, typed
    for typed in ("+33 6 12 34 56 78", "+33612345678", "0033 6 12 34 56 78", "33 612", "06 12 34 56 78"):
        assert _ids(consultant, typed) == {paris}, typed  # the last one as the French write it at home
    # The end of a number, when no number starts with it: said so on the page.
    html = consultant.get("/leads?" + urlencode({"scope": "all", "q": "555-0199"})).get_data(as_text=True)
    assert set(lead_ids_in(html)) == {toronto}
    assert "No phone number starts with “555-0199”: these are numbers that contain it." in html
    assert _ids(consultant, "416 555 0100") == set()


def _hint(browser: Browser, **args: str) -> tuple[str, str] | None:
    html = browser.get("/leads?" + urlencode(args)).get_data(as_text=True)
    assert lead_ids_in(html) == []
    match = re.search(r'<p class="hint" role="status">(.*?)<a href="([^"]+)">', html, re.S)
    return (markup.unescape(match.group(1)).strip(), markup.unescape(match.group(2))) if match else None


@BOTH
def test_an_empty_search_says_where_the_same_search_finds_leads(db: Database, team: Team, consultant: Browser,
                                                                post_lead: Callable[..., str]) -> None:
    colleagues = post_lead(first_name="Oisín", last_name="Keane", email="oisin@example.ie")
    classify(db, colleagues, stream="iec-working-holiday", assignee_id=team.other_id)
    closed = post_lead(first_name="Théo", last_name="Marchand", email="theo@example.fr")
    classify(db, closed, stream="francophone-mobility")
    with db.transaction() as session:
        session.execute(update(Lead).where(Lead.id == closed).values(status="lost"))

    # "My leads and unassigned": the lead is a colleague's.
    text, link = _hint(consultant, q="keane") or ("", "")
    assert text == "No lead here matches “keane”, but some of your team's leads do:"
    assert link == "/leads?scope=all&q=keane"
    assert lead_ids_in(consultant.get(link).get_data(as_text=True)) == [colleagues]
    # A stream tab: the lead is in another stream.
    text, link = _hint(consultant, q="keane", scope="all", stream="francophone-mobility") or ("", "")
    assert text == "No lead in this stream matches “keane”, but some in other streams do:"
    assert link == "/leads?scope=all&q=keane"
    # A stream tab of every lead, closed ones included: still "other streams".
    text, link = _hint(consultant, q="marchand", scope="all", status="any", stream="entrepreneur") or ("", "")
    assert text == "No lead in this stream matches “marchand”, but some in other streams do:"
    assert link == "/leads?scope=all&status=any&q=marchand"
    # Open leads only: the lead is closed.
    text, link = _hint(consultant, q="marchand", scope="all") or ("", "")
    assert text == "No lead matches “marchand” with these filters, but some do without them (closed leads included):"
    assert link == "/leads?scope=all&status=any&q=marchand"
    assert lead_ids_in(consultant.get(link).get_data(as_text=True)) == [closed]
    # In French too.
    text, link = _hint(consultant, q="keane", lang="fr") or ("", "")
    assert text == "Aucun prospect ici ne correspond à « keane », mais certains prospects de votre équipe, oui :"
    # Found nowhere: no hint, the usual words.
    assert _hint(consultant, q="zzyzx") is None
    html = consultant.get("/leads?q=zzyzx&lang=en").get_data(as_text=True)
    assert "Nothing matches these filters." in html and "Clear the filters" in html
