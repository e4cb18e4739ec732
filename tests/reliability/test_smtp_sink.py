"""The SMTP sink the fault tests count with: records what it accepts, and misbehaves on request."""

from __future__ import annotations

import smtplib
from collections.abc import Iterator
from email.message import EmailMessage

import pytest

from tests.reliability.smtp_sink import SmtpSink
from tests.reliability.topology import free_port


@pytest.fixture
def sink() -> Iterator[SmtpSink]:
    running = SmtpSink(free_port())
    running.start()
    yield running
    running.stop()


def send(sink: SmtpSink, to: str, message_id: str) -> None:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = "crm@example.org", to, "Hello"
    message["Message-ID"] = message_id
    message.set_content("Body")
    with smtplib.SMTP(sink.host, sink.port, timeout=10) as client:
        client.send_message(message)


def test_it_counts_messages_per_recipient_and_message_id(sink: SmtpSink) -> None:
    send(sink, "A@example.org", "<1@crm>")
    send(sink, "a@example.org", "<1@crm>")
    send(sink, "b@example.org", "<2@crm>")
    assert sink.per_recipient() == {"a@example.org": 2, "b@example.org": 1}
    assert sink.message_ids() == {"<1@crm>": 2, "<2@crm>": 1}
    assert sink.total() == 3


def test_it_can_refuse_temporarily_permanently_or_be_down(sink: SmtpSink) -> None:
    sink.temporary_failure = True
    with pytest.raises(smtplib.SMTPRecipientsRefused) as temporary:
        send(sink, "a@example.org", "<1@crm>")
    assert temporary.value.recipients["a@example.org"][0] == 451
    sink.temporary_failure = False
    sink.rejected = {"gone@example.org"}
    with pytest.raises(smtplib.SMTPRecipientsRefused) as permanent:
        send(sink, "gone@example.org", "<2@crm>")
    assert permanent.value.recipients["gone@example.org"][0] == 550
    sink.stop()
    with pytest.raises(ConnectionRefusedError):
        send(sink, "a@example.org", "<3@crm>")
    sink.start()
    send(sink, "a@example.org", "<4@crm>")
    assert sink.per_recipient() == {"a@example.org": 1}
