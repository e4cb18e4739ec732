"""A lead's name that looks like an RFC 2047 encoded word is previewed as typed, never decoded (into
other text, line breaks included) and never a 500 (an unknown charset made decode_header raise)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import update

from crm.db import Database
from crm.models import ScheduledStep
from tests.web.conftest import Browser, Team, classify, enrol


@pytest.mark.parametrize("first_name", ["=?x-unknown?b?QUJD?=", "=?utf-8?q?=0D=0ABcc:_x@evil.example?="])
def test_the_email_preview_shows_an_encoded_word_name_as_typed(
        db: Database, team: Team, consultant: Browser, post_lead: Callable[..., str], first_name: str) -> None:
    lead_id = post_lead(first_name=first_name)
    classify(db, lead_id)
    enrol(db, lead_id)
    with db.transaction() as session:  # the scheduled step: one whose subject has the first name
        session.execute(update(ScheduledStep).where(ScheduledStep.lead_id == lead_id, ScheduledStep.step_index == 1)
                        .values(template="checkin", content_key="checkin:iec-working-holiday"))
    page = consultant.get(f"/leads/{lead_id}?preview=1")
    frame = consultant.get(f"/leads/{lead_id}/preview/1.html")
    assert page.status_code == 200 and frame.status_code == 200
    html = page.get_data(as_text=True)
    assert first_name in html  # the subject and the To name as typed
    assert "Bcc: x@evil.example" not in html
