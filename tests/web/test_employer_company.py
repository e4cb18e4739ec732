"""An employer lead's company is in the page's header and contact card, not only in the folded answers
(consultant trial: "Northwind Logistics" appeared only under "All answers")."""

from __future__ import annotations

from collections.abc import Callable

from crm.db import Database
from tests.web.conftest import Browser, Team, classify


def test_the_company_of_an_employer_is_shown_with_the_name(db: Database, team: Team, consultant: Browser,
                                                           post_lead: Callable[..., str]) -> None:
    lead_id = post_lead(first_name="Robert", last_name="Hale", company_name="Northwind Logistics",
                        citizenships=[], age=None, interest="hire")
    html = consultant.get(f"/leads/{lead_id}").get_data(as_text=True)
    head = html[html.index("<h1>"):html.index("</h1>")]
    assert "Northwind Logistics" in head
    contact = html[html.index('id="contact-h"'):html.index("All answers")]
    assert "<dt>Company</dt><dd>Northwind Logistics</dd>" in contact


def test_a_workers_current_employer_is_not_shown_as_a_company(db: Database, team: Team, consultant: Browser,
                                                              post_lead: Callable[..., str]) -> None:
    lead_id = post_lead(first_name="Ana", employer_name="Acme GmbH")
    classify(db, lead_id)
    html = consultant.get(f"/leads/{lead_id}").get_data(as_text=True)
    assert "Acme GmbH" not in html[html.index("<h1>"):html.index("</h1>")]


def test_an_employers_card_leaves_out_a_persons_empty_rows(db: Database, team: Team, consultant: Browser,
                                                           post_lead: Callable[..., str]) -> None:
    # Consultant trial: an employer's card read "Citizenships —", "Residence —", "Date of birth / age —", as if
    # something were missing about the employer; a worker's card keeps them, empty or not.
    employer = post_lead(first_name="Robert", company_name="Northwind Logistics", citizenships=[], age=None,
                         interest="hire")
    worker = post_lead(first_name="Ana", citizenships=[], age=None)
    for lang in ("en", "fr"):
        card = _contact(consultant.get(f"/leads/{employer}?lang={lang}").get_data(as_text=True))
        for row in (("Citizenships", "Residence", "Date of birth / age") if lang == "en"
                    else ("Citoyennetés", "Résidence", "Date de naissance / âge")):
            assert f"<dt>{row}</dt>" not in card, (lang, row)
        assert "<dt>Email</dt>" in card or "<dt>Courriel</dt>" in card
    card = _contact(consultant.get(f"/leads/{worker}?lang=en").get_data(as_text=True))
    assert "<dt>Citizenships</dt><dd>—</dd>" in card and "<dt>Date of birth / age</dt><dd>—</dd>" in card


def _contact(html: str) -> str:
    start = html.index('id="contact-h"')
    return html[start:html.index("</dl>", start)]
