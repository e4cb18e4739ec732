"""The lead page: everything about the lead, and the actions on it."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from crm.classify.ages import age_on
from crm.classify.service import classify_and_store
from crm.db import Database, utcnow
from crm.models import Activity, Classification, Enrolment, Job, Lead
from tests.conftest import RecordingDispatcher
from tests.web.conftest import Browser, Team, classify, enrol


@pytest.mark.parametrize("backend", ["sqlite", "postgres"], indirect=True)
def test_it_shows_contact_consent_inquiries_classification_and_emails(
        db: Database, team: Team, consultant: Browser, post_lead: Callable[..., str]) -> None:
    lead_id = post_lead(consent_marketing=True, consent_text="Yes, email me", message="Hi there",
                        phone="+353 85 123 4567")
    classify(db, lead_id, flags=["age-out-soon"], missing=["proof of funds"])
    classify(db, lead_id, stream="iec-young-professionals", score=70)  # history: two rows
    enrol(db, lead_id, sent_subject="Your IEC options")
    html = consultant.get(f"/leads/{lead_id}").get_data(as_text=True)
    for expected in ("Aoife Murphy", "+353851234567", "Yes, email me", "Express consent", "Hi there",
                     "IEC Young Professionals", "2026.11-test", "Irish citizen aged 18-35", "proof of funds",
                     "History", "Your IEC options", "Pause sequence", "&#34;first_name&#34;"):
        assert expected in html, expected


def test_a_lead_before_classification_says_so(team: Team, consultant: Browser, post_lead: Callable[..., str]) -> None:
    html = consultant.get(f"/leads/{post_lead()}").get_data(as_text=True)
    assert "Not classified yet" in html
    assert consultant.get("/leads/no-such-lead").status_code == 404


@pytest.mark.parametrize("backend", ["sqlite", "postgres"], indirect=True)
def test_notes_and_status_changes_follow_the_transition_table(
        db: Database, team: Team, consultant: Browser, post_lead: Callable[..., str]) -> None:
    lead_id = post_lead()
    classify(db, lead_id)
    enrol(db, lead_id)
    assert consultant.post(f"/leads/{lead_id}/note", {"note": "Called, left a message"}).status_code == 302
    assert consultant.post(f"/leads/{lead_id}/status", {"status": "retained"}).status_code == 302  # refused
    with db.transaction() as session:
        assert session.get(Lead, lead_id).status == "classified"
    consultant.post(f"/leads/{lead_id}/status", {"status": "contacted"})
    with db.transaction() as session:
        lead = session.get(Lead, lead_id)
        assert lead.status == "contacted" and lead.first_contacted_at is not None and lead.notes_count == 1
        kinds = [a.kind for a in session.scalars(select(Activity).where(Activity.lead_id == lead_id))]
        assert "note" in kinds and "status" in kinds
        # The email helper's hook stopped the sequence once a consultant took over.
        assert session.scalars(select(Enrolment).where(Enrolment.lead_id == lead_id)).one().status == "stopped"
    html = consultant.get(f"/leads/{lead_id}").get_data(as_text=True)
    assert "Called, left a message" in html and "cannot go from" not in html


def test_claim_assign_and_a_colleagues_lead_is_read_only(
        db: Database, team: Team, consultant: Browser, other: Browser, admin: Browser,
        post_lead: Callable[..., str]) -> None:
    lead_id = post_lead()
    classify(db, lead_id)
    consultant.post(f"/leads/{lead_id}/claim")
    with db.transaction() as session:
        assert session.get(Lead, lead_id).assignee_id == team.consultant_id
    other.post(f"/leads/{lead_id}/claim")
    other.post(f"/leads/{lead_id}/status", {"status": "spam"})
    other.post(f"/leads/{lead_id}/note", {"note": "FYI: I know this person"})
    with db.transaction() as session:
        lead = session.get(Lead, lead_id)
        assert lead.assignee_id == team.consultant_id and lead.status == "classified" and lead.notes_count == 1
    admin.post(f"/leads/{lead_id}/assign", {"assignee": str(team.other_id)})
    with db.transaction() as session:
        assert session.get(Lead, lead_id).assignee_id == team.other_id


def test_reclassify_records_a_job_and_dispatches_it_after_commit(
        db: Database, team: Team, consultant: Browser, dispatcher: RecordingDispatcher,
        post_lead: Callable[..., str]) -> None:
    lead_id = post_lead()
    classify(db, lead_id)
    with db.transaction() as session:  # the intake job has run
        for job in session.scalars(select(Job)):
            job.status = "done"
    dispatcher.jobs.clear()
    consultant.post(f"/leads/{lead_id}/reclassify")
    assert [(job.kind, job.args) for job in dispatcher.jobs] == [
        ("classify_lead", {"lead_id": lead_id, "trigger": "reclassify"})]


def test_sequence_pause_resume_stop_and_previews(db: Database, team: Team, consultant: Browser,
                                                 post_lead: Callable[..., str]) -> None:
    lead_id = post_lead()
    classify(db, lead_id)
    enrol(db, lead_id)

    def status() -> str:
        with db.transaction() as session:
            return session.scalars(select(Enrolment.status).where(Enrolment.lead_id == lead_id)).one()

    consultant.post(f"/leads/{lead_id}/sequence", {"do": "pause"})
    assert status() == "paused"
    assert "Resume sequence" in consultant.get(f"/leads/{lead_id}").get_data(as_text=True)
    consultant.post(f"/leads/{lead_id}/sequence", {"do": "resume"})
    assert status() == "active"
    preview = consultant.get(f"/leads/{lead_id}?preview=1").get_data(as_text=True)
    assert 'id="previews"' in preview and "Aoife" in preview
    frame = consultant.get(f"/leads/{lead_id}/preview/1.html")
    assert frame.status_code == 200 and "sandbox" in frame.headers["Content-Security-Policy"]
    consultant.post(f"/leads/{lead_id}/sequence", {"do": "stop"})
    assert status() == "stopped"


def test_failed_email_shows_its_error(db: Database, team: Team, consultant: Browser,
                                      post_lead: Callable[..., str]) -> None:
    lead_id = post_lead()
    enrol(db, lead_id, failed=True)
    html = consultant.get(f"/leads/{lead_id}").get_data(as_text=True)
    assert "550 mailbox unavailable" in html


def test_raw_payload_is_served_as_plain_text(team: Team, consultant: Browser, post_lead: Callable[..., str],
                                            db: Database) -> None:
    lead_id = post_lead(message="<script>alert(1)</script>")
    with db.transaction() as session:
        inquiry_id = session.get(Lead, lead_id).inquiries[0].id
    response = consultant.get(f"/leads/{lead_id}/inquiries/{inquiry_id}/raw")
    assert response.mimetype == "text/plain" and response.headers["X-Content-Type-Options"] == "nosniff"
    assert b"<script>alert(1)</script>" in response.data
    assert consultant.get(f"/leads/{lead_id}/inquiries/other/raw").status_code == 404


def test_french_page_names_the_entrepreneur_stream_and_the_lead_type_apart(
        db: Database, team: Team, consultant: Browser, post_lead: Callable[..., str]) -> None:
    # "entrepreneur" is both a stream slug and a lead type: one catalogue entry serves both.
    lead_id = post_lead()
    classify(db, lead_id, stream="entrepreneur")
    with db.transaction() as session:
        lead = session.get(Lead, lead_id)
        assert lead is not None
        lead.lead_type = "entrepreneur"
        for row in session.scalars(select(Classification).filter_by(lead_id=lead_id)):
            row.lead_type = "entrepreneur"
    html = consultant.get(f"/leads/{lead_id}?lang=fr").get_data(as_text=True)
    assert "<strong>Entrepreneur</strong>" in html
    assert "Type de prospect\u00a0: entrepreneur ·" in html


def _contact_card(html: str) -> str:
    match = re.search(r'<section class="card" aria-labelledby="contact-h">(.*?)</section>', html, re.S)
    assert match, "no contact card on the page"
    return " ".join(re.sub(r"<[^>]+>", " ", match.group(1)).split())


def test_the_contact_card_shows_citizenship_and_age_read_from_the_message(
        db: Database, team: Team, consultant: Browser, client: FlaskClient) -> None:
    # No form field but the message: the real classifier reads the citizenship and the age from it,
    # and the card shows them marked as read from the message (it used to show "—" for both).
    response = client.post("/api/leads", json={
        "first_name": "Ravi", "last_name": "Patel", "email": "ravi@example.com",
        "message": "I'm a 26 year old Indian graduate of Humber College"})
    lead_id = str(response.get_json()["id"])
    with db.transaction() as session:
        assert classify_and_store(session, lead_id, "intake", utcnow()).status == "classified"
    card = _contact_card(consultant.get(f"/leads/{lead_id}").get_data(as_text=True))
    assert "Citizenships India (IN) The message says “26 year old Indian”" in card
    assert "Date of birth / age stated age 26 The message says" in card
    french = _contact_card(consultant.get(f"/leads/{lead_id}?lang=fr").get_data(as_text=True))
    assert "Inde (IN) Le message indique « 26 year old Indian »" in french
    assert "âge déclaré : 26 ans" in french


def test_the_contact_card_prefers_the_form_and_gives_the_age_of_a_date_of_birth(
        db: Database, team: Team, consultant: Browser, post_lead: Callable[..., str]) -> None:
    lead_id = post_lead(age=None, date_of_birth="1990-04-02", country_of_residence="Mexico",
                        message="I am Brazilian, 33, and I live in Chile.")
    with db.transaction() as session:
        assert classify_and_store(session, lead_id, "intake", utcnow()).status == "classified"
    card = _contact_card(consultant.get(f"/leads/{lead_id}").get_data(as_text=True))
    age = age_on(date(1990, 4, 2), utcnow().date())
    assert f"Date of birth / age 1990-04-02 · aged {age} today" in card
    assert "Citizenships Ireland (IE) Residence Mexico (MX)" in card  # the form wins over the message
    assert "The message says" not in card


def test_the_status_select_does_not_preselect_a_change(
        db: Database, team: Team, consultant: Browser, post_lead: Callable[..., str]) -> None:
    lead_id = post_lead()
    classify(db, lead_id)
    html = consultant.get(f"/leads/{lead_id}").get_data(as_text=True)
    select_html = re.search(r'<select id="status-target"[^>]*>(.*?)</select>', html, re.S)
    assert select_html and "required" in re.search(r'<select id="status-target"[^>]*>', html).group(0)
    options = re.findall(r"<option[^>]*>", select_html.group(1))
    assert options[0] == '<option value="" disabled selected>'  # a placeholder: the choice is required
    assert all("selected" not in option for option in options[1:])


def test_a_spam_lead_says_why_it_is_not_classified(
        team: Team, consultant: Browser, post_lead: Callable[..., str]) -> None:
    html = consultant.get(f"/leads/{post_lead(website='http://spam.example')}").get_data(as_text=True)
    assert "Marked as spam: spam is not classified and gets no email." in html
    assert "Classification runs a few seconds after each inquiry" not in html  # it never will


@pytest.mark.parametrize("backend", ["sqlite", "postgres"], indirect=True)
def test_taking_a_lead_out_of_spam_classifies_it_and_drops_the_honeypot_flag(
        db: Database, team: Team, consultant: Browser, dispatcher: RecordingDispatcher,
        post_lead: Callable[..., str]) -> None:
    lead_id = post_lead(website="http://spam.example")  # the honeypot: stored as spam, never classified
    with db.transaction() as session:
        assert session.get(Lead, lead_id).flag_names == ["spam"]
    consultant.post(f"/leads/{lead_id}/status", {"status": "classified"})  # "new": a person says it is genuine
    with db.transaction() as session:
        lead = session.get(Lead, lead_id)
        assert lead.status == "classified" and "spam" not in lead.flag_names
        jobs = list(session.scalars(select(Job).where(Job.lead_id == lead_id, Job.kind == "classify_lead")))
        assert len(jobs) == 1 and jobs[0].status == "pending"
    assert [job.lead_id for job in dispatcher.jobs] == [lead_id]  # dispatched after the commit
    with db.transaction() as session:
        assert classify_and_store(session, lead_id, "reclassify", utcnow()).status == "classified"
    html = consultant.get(f"/leads/{lead_id}").get_data(as_text=True)
    assert "Primary stream" in html
    # Marked spam again by a person: no honeypot flag, so a later inquiry does not reopen it.
    consultant.post(f"/leads/{lead_id}/status", {"status": "spam"})
    with db.transaction() as session:
        assert "spam" not in session.get(Lead, lead_id).flag_names


def test_the_french_timeline_calls_a_classification_so_not_new(
        db: Database, team: Team, consultant: Browser, post_lead: Callable[..., str]) -> None:
    # "classified" is both an activity kind and the status key labelled "nouveau" in French.
    lead_id = post_lead()
    with db.transaction() as session:
        assert classify_and_store(session, lead_id, "intake", utcnow()).status == "classified"
    html = consultant.get(f"/leads/{lead_id}?lang=fr").get_data(as_text=True)
    timeline = html[html.index('id="notes-h"'):]
    assert '<span class="tag">Classement</span>' in timeline
    assert '<span class="tag">nouveau</span>' not in timeline


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_each_action_says_what_was_done(db: Database, team: Team, admin: Browser, post_lead: Callable[..., str],
                                        lang: str) -> None:
    lead_id = post_lead()
    classify(db, lead_id)
    enrol(db, lead_id)
    with db.transaction() as session:  # the intake's classification job has run
        session.query(Job).filter_by(lead_id=lead_id).update({"status": "done"})
    admin.get(f"/leads?lang={lang}")
    said = {
        "en": [("note", {"note": "Called, no answer"}, "Note added."),
               ("claim", {}, "You have taken this lead."),
               ("assign", {"assignee": str(team.consultant_id)}, "Assigned to ana@firm.example."),
               ("assign", {"assignee": "none"}, "The lead is now unassigned."),
               ("sequence", {"do": "pause"}, "Sequence paused: no email is sent until it is resumed."),
               ("sequence", {"do": "resume"}, "Sequence resumed."),
               ("sequence", {"do": "stop"}, "Sequence stopped."),
               ("sequence", {"do": "stop"}, "This lead has no sequence running."),
               ("reclassify", {}, "Reclassification requested: the result shows here in a few seconds."),
               ("reclassify", {}, "A reclassification is already under way."),
               ("status", {"status": "contacted"}, "Status changed to “contacted”.")],
        "fr": [("note", {"note": "Appelé, pas de réponse"}, "Note ajoutée."),
               ("claim", {}, "Vous avez pris ce prospect."),
               ("assign", {"assignee": str(team.consultant_id)}, "Assigné à ana@firm.example."),
               ("assign", {"assignee": "none"}, "Le prospect n&#39;est plus assigné."),
               ("sequence", {"do": "pause"}, "Séquence suspendue : aucun courriel ne part avant sa reprise."),
               ("sequence", {"do": "resume"}, "Séquence reprise."),
               ("sequence", {"do": "stop"}, "Séquence arrêtée."),
               ("sequence", {"do": "stop"}, "Ce prospect n&#39;a aucune séquence en cours."),
               ("reclassify", {}, "Reclassement demandé : le résultat s&#39;affiche ici dans quelques secondes."),
               ("reclassify", {}, "Un reclassement est déjà en cours."),
               ("status", {"status": "contacted"}, "Statut changé en « contacté ».")],
    }[lang]
    for action, form, message in said:
        html = admin.post(f"/leads/{lead_id}/{action}", form, follow_redirects=True).get_data(as_text=True)
        flashes = html[html.index('class="flashes"'):html.index("</div>", html.index('class="flashes"'))]
        assert message in flashes, (action, form, flashes)
        assert "Saved." not in flashes and "Enregistré." not in flashes


def test_the_summarys_missing_facts_are_separated_as_each_language_writes(
        db: Database, team: Team, consultant: Browser, post_lead: Callable[..., str]) -> None:
    # Consultant trial: the French summary read "Informations manquantes : Le poste à pourvoir et son code CNP;
    # La citoyenneté…", a semicolon stuck to its word, where French puts a no-break space before it.
    lead_id = post_lead()
    classify(db, lead_id, missing=["Date of birth", "Proof of funds"])
    for lang, joined in (("en", "Date of birth; Proof of funds"), ("fr", "Date of birth\u00a0; Proof of funds")):
        html = consultant.get(f"/leads/{lead_id}?lang={lang}").get_data(as_text=True)
        start = html.index('<section class="why-call"')
        why = html[start:html.index("</section>", start)]
        assert joined in why, (lang, why)


def test_a_second_inquiry_on_the_timeline_says_what_was_asked_and_links_to_it(
        db: Database, team: Team, consultant: Browser, post_lead: Callable[..., str]) -> None:
    # Consultant trial: the timeline said "New inquiry from a known lead" and nothing of what the person asked.
    first = post_lead(email="returning@example.ie", message="Working holiday in Vancouver?")
    again = post_lead(email="returning@example.ie", message="Update: I now have a job offer in Toronto. " * 10)
    assert first == again
    classify(db, first)
    for lang, link in (("en", "Read the inquiry"), ("fr", "Lire la demande")):
        html = consultant.get(f"/leads/{first}?lang={lang}").get_data(as_text=True)
        timeline = html.split('<ol class="timeline">', 1)[1].split("</ol>", 1)[0]
        entries = [e for e in timeline.split("</li>") if "kind-inquiry" in e]
        assert len(entries) == 2, lang
        newest, oldest = entries
        assert "<q>Update: I now have a job offer in Toronto." in newest and "...</q>" in newest  # cut at 160
        assert "<q>Working holiday in Vancouver?</q>" in oldest
        for entry in entries:
            anchor = re.search(r'<a href="#(inquiry-[^"]+)">' + link + "</a>", entry)
            assert anchor and f'id="{anchor.group(1)}"' in html, (lang, entry)


def test_a_spam_inquiry_is_tagged_in_the_pages_language(
        team: Team, consultant: Browser, post_lead: Callable[..., str]) -> None:
    # The French page's status said "indésirable" and the inquiry's tag beside it the English "spam".
    lead_id = post_lead(website="http://spam.example")
    for lang, tag in (("en", "spam"), ("fr", "indésirable")):
        html = consultant.get(f"/leads/{lead_id}?lang={lang}").get_data(as_text=True)
        inquiries = html[html.index('id="inq-h"'):]
        assert re.findall(r'<span class="tag flag">([^<]*)</span>', inquiries) == [tag], lang


def test_a_needs_review_lead_says_so_once_in_the_header_and_the_classification(
        db: Database, team: Team, consultant: Browser, post_lead: Callable[..., str]) -> None:
    # Consultant trial: "Needs review" twice side by side, the stream's badge and the flag's, in both places.
    lead_id = post_lead()
    classify(db, lead_id, stream="needs-review", flags=["needs-review", "free-text"])
    for lang, said, other in (("en", "Needs review", "read from the message"),
                              ("fr", "À vérifier", "lu dans le message")):
        html = consultant.get(f"/leads/{lead_id}?lang={lang}").get_data(as_text=True)
        head = html[html.index("<h1>"):html.index("</p>", html.index('class="meta"'))]
        card = html[html.index('id="class-h"'):html.index("</section>", html.index('id="class-h"'))]
        flags_in = [re.findall(r'<span class="tag flag">([^<]*)</span>', part) for part in (head, card)]
        assert flags_in == [[other], [other]], (lang, flags_in)
        assert f'<span class="tag stream">{said}</span>' in head


def test_a_long_message_is_folded_in_the_inquiries_card(
        team: Team, consultant: Browser, post_lead: Callable[..., str]) -> None:
    # Consultant trial: a 4,000-character message made the side column three screens long.
    long_message = "I have worked as a welder for ten years in Monterrey. " * 80
    lead_id = post_lead(message=long_message.strip())
    for lang, summary in (("en", "Show the whole message"), ("fr", "Afficher le message entier")):
        html = consultant.get(f"/leads/{lead_id}?lang={lang}").get_data(as_text=True)
        card = html[html.index('id="inq-h"'):html.index("</section>", html.index('id="inq-h"'))]
        shown, folded = re.findall(r'<p class="message">([^<]*)</p>', card)
        assert len(shown) <= 603 and shown.endswith("...") and long_message.startswith(shown[:-3])
        assert f"<summary>{summary}</summary>" in card and folded == long_message.strip()
    short = post_lead(message="Working holiday in Vancouver?")
    card = consultant.get(f"/leads/{short}").get_data(as_text=True).split('id="inq-h"', 1)[1]
    assert '<p class="message">Working holiday in Vancouver?</p>' in card and "whole-message" not in card
