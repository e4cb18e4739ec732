"""Consultant trial, third round: the lead page and the dashboard."""
from __future__ import annotations

import html
import re
from collections.abc import Callable

import pytest
from sqlalchemy import select

from crm.db import Database
from crm.models import Activity
from crm.web import labels
from tests.web.conftest import Browser, Team, classify


@pytest.mark.parametrize(("stored", "lang", "shown"), [
    ("Round-robin among 3 active consultant(s) covering language en and stream needs-review: "
     "ana@firm.example was assigned longest ago.", "en",
     "Round-robin among the 3 active consultants covering leads in English that need review: "
     "ana@firm.example was assigned longest ago."),
    ("Round-robin among 1 active consultant(s) covering language fr and stream needs-review: "
     "ana@firm.example was assigned longest ago.", "fr",
     "Assigné à ana@firm.example, seul consultant actif qui couvre les prospects à vérifier en français."),
    ("No active consultant covers language en and stream needs-review; round-robin among 2 active admin(s): "
     "boss@firm.example was assigned longest ago.", "fr",
     "Aucun consultant actif ne couvre les prospects à vérifier en anglais : tour de rôle entre les 2 "
     "administrateurs actifs, boss@firm.example avait reçu un prospect le moins récemment."),
    ("Unassigned: no active consultant covers language en and stream needs-review.", "en",
     "Unassigned: no active consultant covers leads in English that need review."),
])
def test_needs_review_is_named_as_leads_to_review_not_as_a_stream(stored: str, lang: str, shown: str) -> None:
    """Trial: "covering English and Needs review" read as if Needs review were a programme."""
    said = labels.assignment_text(stored, lang)
    assert said == shown
    assert "Needs review" not in said and "volet À vérifier" not in said


def _timeline_assignments(db: Database, lead_id: str) -> int:
    with db.transaction() as session:
        return len(session.scalars(select(Activity).where(Activity.lead_id == lead_id,
                                                          Activity.kind == "assignment")).all())


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_assigning_a_lead_to_whoever_has_it_says_so_and_writes_nothing(
        db: Database, team: Team, consultant: Browser, admin: Browser, post_lead: Callable[..., str],
        lang: str) -> None:
    """Trial: assigning a lead to the consultant who already had it said "Assigned to Ana"."""
    lead_id = post_lead()
    classify(db, lead_id)
    admin.get(f"/leads?lang={lang}")
    consultant.get(f"/leads?lang={lang}")
    admin.post(f"/leads/{lead_id}/assign", {"assignee": str(team.consultant_id)})
    before = _timeline_assignments(db, lead_id)
    page = admin.post(f"/leads/{lead_id}/assign", {"assignee": str(team.consultant_id)},
                      follow_redirects=True).get_data(as_text=True)
    expected = {"en": "The lead is already assigned to ana@firm.example: nothing changed.",
                "fr": "Le prospect est déjà assigné à ana@firm.example : rien n'a changé."}[lang]
    assert html.unescape(expected) in html.unescape(page)
    assert _timeline_assignments(db, lead_id) == before
    page = consultant.post(f"/leads/{lead_id}/claim", follow_redirects=True).get_data(as_text=True)
    assert {"en": "You already have this lead", "fr": "Ce prospect est déjà le vôtre"}[lang] in html.unescape(page)
    admin.post(f"/leads/{lead_id}/assign", {"assignee": "none"})
    page = admin.post(f"/leads/{lead_id}/assign", {"assignee": "none"},
                      follow_redirects=True).get_data(as_text=True)
    assert {"en": "already unassigned", "fr": "déjà assigné à personne"}[lang] in html.unescape(page)
    assert _timeline_assignments(db, lead_id) == before + 1  # the one real change


@pytest.mark.parametrize(("lang", "said"), [
    ("en", "Figures as of 04:31 EST, refreshed every 5 minutes."),
    ("fr", "Chiffres calculés à 04:31 EST, actualisés toutes les 5 minutes."),
])
def test_the_dashboard_says_when_its_cached_figures_were_computed(
        monkeypatch: pytest.MonkeyPatch, team: Team, consultant: Browser, lang: str, said: str) -> None:
    """Trial: after marking a lead contacted the cached funnel still showed 0 contacted, with nothing
    saying that the figures were a few minutes old. The time is the workspace's (America/Toronto)."""
    from datetime import UTC, datetime

    from crm.web import dashboard

    dashboard._cache.clear()
    monkeypatch.setattr(dashboard, "utcnow", lambda: datetime(2026, 11, 27, 9, 31, tzinfo=UTC))
    page = consultant.get(f"/dashboard?lang={lang}").get_data(as_text=True)
    assert said in html.unescape(page)
    monkeypatch.setattr(dashboard, "utcnow", lambda: datetime(2026, 11, 27, 9, 33, tzinfo=UTC))
    page = consultant.get(f"/dashboard?lang={lang}").get_data(as_text=True)
    assert said in html.unescape(page)  # still the cached figures, still their time
    dashboard._cache.clear()


@pytest.mark.parametrize(("lang", "summary"), [("en", "Show the whole note"), ("fr", "Afficher la note entière")])
def test_a_long_note_is_folded_on_the_timeline(db: Database, team: Team, consultant: Browser,
                                               post_lead: Callable[..., str], lang: str, summary: str) -> None:
    """Trial: a 3,000-character note (or one of many short lines) made the timeline several screens tall."""
    lead_id = post_lead()
    long_note = ("Called back, discussed the job offer from the Calgary employer and the LMIA exemption. " * 35)
    many_lines = "\n".join(f"{n}. document to bring" for n in range(1, 21))
    short = "Left a voicemail."
    for note in (long_note.strip(), many_lines, short):
        consultant.post(f"/leads/{lead_id}/note", {"note": note})
    page = consultant.get(f"/leads/{lead_id}?lang={lang}").get_data(as_text=True)
    timeline = page[page.index('id="notes-h"'):page.index("</section>", page.index('id="notes-h"'))]
    items = {item for item in timeline.split("<li ")}
    notes = [item for item in items if "kind-note" in item]
    assert len(notes) == 3
    for item in notes:
        text = html.unescape(item)
        if short in text:
            assert "<details" not in item
            continue
        whole = long_note.strip() if "Calgary" in text else many_lines
        start, folded = re.findall(r'<div class="summary[^"]*">(.*?)</div>', text, re.DOTALL)
        assert f"<summary>{summary}</summary>" in item and folded == whole
        assert len(start) <= 600 and start.count("\n") < 8 and whole.startswith(start.rstrip("\u2026"))


@pytest.mark.parametrize(("lang", "heading"), [("en", "Read from the message"), ("fr", "Lu dans le message")])
def test_the_read_from_the_message_flag_shows_the_words_it_came_from(
        db: Database, team: Team, consultant: Browser, post_lead: Callable[..., str], lang: str,
        heading: str) -> None:
    """Trial: the flag said that something was read from the message, not what: the consultant could not
    check it. The classifier's signals (kind, value, quote) are stored with the classification."""
    from crm.classify.service import classify_and_store
    from crm.db import utcnow
    from crm.workspace import leadview

    lead_id = post_lead(citizenships=[], age=None,
                        message="Hello, I am a 26 year old Indian nurse and I have a job offer in Alberta.")
    with db.transaction() as session:
        classify_and_store(session, lead_id, "intake", utcnow(), force=True)
    with db.session() as session:
        quotes = leadview.message_quotes(leadview.latest_signals(session, lead_id))
    assert quotes and all(quote in "Hello, I am a 26 year old Indian nurse and I have a job offer in Alberta."
                          for quote in quotes)
    page = consultant.get(f"/leads/{lead_id}?lang={lang}").get_data(as_text=True)
    card = html.unescape(page[page.index('id="class-h"'):page.index("</section>", page.index('id="class-h"'))])
    flag = {"en": "read from the message", "fr": "lu dans le message"}[lang]
    assert f'<span class="tag flag">{flag}</span>' in card
    shown = re.search(r'<p class="small read-from-message" id="read-from-message">(.*?)</p>', card, re.DOTALL)
    space = "\u00a0" if lang == "fr" else ""
    assert shown and shown.group(1).startswith(f"{heading}{space}:")
    assert re.findall(r"<q>(.*?)</q>", shown.group(1)) == quotes


@pytest.mark.parametrize(("lang", "counted", "said"), [
    ("en", "1 updated, 2 skipped.", "2 skipped: already assigned to ana@firm.example."),
    ("fr", "1 mis à jour, 2 ignorés.", "2 ignorés : déjà assignés à ana@firm.example."),
])
def test_a_bulk_assignment_to_whoever_has_the_leads_counts_them_as_skipped(
        db: Database, team: Team, consultant: Browser, admin: Browser, post_lead: Callable[..., str],
        lang: str, counted: str, said: str) -> None:
    """The bulk form counted leads already Ana's as updated when they were assigned to her again."""
    leads = [post_lead() for _ in range(3)]
    for lead_id in leads:
        classify(db, lead_id, assignee_id=team.consultant_id if lead_id != leads[0] else None)
    admin.get(f"/leads?lang={lang}")
    before = sum(_timeline_assignments(db, lead_id) for lead_id in leads)
    page = admin.post("/leads/bulk", {"lead_ids": leads, "action": "assign", "assignee": str(team.consultant_id)},
                      follow_redirects=True).get_data(as_text=True)
    text = html.unescape(page)
    assert counted in text and said in text
    assert sum(_timeline_assignments(db, lead_id) for lead_id in leads) == before + 1
