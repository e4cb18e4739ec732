"""A lead who needs no work permit (a Canadian citizen or a permanent resident of Canada, ruleset
`no_work_permit_needed`) gets one email that says so plainly, in their language, and nothing after it: the review
sequence they used to get went on to market work-permit routes and consultations to someone who needs no permit
(found in a lead trial). A lead who does need one is never told otherwise."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from crm.config import Settings
from crm.db import Database
from crm.mail import transport_from_url
from crm.models import EnrolmentStatus, Lead, StepStatus
from crm.sequences import preview
from crm.sequences.definitions import get_sequence
from crm.sequences.rendering import RenderedEmail
from tests.email.conftest import Sink
from tests.email.helpers import T0, classified_inquiry, enrolments, run_due, steps

# What the review sequence says to sell a permit or a consultation: none of it may reach such a lead.
MARKETING = ("work permit routes", "Routes we are considering", "book", "consultation",
             "voies vers un permis de travail", "Les voies que nous envisageons", "rendez-vous")


def _flat(text: str) -> str:
    return " ".join(text.split())


def _first_email(db: Database, settings: Settings, lead_id: str) -> RenderedEmail:
    with db.session() as session:
        lead = session.get(Lead, lead_id)
        assert lead is not None
        return preview(session, lead, 0, settings=settings, now=T0)[0]


def test_the_sequence_is_one_answer_that_needs_no_consent() -> None:
    sequence = get_sequence("no-permit-needed")
    assert sequence is not None
    assert [(step.day, step.template, step.marketing) for step in sequence.steps] == [(0, "answer-no-permit", False)]
    # Its own content key: a lead who already had the review answer still gets this one
    assert sequence.steps[0].content_key == "answer:no-permit-needed"


SAYS = {
    ("citizen", "en"): "A Canadian citizen does not need a work permit to work in Canada.",
    ("citizen", "fr"): "Une personne qui a la citoyenneté canadienne n'a pas besoin de permis de travail pour "
                       "travailler au Canada.",
    ("permanent-resident", "en"): "A permanent resident of Canada does not need a work permit to work in Canada.",
    ("permanent-resident", "fr"): "Une personne qui a la résidence permanente au Canada n'a pas besoin de permis de "
                                  "travail pour travailler au Canada.",
}
SPOUSE = {
    "en": "reply to you personally if you asked us about something else, for example about a spouse, partner or "
          "family member who is neither a Canadian citizen nor a permanent resident",
    "fr": "vous répondra personnellement si vous nous avez écrit à un autre sujet, par exemple pour un conjoint, un "
          "partenaire ou un membre de votre famille qui n'a ni la citoyenneté canadienne ni la résidence permanente",
}
MESSAGES = {
    ("citizen", "en"): "I am Canadian, living in Lyon, and want to move back to work in Canada.",
    ("citizen", "fr"): "Je suis canadienne et j'habite à Lyon depuis cinq ans.",
    ("permanent-resident", "en"): "I'm a permanent resident of Canada. My husband would like to work here too.",
    ("permanent-resident", "fr"): "Je suis résidente permanente au Canada depuis 2021. Mon mari voudrait "
                                  "travailler ici.",
}


@pytest.mark.parametrize("language", ["en", "fr"])
@pytest.mark.parametrize(("status", "how"), [("citizen", "form"), ("citizen", "message"),
                                             ("permanent-resident", "message")])
def test_someone_who_needs_no_permit_is_told_so_and_nothing_is_sold(
        db: Database, smtp_settings: Settings, sink: Sink, language: str, status: str, how: str) -> None:
    # Given Emma, a Canadian citizen (on the form, or only in her message) or a permanent resident of Canada (in
    # her message: the form has no field for it), living in France, who gave express consent to marketing emails
    says, spouse = SAYS[(status, language)], SPOUSE[language]
    email = f"emma.{status}.{how}.{language}@example.ca"
    fields: dict[str, Any] = {"first_name": "Emma", "email": email, "age": 25, "country_of_residence": "France",
                              "preferred_language": language, "consent_marketing": True,
                              "consent_text": "Send me news about programs that fit me."}
    if how == "form":
        fields.update(citizenships=["Canada"], message="I want to move back to work in Canada.")
    else:
        fields.update(message=MESSAGES[(status, language)])
    lead_id = classified_inquiry(db, **fields)
    # When the scheduler runs every day for a month
    transport = transport_from_url(smtp_settings.mail_url)
    try:
        for day in range(31):
            run_due(db, smtp_settings, transport, T0 + timedelta(days=day, minutes=5))
    finally:
        transport.close()
    # Then exactly one email reached her: the acknowledgement, in her language
    [enrolment] = enrolments(db, lead_id)
    assert enrolment.sequence == "no-permit-needed"
    assert enrolment.status == EnrolmentStatus.COMPLETED.value
    assert [(s.template, s.status) for s in steps(db, lead_id)] == [("answer-no-permit", StepStatus.SENT.value)]
    [message] = sink.to(email)
    text = _flat(message.get_body(preferencelist=("plain",)).get_content())
    html = _flat(message.get_body(preferencelist=("html",)).get_content())
    assert text.startswith("Hello Emma," if language == "en" else "Bonjour Emma,")
    for part in (text, html.replace("&#39;", "'")):
        # It says plainly that she needs no permit, and that a consultant answers any other question
        assert says in part, part
        assert spouse in part
        other = "citizen" if status == "permanent-resident" else "permanent-resident"
        assert SAYS[(other, language)] not in part
        # Nothing in it sells a work permit or a consultation
        for words in MARKETING:
            assert words not in part, words
        # CASL: identification and the unsubscribe link, as in every message
        assert "Maple Route Immigration" in part and "/unsubscribe/" in part
    assert str(message["List-Unsubscribe-Post"]) == "List-Unsubscribe=One-Click"


def test_the_answer_goes_without_marketing_consent(db: Database, settings: Settings) -> None:
    # A Canadian who did not opt in to marketing: the answer to the inquiry itself still goes (CASL)
    lead_id = classified_inquiry(db, first_name="Noah", email="noah@example.ca", citizenships=["Canada"], age=30,
                                 consent_marketing=False)
    assert [e.sequence for e in enrolments(db, lead_id)] == ["no-permit-needed"]
    first = _first_email(db, settings, lead_id)
    assert first.template == "answer-no-permit" and first.status == StepStatus.SCHEDULED.value
    assert "does not need a work permit" in _flat(first.text)


def test_a_canadian_employer_still_gets_the_employer_sequence(db: Database) -> None:
    # A Canadian citizen hiring abroad needs the permits for their hires: the rule is for the lead's own work
    lead_id = classified_inquiry(db, first_name="Liam", email="liam@maple-farm.example.ca", citizenships=["Canada"],
                                 interest="hire", message="We want to hire two welders from the Philippines.")
    assert [e.sequence for e in enrolments(db, lead_id)] == ["employer"]


def test_a_lead_moved_from_the_review_sequence_gets_the_acknowledgement(db: Database, smtp_settings: Settings,
                                                                        sink: Sink) -> None:
    # Given a lead reviewed for want of a citizenship, whose review answer already went out
    email = "zoe@example.ca"
    lead_id = classified_inquiry(db, first_name="Zoé", email=email, age=29, message="Can I work in Vancouver?")
    assert [e.sequence for e in enrolments(db, lead_id)] == ["needs-review"]
    transport = transport_from_url(smtp_settings.mail_url)
    try:
        assert run_due(db, smtp_settings, transport, T0) == ["sent"]
        # When she writes again that she is Canadian
        classified_inquiry(db, T0 + timedelta(hours=1), first_name="Zoé", email=email, age=29,
                           message="Sorry, I forgot: I'm a Canadian citizen, born in Montreal.")
        for day in range(31):
            run_due(db, smtp_settings, transport, T0 + timedelta(days=day, hours=2))
    finally:
        transport.close()
    # Then the review sequence stopped, and only the acknowledgement followed its answer
    assert [(e.sequence, e.status) for e in enrolments(db, lead_id)] == [
        ("needs-review", EnrolmentStatus.STOPPED.value), ("no-permit-needed", EnrolmentStatus.COMPLETED.value)]
    received = sink.to(email)
    assert [str(m["Subject"]) for m in received] == ["We received your inquiry, Zoé",
                                                     "Your inquiry about working in Canada, Zoé"]


@pytest.mark.parametrize("message", ["I'm Irish, 27, and my goal is PR in Canada one day.",
                                     "I want to get PR after a working holiday.",
                                     "My wife is a permanent resident of Canada.",
                                     # another country's PR, someone else's card, public relations, a pending file
                                     "I have PR here in Dubai and want a working holiday in Canada.",
                                     "I am a permanent resident living in Germany and want a working holiday.",
                                     "Je suis résidente permanente à Dubaï et je voudrais un PVT.",
                                     "I am the spouse of a PR card holder.",
                                     "I'm a PR and communications specialist.",
                                     "I have PR status pending."])
def test_someone_who_wants_pr_or_whose_spouse_has_it_gets_the_sequence_of_their_stream(
        db: Database, settings: Settings, message: str) -> None:
    lead_id = classified_inquiry(db, first_name="Aoife", email="aoife.pr@example.ie", citizenships=["Ireland"], age=27,
                                 message=message)
    [enrolment] = enrolments(db, lead_id)
    assert enrolment.sequence != "no-permit-needed"
    assert "permanent resident of Canada does not need" not in _flat(_first_email(db, settings, lead_id).text)
