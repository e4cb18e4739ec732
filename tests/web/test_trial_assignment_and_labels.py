"""Defects from a consultant's trial of the workspace (tenth session), each test failing before its fix:
the lead page's assignment line kept the classification's round-robin sentence after a person assigned or
claimed the lead, and named people by email where the header names them."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from crm.db import Database
from crm.models import Classification, Lead, User
from crm.web import charts, dashboard
from crm.workspace.queue import STREAMS
from tests.web.conftest import Browser, Team, classify, enrol
from tests.web.test_consultant_trial import _text

ROUND_ROBIN = ("Round-robin among 2 active consultant(s) covering language en and stream iec-working-holiday: "
               "omar@firm.example was assigned longest ago.")


def _named(db: Database, team: Team) -> None:
    with db.transaction() as session:
        for user_id, name in ((team.consultant_id, "Ana Tremblay"), (team.other_id, "Omar Haddad"),
                              (team.admin_id, "Brigitte Admin")):
            user = session.get(User, user_id)
            assert user is not None
            user.name = name


def _round_robin_to_omar(db: Database, team: Team, lead_id: str) -> None:
    classify(db, lead_id, assignee_id=team.other_id)
    with db.transaction() as session:
        row = session.query(Classification).filter_by(lead_id=lead_id, is_current=True).one()
        row.assignment_reason = ROUND_ROBIN


def _assignment_line(page: str) -> str:
    start = page.index("Assignment")
    return page[start:page.index("Why this score", start)]


def test_the_automatic_assignment_names_the_consultant(db: Database, team: Team, admin: Browser,
                                                      post_lead: Callable[..., str]) -> None:
    _named(db, team)
    lead_id = post_lead()
    _round_robin_to_omar(db, team, lead_id)
    line = _assignment_line(_text(admin.get(f"/leads/{lead_id}?lang=en").get_data(as_text=True)))
    assert "Assignment: automatic · Round-robin among the 2 active consultants" in line
    assert "Omar Haddad was assigned longest ago" in line and "omar@" not in line


def test_an_admins_assignment_replaces_the_round_robin_reason(db: Database, team: Team, admin: Browser,
                                                             post_lead: Callable[..., str]) -> None:
    _named(db, team)
    lead_id = post_lead()
    _round_robin_to_omar(db, team, lead_id)
    assert admin.post(f"/leads/{lead_id}/assign", data={"assignee": str(team.consultant_id)}).status_code == 302
    for lang, said in (("en", "Assignment: Assigned to Ana Tremblay by Brigitte Admin on "),
                       ("fr", "Assignation\u00a0: Assigné à Ana Tremblay par Brigitte Admin le ")):
        page = _text(admin.get(f"/leads/{lead_id}?lang={lang}").get_data(as_text=True))
        assert said in page, page
        assert "Round-robin" not in page and "Tour de rôle" not in page and "omar@" not in page


def test_a_claim_replaces_the_round_robin_reason(db: Database, team: Team, consultant: Browser,
                                                admin: Browser, post_lead: Callable[..., str]) -> None:
    _named(db, team)
    lead_id = post_lead()
    _round_robin_to_omar(db, team, lead_id)
    assert admin.post(f"/leads/{lead_id}/assign", data={"assignee": "none"}).status_code == 302
    assert consultant.post(f"/leads/{lead_id}/claim").status_code == 302
    page = _text(consultant.get(f"/leads/{lead_id}?lang=en").get_data(as_text=True))
    assert "Consultant: Ana Tremblay" in page
    assert "Assignment: Claimed by Ana Tremblay on " in page
    assert "Round-robin" not in page


def test_a_later_round_robin_is_shown_again(db: Database, team: Team, admin: Browser,
                                           post_lead: Callable[..., str]) -> None:
    """Returned to the pool, then reclassified and given by round-robin: the newer, automatic one."""
    _named(db, team)
    lead_id = post_lead()
    classify(db, lead_id)
    assert admin.post(f"/leads/{lead_id}/assign", data={"assignee": str(team.consultant_id)}).status_code == 302
    assert admin.post(f"/leads/{lead_id}/assign", data={"assignee": "none"}).status_code == 302
    _round_robin_to_omar(db, team, lead_id)
    page = _text(admin.get(f"/leads/{lead_id}?lang=en").get_data(as_text=True))
    assert "Assignment: automatic · Round-robin" in page and "Omar Haddad was assigned longest ago" in page


def test_the_sequence_line_names_its_language(db: Database, team: Team, consultant: Browser,
                                              post_lead: Callable[..., str]) -> None:
    lead_id = post_lead()
    classify(db, lead_id)
    enrol(db, lead_id)  # an English sequence
    for lang, said in (("en", "(English) · active"), ("fr", "(anglais) · actif")):
        page = _text(consultant.get(f"/leads/{lead_id}?lang={lang}").get_data(as_text=True))
        assert said in page, page
        assert "(en)" not in page


def test_an_admins_empty_default_queue_says_the_team_has_leads(db: Database, team: Team, admin: Browser,
                                                               post_lead: Callable[..., str]) -> None:
    """Admins are not in the rotation: their default queue (mine and unassigned) is often empty while the
    team works on many leads. It said "new inquiries will appear here, share the form"."""
    for _ in range(2):
        classify(db, post_lead(), assignee_id=team.consultant_id)
    for lang, said, link in (
            ("en", "No leads assigned to you or unassigned. 2 open leads are assigned to your team: "
                   "see everyone's leads .", "see everyone&#39;s leads"),
            ("fr", "Aucun prospect qui vous est assigné ni non assigné. 2 prospects ouverts sont assignés à "
                   "votre équipe\u00a0: voir les prospects de tous .", "voir les prospects de tous")):
        html = admin.get(f"/leads?lang={lang}").get_data(as_text=True)
        assert said in _text(html), _text(html)
        assert f'<a href="/leads?scope=all">{link}</a>' in html
        assert "/apply" not in html[html.index("<main"):]


def test_the_first_run_empty_state_is_kept_for_an_empty_database(team: Team, admin: Browser) -> None:
    page = _text(admin.get("/leads?lang=en").get_data(as_text=True))
    assert "New inquiries from your website will appear here. Share the form at /apply" in page
    assert "assigned to your team" not in page


def test_the_queue_row_says_employer_and_no_permit_needed(db: Database, team: Team, admin: Browser,
                                                          post_lead: Callable[..., str]) -> None:
    employer = post_lead(interest="hire")
    classify(db, employer, stream="needs-review")
    with db.transaction() as session:
        lead = session.get(Lead, employer)
        assert lead is not None
        lead.lead_type = "employer"
        row = session.query(Classification).filter_by(lead_id=employer, is_current=True).one()
        row.lead_type = "employer"
    canadian = post_lead(citizenships=["Canada"])
    # As the classifier leaves it: the flag on the classification, not among the lead's queue flags.
    classify(db, canadian, stream="needs-review")
    with db.transaction() as session:
        row = session.query(Classification).filter_by(lead_id=canadian, is_current=True).one()
        row.flags = ["no-permit-needed"]
    for lang, badge, flag in (("en", "employer", "no permit needed"), ("fr", "employeur", "aucun permis requis")):
        html = admin.get(f"/leads?scope=all&lang={lang}").get_data(as_text=True)
        rows = {lead_id: html[html.index(f'value="{lead_id}"'):html.index("</tr>", html.index(f'value="{lead_id}"'))]
                for lead_id in (employer, canadian)}
        assert f'<span class="tag lead-type lead-type-employer">{badge}</span>' in rows[employer]
        assert "lead-type" not in rows[canadian]
        assert f'<span class="tag flag">{flag}</span>' in rows[canadian]


def _luminance(hex_colour: str) -> float:
    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4
    r, g, b = (int(hex_colour[i:i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def test_every_stream_has_its_own_colour_on_the_dashboard() -> None:
    """Fifteen streams and ten colours (index % 10): five pairs of streams looked the same."""
    series = {slug: [index + 1, 1] for index, slug in enumerate(STREAMS)}
    chart = str(charts.stacked_columns("t", ["a", "b"], series))
    legend = str(charts.legend(series))
    classes = re.findall(r'<rect class="(series-\d+)" width', legend)
    assert len(classes) == len(STREAMS) == len(set(classes))
    assert set(re.findall(r'<rect class="(series-\d+)" x', chart)) == set(classes)
    css = (Path(__file__).parents[2] / "crm/static/web.css").read_text()
    fills = dict(re.findall(r"\.(series-\d+) \{ fill: (#[0-9a-f]{6}); \}", css))
    colours = [fills[name] for name in classes]
    assert len(set(colours)) == len(colours)
    for colour in colours:  # a graphical object on the white card: 3:1 at least
        assert 1.05 / (_luminance(colour) + 0.05) >= 3, colour


def test_the_dashboard_has_a_weekly_chart_drawn_for_a_phone(db: Database, team: Team, consultant: Browser,
                                                            post_lead: Callable[..., str]) -> None:
    classify(db, post_lead())
    dashboard._cache.clear()
    html = consultant.get("/dashboard?lang=en").get_data(as_text=True)
    phone = re.search(r'<svg class="chart phone-only" viewBox="0 0 (\d+) (\d+)".*?</svg>', html, re.DOTALL)
    assert phone, "no phone chart"
    assert int(phone[1]) <= 400  # drawn about as wide as a phone: its 13-unit labels stay readable
    assert phone[0].count('class="tick" x=') - 2 == dashboard.PHONE_WEEKS  # one date per column, and 0 and peak
    assert '<svg class="chart wide-only" viewBox="0 0 1000' in html
