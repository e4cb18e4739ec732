"""A worker killed at each point of a send, simulated deterministically: the claim is committed, the
transport is driven against the real SMTP sink up to the crash point (journal lines included), the
rest (journal line, outcome commit) never happens; then the scheduler ticks with time moved past the
stale-claim delay. Counted at the sink: sent exactly once, or flagged for review and never repeated."""

from __future__ import annotations

import time
from datetime import timedelta
from pathlib import Path

import dramatiq
import pytest
from dramatiq.brokers.stub import StubBroker

from crm.config import Settings
from crm.db import Database
from crm.mail import transport_from_url
from crm.mail.journal import JournalView, read_journals, writer
from crm.models import Delivery, StepStatus
from crm.sequences.scheduling import settle_claims
from crm.sequences.sending import Outgoing, prepare_send, record_outcomes
from tests.email.conftest import Sink
from tests.email.helpers import T0, activity_kinds, count, deliveries, new_lead, steps
from workers.actors.email import deliver, due_steps_tick

LATER = T0 + timedelta(minutes=3)  # past the stale-claim delay (90 s) after a claim at T0


def drain(broker: StubBroker, worker: dramatiq.Worker) -> None:
    broker.join("default", fail_fast=True)
    worker.join()


def claim(db: Database, settings: Settings, lead_id: str) -> Outgoing:
    """What the actor commits before any SMTP traffic (journal opened first); the worker 'dies' right after."""
    writer().open()
    with db.transaction() as session:
        outgoing = prepare_send(session, steps(db, lead_id)[0].id, settings, T0)
    assert outgoing is not None
    return outgoing


def send_up_to(settings: Settings, outgoing: Outgoing, *, journal_sent: bool) -> None:
    """The real transport: envelope, H line, DATA and the server's 250; then (optionally) the S line.
    The outcome transaction never runs: the process was killed."""
    transport = transport_from_url(settings.mail_url)
    message_id, attempt = outgoing.message.message_id, outgoing.delivery.attempts
    try:
        transport.send(outgoing.message, handover=lambda: writer().handed_over(message_id, attempt))
    finally:
        transport.close()
    if journal_sent:
        writer().sent(message_id, attempt)


@pytest.mark.parametrize("backend", ["sqlite", "postgres"], indirect=True)
def test_killed_after_the_claim_and_before_the_hand_over_is_sent_again_once(
        db: Database, smtp_settings: Settings, sink: Sink, stub_broker: StubBroker,
        stub_worker: dramatiq.Worker) -> None:
    # Given a claim whose worker died before it journaled the hand-over (no H line)
    lead_id = new_lead(db, email="nohandover@example.ie")
    claim(db, smtp_settings, lead_id)
    # When the scheduler ticks before the claim is stale, nothing happens to it
    due_steps_tick(T0 + timedelta(seconds=30))
    drain(stub_broker, stub_worker)
    assert deliveries(db, lead_id)[0].status == "sending" and sink.to("nohandover@example.ie") == []
    # And when it ticks after the stale-claim delay
    due_steps_tick(LATER)
    drain(stub_broker, stub_worker)
    # Then the email was sent, exactly once, with the Message-ID of the claim, and recorded as sent
    received = sink.to("nohandover@example.ie")
    assert len(received) == 1
    delivery = deliveries(db, lead_id)[0]
    assert (delivery.status, delivery.attempts) == ("sent", 2)
    assert received[0]["Message-ID"] == delivery.message_id
    assert steps(db, lead_id)[0].status == StepStatus.SENT.value
    # And later ticks never send it again
    for minutes in (10, 30, 60):
        due_steps_tick(T0 + timedelta(minutes=minutes))
        drain(stub_broker, stub_worker)
    assert len(sink.to("nohandover@example.ie")) == 1
    assert count(db, Delivery, Delivery.lead_id == lead_id) == 1
    assert "email-uncertain" not in activity_kinds(db, lead_id)


@pytest.mark.parametrize("backend", ["sqlite", "postgres"], indirect=True)
def test_killed_after_the_servers_250_is_recorded_as_sent_and_not_resent(
        db: Database, smtp_settings: Settings, sink: Sink, stub_broker: StubBroker,
        stub_worker: dramatiq.Worker) -> None:
    # Given a worker that got the server's 250 and journaled it (S line), then died before committing
    lead_id = new_lead(db, email="accepted@example.ie")
    outgoing = claim(db, smtp_settings, lead_id)
    send_up_to(smtp_settings, outgoing, journal_sent=True)
    assert len(sink.to("accepted@example.ie")) == 1
    # When the scheduler ticks after the stale-claim delay, and again later
    for moment in (LATER, T0 + timedelta(minutes=30)):
        due_steps_tick(moment)
        drain(stub_broker, stub_worker)
    # Then the outcome is recorded as sent (on the timeline too) and the sink still has one message
    assert len(sink.to("accepted@example.ie")) == 1
    assert deliveries(db, lead_id)[0].status == "sent"
    assert steps(db, lead_id)[0].status == StepStatus.SENT.value
    assert "email-sent" in activity_kinds(db, lead_id)
    assert "email-uncertain" not in activity_kinds(db, lead_id)


@pytest.mark.parametrize("backend", ["sqlite", "postgres"], indirect=True)
def test_killed_between_the_data_and_the_reply_is_flagged_and_never_resent(
        db: Database, smtp_settings: Settings, sink: Sink, stub_broker: StubBroker,
        stub_worker: dramatiq.Worker) -> None:
    # Given a worker that journaled the hand-over (H), sent the data, and died before the S line
    lead_id = new_lead(db, email="midair@example.ie")
    outgoing = claim(db, smtp_settings, lead_id)
    send_up_to(smtp_settings, outgoing, journal_sent=False)
    # When the scheduler ticks after the stale-claim delay, and again later
    for moment in (LATER, T0 + timedelta(minutes=30)):
        due_steps_tick(moment)
        drain(stub_broker, stub_worker)
    # Then it is "unknown" for a person to check, and never sent a second time
    assert len(sink.to("midair@example.ie")) == 1
    assert deliveries(db, lead_id)[0].status == "unknown"
    assert steps(db, lead_id)[0].status == StepStatus.FAILED.value
    assert "email-uncertain" in activity_kinds(db, lead_id)


def test_a_retry_is_journaled_under_its_own_attempt(db: Database, smtp_settings: Settings, sink: Sink) -> None:
    # Given a first attempt that was handed over and refused with 451 (recorded: deferred)
    lead_id = new_lead(db, email="retry@example.ie")
    sink.tempfail_next = 1
    transport = transport_from_url(smtp_settings.mail_url)
    step_id = steps(db, lead_id)[0].id
    with db.session() as session, pytest.raises(Exception, match="451"):
        deliver(session, step_id, smtp_settings, transport, T0)
    transport.close()
    # And a second attempt claimed by a worker that died before its hand-over
    with db.transaction() as session:
        assert prepare_send(session, step_id, smtp_settings, T0 + timedelta(seconds=10)) is not None
    # When the claim is settled, the first attempt's H line does not make it "uncertain"
    with db.transaction() as session:
        settled = settle_claims(session, LATER)
    assert (settled.sent, settled.uncertain, settled.resend) == (0, 0, [step_id])
    assert deliveries(db, lead_id)[0].status == "deferred"
    assert sink.to("retry@example.ie") == []


def test_a_late_worker_cannot_overwrite_a_settled_claim(db: Database, smtp_settings: Settings, sink: Sink) -> None:
    # Given a claim settled as dead (never handed over: released for a re-send)
    lead_id = new_lead(db, email="late@example.ie")
    outgoing = claim(db, smtp_settings, lead_id)
    with db.transaction() as session:
        assert settle_claims(session, LATER).resend == [outgoing.step.id]
    # When the original worker records an outcome after all
    with db.transaction() as session:
        record_outcomes(session, [(outgoing, None)], LATER)
    # Then its outcome is ignored: the claim is no longer its own
    assert deliveries(db, lead_id)[0].status == "deferred"
    assert "email-sent" not in activity_kinds(db, lead_id)


def test_a_claim_from_a_host_whose_journal_is_unreadable_waits_then_goes_to_review(
        db: Database, smtp_settings: Settings, sink: Sink) -> None:
    # Given a claim made on another host, whose journal this process cannot read
    lead_id = new_lead(db, email="elsewhere@example.ie")
    claim(db, smtp_settings, lead_id)
    with db.transaction() as session:
        session.query(Delivery).filter(Delivery.lead_id == lead_id).update({"claimed_by": "worker-host-2"})
    # When the scheduler settles after the stale-claim delay: left for that host to settle
    with db.transaction() as session:
        settled = settle_claims(session, LATER, journals=JournalView(hosts={"scheduler-host"}))
    assert (settled.sent, settled.uncertain, settled.resend) == (0, 0, [])
    assert deliveries(db, lead_id)[0].status == "sending"
    # And after the orphan delay nobody can tell: at-most-once, flagged for a person
    with db.transaction() as session:
        settled = settle_claims(session, T0 + timedelta(minutes=11), journals=JournalView(hosts={"scheduler-host"}))
    assert settled.uncertain == 1
    assert deliveries(db, lead_id)[0].status == "unknown"
    assert sink.to("elsewhere@example.ie") == []


def test_journal_lines_survive_in_the_folder_of_this_host(mail_journal: Path) -> None:
    writer().handed_over("<a@example>", 1)
    writer().sent("<a@example>", 1)
    writer().handed_over("<b@example>", 2)
    view = read_journals()
    assert view.state("<a@example>", 1) == "sent"
    assert view.state("<b@example>", 2) == "handed-over"
    assert view.state("<b@example>", 1) is None and view.state("<c@example>", 1) is None
    assert len(list(mail_journal.glob("*/*.journal"))) == 1


def test_a_pruned_journal_file_is_started_again(mail_journal: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Given a process whose journal file was removed by the settler's pruning, which only happens to a
    # file that got no line for PRUNE_AFTER_SECONDS (a week)
    writer().handed_over("<old@example>", 1)
    for path in mail_journal.glob("*/*.journal"):
        path.unlink()
    import crm.mail.journal as journal

    later = time.monotonic() + journal.PRUNE_AFTER_SECONDS
    monkeypatch.setattr(journal, "monotonic", lambda: later)
    # When it journals again, the line lands in a file the settler can read
    writer().handed_over("<new@example>", 1)
    assert read_journals().state("<new@example>", 1) == "handed-over"


def test_batches_that_write_no_line_do_not_postpone_the_check_for_a_pruned_file(
        mail_journal: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Given a process that wrote its last line a week ago and has since opened its journal at the start
    # of hourly batches that sent nothing (no line: the file's mtime, the settler's clock, stayed old)
    import crm.mail.journal as journal

    clock = [time.monotonic()]
    monkeypatch.setattr(journal, "monotonic", lambda: clock[0])
    writer().handed_over("<old@example>", 1)
    for _ in range(8 * 24):
        clock[0] += 3000
        writer().open()
    # and the settler pruned the file as a week old
    for path in mail_journal.glob("*/*.journal"):
        path.unlink()
    # When the next batch opens the journal and hands a message over, its line is readable
    clock[0] += 60
    writer().open()
    writer().handed_over("<new@example>", 1)
    assert read_journals().state("<new@example>", 1) == "handed-over"


def test_the_split_data_payload_is_what_smtplib_would_send() -> None:
    import smtplib

    from crm.mail.smtp import _dot_stuffed

    for data in (b"Subject: x\r\n\r\n.leading dot\r\n..two\r\nend", b"a\r\n.\r\n", b"plain\r\n"):
        expected = smtplib._quote_periods(data)  # type: ignore[attr-defined]
        expected = (expected if expected.endswith(b"\r\n") else expected + b"\r\n") + b".\r\n"
        assert _dot_stuffed(data) == expected


def test_a_claim_is_not_resent_when_this_host_has_no_journal_folder_here(
        db: Database, smtp_settings: Settings, sink: Sink, mail_journal: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Given a claim by a worker that journals into another folder (a misconfigured CRM_MAIL_JOURNAL_DIR)
    lead_id = new_lead(db, email="elsewhere-dir@example.ie")
    claim(db, smtp_settings, lead_id)
    monkeypatch.setenv("CRM_MAIL_JOURNAL_DIR", str(mail_journal / "not-the-workers-folder"))
    # When the scheduler settles it: it cannot know, so it does not re-send
    with db.transaction() as session:
        settled = settle_claims(session, LATER)
    assert (settled.sent, settled.uncertain, settled.resend) == (0, 0, [])
    assert deliveries(db, lead_id)[0].status == "sending"
