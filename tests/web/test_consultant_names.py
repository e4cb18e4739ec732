"""Consultants are shown by their names (the email as a title, or alone when a user has no name): the
queue's Consultant column and filter, the bulk and lead page's assignment dropdowns, the lead's header."""

from __future__ import annotations

from collections.abc import Callable

from crm.db import Database
from crm.models import User
from tests.web.conftest import Browser, Team, classify


def test_names_are_shown_with_the_email_as_fallback(db: Database, team: Team, admin: Browser,
                                                    post_lead: Callable[..., str]) -> None:
    with db.transaction() as session:
        session.get(User, team.consultant_id).name = "Ana Souza"  # omar has no name
    lead_id = post_lead(first_name="Named")
    classify(db, lead_id, assignee_id=team.consultant_id)
    queue = admin.get("/leads?scope=all").get_data(as_text=True)
    assert '<span title="ana@firm.example">Ana Souza</span>' in queue  # the Consultant column
    assert 'title="ana@firm.example">Ana Souza</option>' in queue  # the filter and the bulk dropdown
    assert 'title="omar@firm.example">omar@firm.example</option>' in queue
    page = admin.get(f"/leads/{lead_id}").get_data(as_text=True)
    assert '<span title="ana@firm.example">Ana Souza</span>' in page
    assert 'title="ana@firm.example">Ana Souza</option>' in page


def test_the_header_names_the_signed_in_user_and_a_blank_name_falls_back_to_the_email(
        db: Database, team: Team, consultant: Browser, admin: Browser, post_lead: Callable[..., str]) -> None:
    with db.transaction() as session:
        session.get(User, team.consultant_id).name = "Ana Souza"
        session.get(User, team.admin_id).name = "   "
    lead_id = post_lead(first_name="Named")
    classify(db, lead_id, assignee_id=team.admin_id)
    assert 'title="ana@firm.example">Ana Souza</a>' in consultant.get("/leads").get_data(as_text=True)
    page = admin.get(f"/leads/{lead_id}").get_data(as_text=True)
    admin_email = page.split('<a href="/account" title="', 1)[1].split('"', 1)[0]
    assert f'title="{admin_email}">{admin_email}</a>' in page  # the header
    assert f'<span title="{admin_email}">{admin_email}</span>' in page  # the lead's consultant


def test_an_assignment_is_said_with_the_consultants_name(db: Database, team: Team, admin: Browser,
                                                         post_lead: Callable[..., str]) -> None:
    # Consultant trial: the flash and the timeline said "Assigned to ana@firm.example" under a header
    # that names her "Ana Souza".
    with db.transaction() as session:
        session.get(User, team.consultant_id).name = "Ana Souza"  # omar has no name
    lead_id = post_lead(first_name="Named")
    classify(db, lead_id)
    for lang, said in (("en", "Assigned to {}."), ("fr", "Assigné à {}.")):
        admin.get(f"/leads/{lead_id}?lang={lang}")
        for who_id, who in ((team.consultant_id, "Ana Souza"), (team.other_id, "omar@firm.example")):
            html = admin.post(f"/leads/{lead_id}/assign", {"assignee": str(who_id)},
                              follow_redirects=True).get_data(as_text=True)
            flashes = html[html.index('class="flashes"'):html.index("</div>", html.index('class="flashes"'))]
            assert said.format(who) in flashes, (lang, flashes)
    timeline = admin.get(f"/leads/{lead_id}?lang=en").get_data(as_text=True).split('<ol class="timeline">', 1)[1]
    lines = [line for line in timeline.split("</li>") if "kind-assignment" in line]
    assert any("Assigned to Ana Souza" in line for line in lines), lines
    assert any("Assigned to omar@firm.example" in line for line in lines), lines
    assert not any("ana@firm.example<" in line or "Assigned to ana@firm.example" in line for line in lines)
