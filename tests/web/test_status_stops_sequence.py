"""A status change that stops the lead's email sequence says so, in the flash message (EN/FR)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from crm.db import Database
from crm.models import Enrolment
from tests.web.conftest import Browser, Team, classify, enrol

SAID = {"en": "Its email sequence stopped: no more emails will be sent to this lead.",
        "fr": "Sa séquence de courriels s&#39;est arrêtée : plus aucun courriel ne sera envoyé à ce prospect."}


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_contacted_says_the_sequence_stopped(db: Database, team: Team, consultant: Browser,
                                             post_lead: Callable[..., str], lang: str) -> None:
    lead_id = post_lead()
    classify(db, lead_id)
    enrol(db, lead_id)
    consultant.get(f"/leads?lang={lang}")
    consultant.post(f"/leads/{lead_id}/status", {"status": "contacted"})
    html = consultant.get(f"/leads/{lead_id}").get_data(as_text=True)
    assert SAID[lang] in html
    with db.transaction() as session:
        assert session.query(Enrolment).filter_by(lead_id=lead_id).one().status == "stopped"


def test_without_a_running_sequence_nothing_is_said_about_emails(
        db: Database, team: Team, consultant: Browser, post_lead: Callable[..., str]) -> None:
    lead_id = post_lead()
    classify(db, lead_id)  # not enrolled
    consultant.post(f"/leads/{lead_id}/status", {"status": "contacted"})
    html = consultant.get(f"/leads/{lead_id}").get_data(as_text=True)
    assert "Status changed to “contacted”." in html and SAID["en"] not in html
