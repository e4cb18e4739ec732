"""The dashboard renders its charts as SVG from the data, with helpful empty states."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest

from crm.db import Database
from crm.models import Lead
from crm.workspace import stats
from tests.web.conftest import Browser, Team, classify, enrol


def test_empty_dashboard(team: Team, consultant: Browser) -> None:
    html = consultant.get("/dashboard").get_data(as_text=True)
    # each chart twice, drawn for a wide screen and for a phone (CSS shows one)
    assert "No data yet" in html and html.count("<svg class=\"chart") == 6


@pytest.mark.parametrize("backend", ["sqlite", "postgres"], indirect=True)
def test_dashboard_charts(db: Database, team: Team, consultant: Browser, post_lead: Callable[..., str]) -> None:
    a = post_lead(citizenships=["France"])
    b = post_lead(citizenships=["Ireland"])
    classify(db, a, stream="francophone-mobility")
    classify(db, b)
    enrol(db, b)
    consultant.post(f"/leads/{a}/status", {"status": "contacted"})
    html = consultant.get("/dashboard").get_data(as_text=True)
    assert "Mobilité francophone" in html and "France" in html and "Ireland" in html
    assert 'aria-label="Funnel from received to retained"' in html
    assert '<th scope="row">IEC Working Holiday</th>' in html  # email performance per sequence, by name
    with db.transaction() as session:
        assert session.get(Lead, a).first_contacted_at is not None
    assert " h</p>" in html  # the median time to first contact
    with db.transaction() as session:
        figures = stats.dashboard(session)
    assert figures.nationalities == [("FR", 1), ("IE", 1)]
    assert sum(figures.per_week["francophone-mobility"]) == 1 and figures.per_week["francophone-mobility"][-1] == 1
    assert dict(figures.funnel)["contacted"] == 1 and figures.email["iec-working-holiday"]["sent"] == 1
    assert figures.median_first_contact_hours is not None and figures.median_first_contact_hours < 1
    assert "Tableau de bord" in consultant.get("/dashboard?lang=fr").get_data(as_text=True)


def test_honeypot_spam_is_not_counted_as_leads(db: Database, team: Team, consultant: Browser,
                                               post_lead: Callable[..., str]) -> None:
    genuine = post_lead(citizenships=["France"])
    classify(db, genuine, stream="francophone-mobility")
    for _ in range(3):  # bots filling in the honeypot: stored as spam, never classified
        post_lead(citizenships=["Ireland"], website="http://spam.example")
    with db.transaction() as session:
        figures = stats.dashboard(session)
    assert figures.total_leads == 1 and dict(figures.funnel)["received"] == 1
    assert "unclassified" not in figures.per_week and sum(figures.per_week["francophone-mobility"]) == 1
    assert figures.nationalities == [("FR", 1)]
    assert "1 leads in total" in consultant.get("/dashboard").get_data(as_text=True)
    # a lead contacted and then found to be spam leaves the median time to first contact too
    consultant.post(f"/leads/{genuine}/status", {"status": "contacted"})
    with db.transaction() as session:
        session.get(Lead, genuine).first_inquiry_at -= timedelta(hours=30)
    consultant.post(f"/leads/{genuine}/status", {"status": "spam"})
    with db.transaction() as session:
        assert stats.dashboard(session).median_first_contact_hours is None


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_numbers_are_written_as_the_language_writes_them(db: Database, team: Team, consultant: Browser,
                                                        post_lead: Callable[..., str], lang: str) -> None:
    from datetime import timedelta

    from crm.web import dashboard

    a, b = post_lead(), post_lead()
    classify(db, a)
    classify(db, b)
    enrol(db, b)
    consultant.post(f"/leads/{a}/status", {"status": "contacted"})
    with db.transaction() as session:  # b has waited two days and a bit: the queue shows days
        session.get(Lead, b).last_inquiry_at -= timedelta(days=2, hours=3)
    dashboard._cache.clear()
    html = consultant.get(f"/dashboard?lang={lang}").get_data(as_text=True)
    assert {"en": "0.0 h</p>", "fr": "0,0 h</p>"}[lang] in html  # the median time to first contact
    assert {"en": "(0.0%)", "fr": "(0,0\u00a0%)"}[lang] in html  # bounced out of sent
    assert {"en": "0,0 h", "fr": "0.0 h"}[lang] not in html and {"en": "0,0", "fr": "0.0%"}[lang] not in html
    queue = consultant.get(f"/leads?lang={lang}").get_data(as_text=True)
    assert {"en": "2 d 3 h", "fr": "2 j 3 h"}[lang] in queue


@pytest.mark.parametrize("backend", ["sqlite", "postgres"], indirect=True)
def test_weeks_are_the_workspace_zones(db: Database, team: Team, post_lead: Callable[..., str]) -> None:
    """A lead that wrote on Sunday evening in Toronto is that week's, though it was Monday in UTC."""
    from datetime import UTC, date, datetime
    from zoneinfo import ZoneInfo

    toronto = ZoneInfo("America/Toronto")
    sunday_evening = datetime(2026, 11, 22, 22, 30, tzinfo=toronto)  # Monday 03:30 UTC
    monday_morning = datetime(2026, 11, 23, 9, 0, tzinfo=toronto)
    kolkata_monday = datetime(2026, 11, 23, 0, 15, tzinfo=ZoneInfo("Asia/Kolkata"))  # Sunday 18:45 UTC
    leads = {post_lead(): at for at in (sunday_evening, monday_morning, kolkata_monday)}
    with db.transaction() as session:
        for lead_id, at in leads.items():
            session.get(Lead, lead_id).first_inquiry_at = at.astimezone(UTC)
    now = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
    with db.transaction() as session:
        in_toronto = stats.dashboard(session, weeks=2, now=now, zone=toronto)
        in_kolkata = stats.dashboard(session, weeks=2, now=now, zone=ZoneInfo("Asia/Kolkata"))
        in_utc = stats.dashboard(session, weeks=2, now=now)
    assert in_toronto.weeks == [date(2026, 11, 16), date(2026, 11, 23)]
    assert in_toronto.per_week["unclassified"] == [2, 1]  # Sunday evening and Kolkata's Sunday 13:45
    assert in_kolkata.per_week["unclassified"] == [0, 3]  # all three on Monday in Kolkata
    assert in_utc.per_week["unclassified"] == [1, 2]


def test_the_median_time_to_first_contact_says_why_it_is_empty(team: Team, consultant: Browser) -> None:
    # It showed a bare "—": no lead contacted yet, or a broken figure?
    for lang, said in (("en", "No lead of these 12 weeks has been marked contacted yet."),
                       ("fr", "Aucun prospect de ces 12 semaines n&#39;a encore été marqué « contacté ».")):
        html = consultant.get(f"/dashboard?lang={lang}").get_data(as_text=True)
        card = html[html.index('class="big-number"'):]
        assert said in card[:card.index("</section>")], lang
