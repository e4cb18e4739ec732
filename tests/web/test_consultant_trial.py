"""Defects a consultant's trial of the workspace found (ninth session), each test failing before its fix:
the no-permit-needed sequence named by its flag's lower-case label, language codes for language names,
French labels without the space before their colon, `?status=new` ignored although the queue shows "new",
and an unticked consent box shown as its opt-in wording alone."""

from __future__ import annotations

import html as html_lib
import re
from collections.abc import Callable
from datetime import timedelta

import pytest
from flask import Flask

from crm.db import Database, utcnow
from crm.models import ConsentRecord, Delivery, Enrolment, ScheduledStep
from crm.sequences.consent import implied_consent_until
from crm.sequences.definitions import definitions
from crm.web import dashboard, labels
from crm.web.common import local_day
from crm.workspace import queue
from tests.web.conftest import Browser, Team, classify
from tests.web.test_queue import lead_ids_in

NBSP = "\u00a0"
CHECKBOX = "I agree to receive emails about immigration programs from the firm."


def _text(html: str) -> str:
    """The visible text of the page's main, without what is shown as received (messages, raw payloads,
    the consent wording): those keep the sender's punctuation."""
    main = html[html.index("<main"):html.index("</main>")] if "<main" in html else html
    main = re.sub(r"<(script|style|pre|q)\b.*?</\1>", " ", main, flags=re.DOTALL)
    main = re.sub(r'<p class="(?:why-)?message">.*?</p>', " ", main, flags=re.DOTALL)
    return re.sub(r"[ \t\r\n]+", " ", html_lib.unescape(re.sub(r"<[^>]+>", " ", main)))


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_every_sequence_has_a_name(lang: str) -> None:
    """Not its slug, and not a flag's or status's lower-case label: a name, capitalised."""
    names = definitions().sequences
    assert "no-permit-needed" in names and "employer" in names
    for name in names:
        shown = labels.sequence_label(name, lang)
        assert shown != name and shown[:1].isupper(), (name, shown)
    assert labels.sequence_label("no-permit-needed", lang) == {
        "en": "No work permit needed", "fr": "Aucun permis de travail requis"}[lang]
    # And every step of every sequence is named by what it says, not by its content key.
    for sequence in names.values():
        for step in sequence.steps:
            assert labels.step_label(step.template, step.content_key, lang) != step.content_key, step


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_the_no_permit_sequence_is_named_on_the_lead_page_and_dashboard(
        db: Database, team: Team, consultant: Browser, post_lead: Callable[..., str], lang: str) -> None:
    lead_id = post_lead(citizenships=["Canada"])
    classify(db, lead_id, stream="needs-review", flags=["no-permit-needed"])
    with db.transaction() as session:  # its one step sent, as the sender leaves it
        enrolment = Enrolment(lead_id=lead_id, sequence="no-permit-needed", language="en", status="completed",
                              enrolled_at=utcnow() - timedelta(days=1))
        session.add(enrolment)
        session.flush()
        step = ScheduledStep(enrolment_id=enrolment.id, lead_id=lead_id, step_index=0, status="sent",
                             content_key="answer:no-permit-needed", template="answer-no-permit",
                             due_at=utcnow() - timedelta(days=1))
        session.add(step)
        session.flush()
        session.add(Delivery(lead_id=lead_id, step_id=step.id, content_key=step.content_key,
                             sequence="no-permit-needed", template="answer-no-permit", language="en",
                             status="sent", to_address="aoife@example.ie", subject="No permit needed",
                             text_body="Hello", html_body="<p>Hello</p>", sent_at=utcnow() - timedelta(days=1)))
    name = {"en": "No work permit needed", "fr": "Aucun permis de travail requis"}[lang]
    flag = {"en": "no permit needed", "fr": "aucun permis requis"}[lang]
    page = _text(consultant.get(f"/leads/{lead_id}?lang={lang}").get_data(as_text=True))
    assert f"{'Sequence' if lang == 'en' else 'Séquence'} {name}" in page
    dashboard._cache.clear()
    html = consultant.get(f"/dashboard?lang={lang}").get_data(as_text=True)
    table = html[html.index('class="email-perf"'):html.index("</table>", html.index('class="email-perf"'))]
    assert f'<th scope="row">{name}</th>' in table
    assert f">{flag}<" not in table


@pytest.mark.parametrize(("lang", "shown"), [("en", "Language French"), ("fr", "Langue français")])
def test_the_leads_language_is_named(team: Team, consultant: Browser, post_lead: Callable[..., str],
                                     lang: str, shown: str) -> None:
    lead_id = post_lead(preferred_language="fr")
    page = _text(consultant.get(f"/leads/{lead_id}?lang={lang}").get_data(as_text=True))
    assert shown in page
    assert f"{shown.split()[0]} fr " not in page


@pytest.mark.parametrize(("stored", "lang", "shown"), [
    ("Round-robin among 2 active consultant(s) covering language fr and stream francophone-mobility: "
     "ana@firm.example was assigned longest ago.", "en",
     "Round-robin among the 2 active consultants covering French and Mobilité francophone: ana@firm.example "
     "was assigned longest ago."),
    ("Unassigned: no active consultant covers language en and stream entrepreneur.", "fr",
     "Non assigné : aucun consultant actif ne couvre le volet Entrepreneur en anglais."),
])
def test_the_assignment_line_names_the_language(stored: str, lang: str, shown: str) -> None:
    assert labels.assignment_text(stored, lang) == shown


def test_french_labels_have_a_no_break_space_before_their_colon(
        db: Database, team: Team, consultant: Browser, post_lead: Callable[..., str]) -> None:
    lead_id = post_lead(message="Bonjour", source_url="https://firm.example/contact")
    classify(db, lead_id, assignee_id=team.consultant_id, missing=["preuve de fonds"])
    html = consultant.get(f"/leads/{lead_id}?lang=fr").get_data(as_text=True)
    for label in ("Volet principal", "Assignation", "Consultant", "Type de prospect", "Score", "Depuis",
                  "Informations manquantes"):
        assert f"{label}{NBSP}:" in html, label
    # Anywhere on the page: a colon after a word (not in a time, 08:44, nor in an address) has its space.
    glued = re.findall(r"\S{0,20}[^\s\d/]:(?=\s)", _text(html))
    assert glued == []
    assert "Consultant:" in _text(consultant.get(f"/leads/{lead_id}?lang=en").get_data(as_text=True))


def test_the_queue_accepts_the_status_it_shows(
        db: Database, team: Team, consultant: Browser, post_lead: Callable[..., str]) -> None:
    """The queue shows a classified lead as "new": `?status=new` filters on it, as the status select does."""
    new, received = post_lead(), post_lead()
    classify(db, new)
    assert queue.QueueFilter.from_args({"status": "new"}).status == "classified"
    html = consultant.get("/leads?scope=all&status=new").get_data(as_text=True)
    assert lead_ids_in(html) == [new] and received not in lead_ids_in(html)
    assert "Filter ignored" not in html
    assert '<option value="classified" selected>' in html
    assert lead_ids_in(consultant.get("/leads?scope=all&status=classified").get_data(as_text=True)) == [new]


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_an_unticked_box_is_shown_as_not_ticked(
        app: Flask, db: Database, team: Team, consultant: Browser, post_lead: Callable[..., str], lang: str) -> None:
    """The form sends the checkbox's wording whether it was ticked or not; unticked, the inquiry is implied
    consent. The card showed that wording under "Implied consent", read as an opt-in."""
    unticked = post_lead(consent_marketing=False, consent_text=CHECKBOX)
    ticked = post_lead(consent_marketing=True, consent_text=CHECKBOX)
    with db.session() as session:
        recorded = session.query(ConsentRecord).filter_by(lead_id=unticked).one().recorded_at
    with app.app_context():  # the day in CRM_TIMEZONE, as the page shows days
        ends = local_day(implied_consent_until(recorded))
    html = consultant.get(f"/leads/{unticked}?lang={lang}").get_data(as_text=True)
    card = _text(html[html.index('id="consent-h"'):html.index("</section>", html.index('id="consent-h"'))])
    heading, not_ticked, expires = {
        "en": ("Box not ticked: implied consent", "Wording of the box, not ticked:", "expires on"),
        "fr": ("Case non cochée : consentement tacite", "Texte de la case, non cochée :", "expire le"),
    }[lang]
    assert heading in card.replace(NBSP, " ") and not_ticked in card.replace(NBSP, " ")
    assert f"{expires} {ends}" in card, card
    assert CHECKBOX in html
    html = consultant.get(f"/leads/{ticked}?lang={lang}").get_data(as_text=True)
    card = _text(html[html.index('id="consent-h"'):html.index("</section>", html.index('id="consent-h"'))])
    assert {"en": "Express consent", "fr": "Consentement exprès"}[lang] in card
    assert heading not in card.replace(NBSP, " ") and expires not in card


def test_the_french_dashboards_chart_tips_have_the_space_before_the_colon(
        team: Team, consultant: Browser, post_lead: Callable[..., str]) -> None:
    post_lead(citizenships=["France"])
    dashboard._cache.clear()
    html = consultant.get("/dashboard?lang=fr").get_data(as_text=True)
    tips = re.findall(r"<title>([^<]*)</title>", html)
    assert any(tip.startswith("France") for tip in tips)
    assert [tip for tip in tips if re.search(r"[^\s\u00a0]: ", html_lib.unescape(tip))] == []
    assert any(f"{NBSP}: " in html_lib.unescape(tip) for tip in tips)
