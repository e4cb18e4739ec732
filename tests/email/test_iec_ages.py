"""What the IEC emails say about the age limit: a firm day only from a date of birth, the earliest
possible day from a stated age (the tester was told an invented day as fact)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from crm.classify.service import classify_and_store
from crm.config import Settings
from crm.db import Database
from crm.intake.service import IntakeRequest, receive_inquiry
from crm.mail import transport_from_url
from crm.models import Activity, EnrolmentStatus, Lead, StepStatus
from crm.sequences import preview
from crm.sequences.rendering import RenderedEmail
from tests.email.conftest import Sink
from tests.email.helpers import enrolments, get_lead, run_due, steps

NOV = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


def _lead(db: Database, now: datetime, **fields: Any) -> str:
    """An inquiry with exactly these fields (no default date of birth), classified by the real classifier."""
    payload = {"interest": "work", **fields}
    with db.transaction() as session:
        lead_id = receive_inquiry(session, IntakeRequest(body=json.dumps(payload).encode(),
                                                         content_type="application/json", fields=payload),
                                  now=now).lead_id
    with db.transaction() as session:
        classify_and_store(session, lead_id, "intake", now)
    return lead_id


def _activities(db: Database, lead_id: str, kind: str) -> list[Activity]:
    with db.session() as session:
        return list(session.scalars(select(Activity).where(Activity.lead_id == lead_id, Activity.kind == kind)
                                    .order_by(Activity.id)))


def _emails(db: Database, settings: Settings, lead_id: str, now: datetime) -> dict[str, RenderedEmail]:
    with db.session() as session:
        lead = session.get(Lead, lead_id)
        assert lead is not None
        return {email.template: email for email in preview(session, lead, settings=settings, now=now)}


@pytest.mark.parametrize(("language", "firm", "earliest"), [
    ("en", "you pass the upper age limit on", "you may pass the upper age limit as early\nas November 27, 2026"),
    ("fr", "vous dépasserez la limite d'âge le", "vous pourriez\ndépasser la limite d'âge dès le 27 novembre 2026"),
])
def test_a_stated_age_gives_the_earliest_age_out_day_and_asks_for_the_date_of_birth(
        db: Database, settings: Settings, language: str, firm: str, earliest: str) -> None:
    # Sophie, French, says she is 35 (no date of birth): her 36th birthday may be tomorrow or a year away
    lead_id = _lead(db, NOV, first_name="Sophie", email=f"sophie.{language}@example.fr", citizenships=["FR"],
                    age=35, preferred_language=language)
    emails = _emails(db, settings, lead_id, NOV)
    first = emails["answer-iec"].text
    assert firm not in first
    assert " ".join(earliest.split()) in " ".join(first.split())
    assert ("date of birth" if language == "en" else "date de naissance") in first
    fit = emails["iec-fit"].text
    assert firm.replace("upper ", "") not in fit and "dernière occasion" not in fit and "last chance" not in fit


@pytest.mark.parametrize(("language", "firm"), [
    ("en", "you pass the upper age limit on December 1, 2026"),
    ("fr", "vous dépasserez la limite d'âge le 1er décembre 2026"),
])
def test_a_date_of_birth_gives_the_age_out_day_itself(db: Database, settings: Settings, language: str,
                                                       firm: str) -> None:
    lead_id = _lead(db, NOV, first_name="Ciara", email=f"ciara.{language}@example.ie", citizenships=["IE"],
                    date_of_birth="1990-12-01", preferred_language=language)
    first = _emails(db, settings, lead_id, NOV)["answer-iec"].text
    assert " ".join(firm.split()) in " ".join(first.split())
    assert "as early" not in first and "dès le" not in first



@pytest.mark.parametrize(("language", "france", "japan"), [
    ("en", "As a citizen of France", "Japan"),
    ("fr", "(France)", "Japon"),
])
def test_a_dual_citizen_reads_the_rules_of_the_country_the_classification_chose(
        db: Database, settings: Settings, language: str, france: str, japan: str) -> None:
    # Japan (18-30) and France (18-35), aged 32: Working Holiday through France
    lead_id = _lead(db, NOV, first_name="Ken", email=f"ken.{language}@example.jp", citizenships=["Japan", "France"],
                    date_of_birth="1994-05-05", preferred_language=language)
    emails = _emails(db, settings, lead_id, NOV)
    first, fit = emails["answer-iec"], emails["iec-fit"]
    assert france in first.text and " 18 " in first.text and " 35" in first.text
    assert japan not in first.text and " 30" not in first.text
    assert "France" in fit.subject and japan not in fit.subject and japan not in fit.text


def test_after_the_age_limit_day_the_iec_sequence_stops_and_says_why(db: Database, smtp_settings: Settings,
                                                                     sink: Sink) -> None:
    # An Irish lead (18-35) who turns 36 on 1 December 2026, five days after her inquiry
    lead_id = _lead(db, NOV, first_name="Ciara", email="ciara.out@example.ie", citizenships=["IE"],
                    country_of_residence="IE", date_of_birth="1990-12-01")
    transport = transport_from_url(smtp_settings.mail_url)
    for day in range(31):
        run_due(db, smtp_settings, transport, NOV + timedelta(days=day, minutes=5))
    transport.close()
    # The answer and the document list went before the day; nothing about IEC after it
    sent = [message["Subject"] for message in sink.to("ciara.out@example.ie")]
    assert len(sent) == 2, sent
    [enrolment] = enrolments(db, lead_id)
    assert enrolment.status == EnrolmentStatus.STOPPED.value and enrolment.stop_reason == "aged-out-of-iec"
    later = [step for step in steps(db, lead_id) if step.step_index >= 2]
    assert all(step.status == StepStatus.SKIPPED.value for step in later)
    # The stop key as the reason, the country, limit and day as data: the lead page words them (EN/FR)
    assert later[0].last_error == "aged-out-of-iec"
    [skipped] = _activities(db, lead_id, "email-skipped")
    assert skipped.summary == "Email step 2 not sent: aged-out-of-iec"
    assert {key: skipped.data.get(key) for key in ("reason", "country", "max_age", "since")} == {
        "reason": "aged-out-of-iec", "country": "IE", "max_age": 35, "since": "2026-12-01"}
    [stopped] = [a for a in _activities(db, lead_id, "sequence") if a.data.get("event") == "stopped"]
    assert (stopped.data["country"], stopped.data["max_age"], stopped.data["since"]) == ("IE", 35, "2026-12-01")


@pytest.mark.parametrize(("language", "reminder"), [("en", "Remember that you pass the age limit"),
                                                    ("fr", "Rappel : vous dépasserez la limite d'âge")])
def test_the_age_limit_reminder_is_only_given_while_the_day_is_ahead(db: Database, settings: Settings,
                                                                    language: str, reminder: str) -> None:
    lead_id = _lead(db, NOV, first_name="Ciara", email=f"ciara.fit.{language}@example.ie", citizenships=["IE"],
                    date_of_birth="1990-12-01", preferred_language=language)
    def fit(now: datetime) -> str:
        return " ".join(_emails(db, settings, lead_id, now)["iec-fit"].text.split())

    assert reminder in fit(NOV)
    for day in (datetime(2026, 12, 1, 12, tzinfo=UTC), datetime(2026, 12, 20, 12, tzinfo=UTC)):
        assert reminder not in fit(day)


@pytest.mark.parametrize(("language", "asked", "age_limits"), [
    ("en", "You can speed this up by replying with", "is open from 18 to 35 years of age"),
    ("fr", "Vous pouvez accélérer les choses en nous indiquant", "est ouverte de 18 à 35 ans"),
])
def test_a_lead_over_the_iec_age_limit_is_not_asked_again_for_what_they_gave(
        db: Database, settings: Settings, language: str, asked: str, age_limits: str) -> None:
    # An Irish nurse aged 36 asks about the working holiday: she gave her citizenship, date of birth and job
    lead_id = _lead(db, NOV, first_name="Niamh", email=f"niamh.{language}@example.ie", citizenships=["IE"],
                    country_of_residence="IE", date_of_birth="1990-06-02", occupation="Nurse", job_offer=False,
                    message="Can I still do the working holiday? I'm 36.", preferred_language=language)
    text = " ".join(_emails(db, settings, lead_id, NOV)["answer-review"].text.split())
    assert asked not in text, text
    # The consultant will look at the options given the age limits; never that nothing is open
    assert age_limits in text, text
    assert "not eligible" not in text and "admissible" not in text


@pytest.mark.parametrize(("language", "asks"), [
    ("en", "You can speed this up by replying with your occupation and whether you already have a job offer in "
           "Canada."),
    ("fr", "Vous pouvez accélérer les choses en nous indiquant votre profession et si vous avez déjà une offre "
           "d'emploi au Canada."),
])
def test_the_review_answer_asks_only_for_what_is_missing(db: Database, settings: Settings, language: str,
                                                         asks: str) -> None:
    # A Swede aged 33 (Sweden: 18 to 30) who gave her citizenship and date of birth, nothing else
    lead_id = _lead(db, NOV, first_name="Lars", email=f"lars.{language}@example.se", citizenships=["SE"],
                    date_of_birth="1993-06-01", french_ability="none", preferred_language=language)
    text = " ".join(_emails(db, settings, lead_id, NOV)["answer-review"].text.split())
    assert asks in text, text
    assert ("18 to 30" if language == "en" else "18 à 30 ans") in text


@pytest.mark.parametrize(("language", "france", "france_ages", "japan"), [
    ("en", "As a citizen of France", "18 to 35", "Japan"),
    ("fr", "(France)", "18 à 35", "Japon"),
])
@pytest.mark.parametrize("form", [
    {"citizenships": ["Japan", "France"], "message": "Hello, I'm 32 years old and I would like to work in Canada."},
    # No citizenship field: the classifier reads both from the message
    {"message": "Hello, I am a Japanese citizen and a French citizen, I'm 32 years old."},
])
def test_an_age_and_citizenships_read_from_the_message_give_the_emails_the_classifiers_country(
        db: Database, settings: Settings, language: str, france: str, france_ages: str, japan: str,
        form: dict[str, Any]) -> None:
    # Japan (18-30) and France (18-35), aged 32 by the message only: the classifier rests Working
    # Holiday on France, and the emails must name France, not the first citizenship
    email = f"ken.msg.{language}.{len(form)}@example.jp"
    lead_id = _lead(db, NOV, first_name="Ken", email=email, preferred_language=language, **form)
    with db.session() as session:
        from crm.sequences.content import current_classification
        classification = current_classification(session, lead_id)
        assert classification is not None
        working_holiday = next(c for c in classification.candidates if c["stream"] == "iec-working-holiday")
        assert working_holiday["verdict"] in ("eligible", "likely")
        assert any("France" in reason and "32" in reason for reason in working_holiday["reasons"]), working_holiday
    emails = _emails(db, settings, lead_id, NOV)
    first, fit = emails["answer-iec"], emails["iec-fit"]
    text = " ".join(first.text.split())
    assert france in text and france_ages in text, text
    assert japan not in text and " 30" not in text, text
    assert "France" in fit.subject and japan not in fit.subject and japan not in fit.text


@pytest.mark.parametrize("language", ["en", "fr"])
@pytest.mark.parametrize("form", [
    {"first_name": "Sophie", "citizenships": ["FR"], "age": 35},  # "may age out as early as ... ask for ..."
    {"first_name": "Ciara", "citizenships": ["IE"], "date_of_birth": "1990-12-01"},  # "ages out on ... apply before"
])
def test_the_age_out_reasons_for_the_consultant_are_not_read_by_the_lead(
        db: Database, settings: Settings, language: str, form: dict[str, Any]) -> None:
    lead_id = _lead(db, NOV, email=f"{form['first_name'].lower()}.reasons.{language}@example.eu",
                    preferred_language=language, **form)
    with db.session() as session:
        from crm.sequences.content import current_classification
        classification = current_classification(session, lead_id)
        assert classification is not None
        working_holiday = next(c for c in classification.candidates if c["stream"] == "iec-working-holiday")
        # The consultant still reads it (workspace, API) ...
        out_reasons = [reason for reason in working_holiday["reasons"] if "2026-1" in reason]
        assert len(out_reasons) == 1, working_holiday["reasons"]
    # ... the lead does not: no ISO day, no instruction to the consultant (the note says it properly)
    answer = _emails(db, settings, lead_id, NOV)["answer-iec"]
    for body in (answer.text, answer.html):
        assert "2026-1" not in body and out_reasons[0] not in body
        assert "ask for the date of birth" not in body and "apply before then" not in body
        assert "demander la date de naissance" not in body
    # The reasons that are about the lead are still there
    assert ("Citizen of" if language == "en" else "Citoyen") in answer.text


# 20:30 UTC on 30 November is 09:30 on 1 December in Auckland (UTC+13), inside the send window
AUCKLAND_MORNING = datetime(2026, 11, 30, 20, 30, tzinfo=UTC)


def test_the_age_limit_day_is_the_leads_own_date_for_the_stop(db: Database, smtp_settings: Settings,
                                                              sink: Sink) -> None:
    from sqlalchemy import update

    from crm.models import ScheduledStep

    # A New Zealander (18-35) living in New Zealand who turns 36 on 1 December 2026
    lead_id = _lead(db, NOV, first_name="Aroha", email="aroha.out@example.nz", citizenships=["NZ"],
                    country_of_residence="NZ", date_of_birth="1990-12-01")
    transport = transport_from_url(smtp_settings.mail_url)
    run_due(db, smtp_settings, transport, NOV + timedelta(minutes=5))  # the answer
    run_due(db, smtp_settings, transport, datetime(2026, 11, 28, 20, 5, tzinfo=UTC))  # the documents
    assert len(sink.to("aroha.out@example.nz")) == 2
    # The iec-fit step falls due on the morning of her 36th birthday, her time (still 30 November in UTC)
    iec_fit = next(step for step in steps(db, lead_id) if step.template == "iec-fit")
    with db.transaction() as session:
        session.execute(update(ScheduledStep).where(ScheduledStep.id == iec_fit.id)
                        .values(due_at=AUCKLAND_MORNING - timedelta(minutes=10)))
    run_due(db, smtp_settings, transport, AUCKLAND_MORNING)
    transport.close()
    sent = [message["Subject"] for message in sink.to("aroha.out@example.nz")]
    assert len(sent) == 2, sent
    [enrolment] = enrolments(db, lead_id)
    assert enrolment.status == EnrolmentStatus.STOPPED.value and enrolment.stop_reason == "aged-out-of-iec"
    assert steps(db, lead_id)[2].last_error == "aged-out-of-iec"
    [skipped] = _activities(db, lead_id, "email-skipped")
    assert (skipped.data["country"], skipped.data["max_age"], skipped.data["since"]) == ("NZ", 35, "2026-12-01")


@pytest.mark.parametrize(("language", "reminder"), [("en", "Remember that you pass the age limit"),
                                                    ("fr", "Rappel : vous dépasserez la limite d'âge")])
def test_the_age_limit_reminder_goes_by_the_leads_own_date(db: Database, settings: Settings, language: str,
                                                            reminder: str) -> None:
    lead_id = _lead(db, NOV, first_name="Aroha", email=f"aroha.fit.{language}@example.nz", citizenships=["NZ"],
                    country_of_residence="NZ", date_of_birth="1990-12-01", preferred_language=language)

    def fit(now: datetime) -> str:
        return " ".join(_emails(db, settings, lead_id, now)["iec-fit"].text.split()).replace("\u00a0", " ")

    assert reminder in fit(datetime(2026, 11, 30, 10, 30, tzinfo=UTC))  # 23:30 on 30 November in Auckland
    assert reminder not in fit(AUCKLAND_MORNING)  # 1 December in Auckland: the day is not ahead any more


@pytest.mark.parametrize("reclassified_at", [
    datetime(2026, 12, 1, 20, 0, tzinfo=UTC),  # after the day: the classification says she is over the limit
    datetime(2026, 11, 30, 20, 40, tzinfo=UTC),  # 1 December in Auckland (30 November in UTC): her date counts
    datetime(2026, 11, 30, 20, 32, 30, tzinfo=UTC),  # the job ~2.5 minutes after the stop, as the sweep sends it
])
def test_after_the_aged_out_stop_the_lead_is_classified_again_and_no_sequence_starts_over(
        db: Database, smtp_settings: Settings, sink: Sink, reclassified_at: datetime) -> None:
    from sqlalchemy import update

    from crm.classify.service import classify_pending
    from crm.models import Job, ScheduledStep
    from crm.sequences.content import current_classification
    from crm.sequences.enrolment import held_since_aged_out

    address = f"aroha.again.{reclassified_at.day}.{reclassified_at.minute}@example.nz"
    lead_id = _lead(db, NOV, first_name="Aroha", email=address, citizenships=["NZ"], country_of_residence="NZ",
                    date_of_birth="1990-12-01")
    with db.session() as session:
        before = current_classification(session, lead_id)
        assert before is not None and "age-out-soon" in before.flags
    transport = transport_from_url(smtp_settings.mail_url)
    run_due(db, smtp_settings, transport, NOV + timedelta(minutes=5))
    run_due(db, smtp_settings, transport, datetime(2026, 11, 28, 20, 5, tzinfo=UTC))
    iec_fit = next(step for step in steps(db, lead_id) if step.template == "iec-fit")
    with db.transaction() as session:
        session.execute(update(ScheduledStep).where(ScheduledStep.id == iec_fit.id)
                        .values(due_at=AUCKLAND_MORNING - timedelta(minutes=10)))
    run_due(db, smtp_settings, transport, AUCKLAND_MORNING)
    # In the stop's transaction: one classification job for the lead, for the sweep to send
    with db.session() as session:
        jobs = list(session.scalars(select(Job).where(Job.lead_id == lead_id, Job.kind == "classify_lead",
                                                      Job.status == "pending")))
    assert [job.args.get("trigger") for job in jobs] == ["aged-out"]
    with db.session() as session:  # her answer went before the stop: held until a new inquiry
        assert held_since_aged_out(session, lead_id, get_lead(db, lead_id).last_inquiry_at)
    with db.transaction() as session:
        outcome = classify_pending(session, lead_id, "aged-out", reclassified_at)
    # In every case a new classification: the classifier goes by her date, as the stop did, so the stale
    # one (IEC eligible, age-out soon) does not stay
    assert outcome.status == "classified"
    with db.session() as session:
        after = current_classification(session, lead_id)
        assert after is not None
        open_jobs = session.scalars(select(Job.id).where(Job.lead_id == lead_id, Job.status == "pending")).all()
    assert not open_jobs
    assert "age-out-soon" not in after.flags, after.flags
    assert not after.primary_stream.startswith("iec-"), after.primary_stream
    assert not [c["stream"] for c in after.candidates if str(c.get("stream")).startswith("iec-")
                and c.get("verdict") in ("eligible", "likely")], after.candidates
    # Whatever the new classification says, no sequence starts over: no second answer, nothing more sent
    [enrolment] = enrolments(db, lead_id)
    assert enrolment.stop_reason == "aged-out-of-iec"
    for day in range(40):
        run_due(db, smtp_settings, transport, reclassified_at + timedelta(days=day, hours=1))
    transport.close()
    assert len(sink.to(address)) == 2, [m["Subject"] for m in sink.to(address)]
    assert len(enrolments(db, lead_id)) == 1


def test_a_new_inquiry_after_the_aged_out_stop_is_answered_again() -> None:
    from crm.sequences.enrolment import _answered, _held, decide

    stopped = datetime(2026, 12, 1, 9, tzinfo=UTC)
    assert _held(stopped, NOV) and _held(stopped, None)
    assert not _held(stopped, stopped + timedelta(days=3)) and not _held(None, NOV)
    # A stop that came before the answer went holds nothing: the inquiry still gets an answer
    assert not _held(stopped, NOV, answered=False)
    assert not _answered("skipped", "aged out of IEC (NZ: over 35 since 2026-12-01)")
    assert not _answered("skipped", "sequence stopped: aged-out-of-iec")
    assert _answered("sent", None) and _answered("skipped", "content already sent") and _answered("failed", "x")
    assert decide("needs-review", "worker", [], "classified", None, lambda _name: False, held=True).action == "none"
    assert decide("needs-review", "worker", [], "classified", None, lambda _name: False).action == "enrol"


def test_an_inquiry_on_the_leads_birthday_past_the_limit_gets_its_answer(db: Database, smtp_settings: Settings,
                                                                         sink: Sink) -> None:
    from crm.sequences.content import current_classification

    # A New Zealander in New Zealand born 1 December 1990 writes at 12:00 UTC on 30 November 2026:
    # 01:00 on 1 December in Auckland, her 36th birthday. She is over the IEC limit where she lives.
    asked = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
    address = "aroha.birthday@example.nz"
    lead_id = _lead(db, asked, first_name="Aroha", email=address, citizenships=["NZ"], country_of_residence="NZ",
                    date_of_birth="1990-12-01")
    transport = transport_from_url(smtp_settings.mail_url)
    run_due(db, smtp_settings, transport, asked + timedelta(minutes=1))
    transport.close()
    sent = sink.to(address)
    assert len(sent) == 1, [message["Subject"] for message in sent]
    first = steps(db, lead_id)[0]
    assert first.step_index == 0 and first.status == StepStatus.SENT.value
    assert "aged-out-of-iec" not in [enrolment.stop_reason for enrolment in enrolments(db, lead_id)]
    # The classifier went by her date too: no IEC answer and no "age-out soon" for the consultant
    with db.session() as session:
        classification = current_classification(session, lead_id)
        assert classification is not None
        assert classification.primary_stream != "iec-working-holiday", classification.primary_stream
        assert "age-out-soon" not in classification.flags


@pytest.mark.parametrize("backend", ["sqlite", "postgres"], indirect=True)
def test_an_answer_stopped_as_aged_out_before_it_went_is_sent_after_the_reclassification(
        db: Database, smtp_settings: Settings, sink: Sink) -> None:

    from crm.classify.service import classify_pending
    from crm.models import Job
    from crm.sequences.enrolment import held_since_aged_out

    # Classified at 23:50 on 30 November in Auckland (eligible, aged 35); the answer is taken at 00:05 on
    # 1 December there, her 36th birthday: the aged-out stop skips it before it went.
    address = "aroha.midnight@example.nz"
    lead_id = _lead(db, datetime(2026, 11, 30, 10, 50, tzinfo=UTC), first_name="Aroha", email=address,
                    citizenships=["NZ"], country_of_residence="NZ", date_of_birth="1990-12-01")
    transport = transport_from_url(smtp_settings.mail_url)
    run_due(db, smtp_settings, transport, datetime(2026, 11, 30, 11, 5, tzinfo=UTC))
    assert sink.to(address) == []
    [stopped] = enrolments(db, lead_id)
    assert stopped.stop_reason == "aged-out-of-iec"
    with db.session() as session:  # the one-lead path (enrolment.on_classified) says the same
        assert not held_since_aged_out(session, lead_id, get_lead(db, lead_id).last_inquiry_at)
    # The aged-out job classifies her again (over the limit on her date) and the answer goes out after all
    with db.session() as session:
        assert session.scalars(select(Job.id).where(Job.lead_id == lead_id, Job.status == "pending")).all()
    with db.transaction() as session:
        assert classify_pending(session, lead_id, "aged-out", datetime(2026, 11, 30, 11, 8, tzinfo=UTC)
                                ).status == "classified"
    run_due(db, smtp_settings, transport, datetime(2026, 11, 30, 11, 9, tzinfo=UTC))
    sent = sink.to(address)
    assert len(sent) == 1, [message["Subject"] for message in sent]
    transport.close()
    answer = next(step for step in steps(db, lead_id) if step.enrolment_id != stopped.id and step.step_index == 0)
    assert answer.status == StepStatus.SENT.value and answer.template != "answer-iec", answer.template


def test_a_new_inquiry_after_the_aged_out_stop_gets_an_answer(db: Database, smtp_settings: Settings,
                                                               sink: Sink) -> None:
    from sqlalchemy import update

    from crm.classify.service import classify_pending
    from crm.models import ScheduledStep

    address = "aroha.writes.again@example.nz"
    fields = dict(first_name="Aroha", email=address, citizenships=["NZ"], country_of_residence="NZ",
                  date_of_birth="1990-12-01")
    lead_id = _lead(db, NOV, **fields)
    transport = transport_from_url(smtp_settings.mail_url)
    run_due(db, smtp_settings, transport, NOV + timedelta(minutes=5))
    run_due(db, smtp_settings, transport, datetime(2026, 11, 28, 20, 5, tzinfo=UTC))
    iec_fit = next(step for step in steps(db, lead_id) if step.template == "iec-fit")
    with db.transaction() as session:
        session.execute(update(ScheduledStep).where(ScheduledStep.id == iec_fit.id)
                        .values(due_at=AUCKLAND_MORNING - timedelta(minutes=10)))
    run_due(db, smtp_settings, transport, AUCKLAND_MORNING)
    assert [enrolment.stop_reason for enrolment in enrolments(db, lead_id)] == ["aged-out-of-iec"]
    # Twenty minutes after the stop (1 December in Auckland, still 30 November in UTC) she writes again
    again = AUCKLAND_MORNING + timedelta(minutes=20)
    payload = {"interest": "work", **fields, "message": "Can I still apply for the working holiday?"}
    with db.transaction() as session:
        assert receive_inquiry(session, IntakeRequest(body=json.dumps(payload).encode(),
                                                      content_type="application/json", fields=payload),
                               now=again).lead_id == lead_id
    with db.transaction() as session:
        assert classify_pending(session, lead_id, "new-inquiry", again + timedelta(minutes=1)).status == "classified"
    run_due(db, smtp_settings, transport, again + timedelta(minutes=2))
    transport.close()
    # Her new inquiry is answered (the third email), by a sequence that is not IEC's
    sent = sink.to(address)
    assert len(sent) == 3, [message["Subject"] for message in sent]
    latest = enrolments(db, lead_id)[-1]
    assert latest.status == EnrolmentStatus.ACTIVE.value and not latest.sequence.startswith("iec-"), latest.sequence
    answer = next(step for step in steps(db, lead_id) if step.enrolment_id == latest.id and step.step_index == 0)
    assert answer.status == StepStatus.SENT.value


@pytest.mark.parametrize(("language", "warning", "asked"), [
    ("en", "Going by the age you gave us, you may already be past the age limit: you could have passed it as early "
           "as November 27, 2026.", "Please send us your date of birth"),
    ("fr", "D'après l'âge que vous nous avez indiqué, vous avez peut-être déjà dépassé la limite d'âge : cela a pu "
           "arriver dès le 27 novembre 2026.", "Envoyez-nous votre date de naissance"),
])
def test_after_the_earliest_day_a_stated_age_lead_is_told_they_may_be_past_the_limit(
        db: Database, settings: Settings, language: str, warning: str, asked: str) -> None:
    # Sophie said she was 35 on 26 November (no date of birth): she may turn 36 as early as the 27th
    lead_id = _lead(db, NOV, first_name="Sophie", email=f"sophie.past.{language}@example.fr", citizenships=["FR"],
                    age=35, preferred_language=language)

    def fit(now: datetime) -> str:
        return " ".join(_emails(db, settings, lead_id, now)["iec-fit"].text.split())

    assert warning not in fit(NOV)
    day_five = fit(NOV + timedelta(days=5))
    assert warning in day_five and asked in day_five, day_five
