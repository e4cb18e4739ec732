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
