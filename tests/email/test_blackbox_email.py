"""Cases found by reading the outbox of a running `crm run` as a lead would (black-box session)."""

from __future__ import annotations

from datetime import UTC, datetime
from email import message_from_bytes, policy

import pytest

from crm import runtime
from crm.config import Settings
from crm.db import Database
from crm.mail import transport_from_url
from crm.mail.message import address, compose
from crm.sequences.rendering import build_message
from tests.email.conftest import Sink
from tests.email.helpers import T0, new_lead, run_due

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize("name", ["=?utf-8?b?QmNjOiBldmlsQGV4YW1wbGUuY29t?=", "Ann =?iso-8859-1?q?=0D=0ABcc:_x?= Lee"])
def test_a_name_written_like_an_encoded_word_reads_as_typed(name: str) -> None:
    # A lead (or someone posting with a victim's address) typed a name that looks like RFC 2047: mail
    # clients decoded it into other text ("Bcc: evil@example.com", even a line break) in To and Subject.
    message = build_message(subject=f"Your next steps, {name}", text="x\n", html="<p>x</p>",
                            mail_from="Maple <h@maple.example>", to_name=name, to_address="lead@example.ie",
                            reply_token="ab" * 16, unsubscribe_url="http://localhost/u/x", now=NOW)
    parsed = message_from_bytes(message.data, policy=policy.default)
    assert [(a.display_name, a.addr_spec) for a in parsed["To"].addresses] == [(name, "lead@example.ie")]
    assert str(parsed["Subject"]) == f"Your next steps, {name}"


def test_already_encoded_address_headers_are_not_encoded_twice() -> None:
    data = compose([("From", address("Agence Étoile", "h@maple.example")), ("To", address("Zoë", "z@example.de"))],
                   "x", "<p>x</p>")
    parsed = message_from_bytes(data, policy=policy.default)
    assert parsed["From"].addresses[0].display_name == "Agence Étoile"
    assert [(a.display_name, a.addr_spec) for a in parsed["To"].addresses] == [("Zoë", "z@example.de")]


def test_the_licence_line_of_a_french_email_follows_french_punctuation(
    db: Database, smtp_settings: Settings, sink: Sink
) -> None:
    # "Numéro de permis: R123456" stood out in emails whose every other colon is " : ".
    settings = Settings(**{**smtp_settings.__dict__, "licence_number": "R-123456"})
    runtime.use(settings, db)
    new_lead(db, email="lea@example.fr", first_name="Léa", citizenships=["France"], preferred_language="fr")
    new_lead(db, email="ann@example.ie", first_name="Ann")
    transport = transport_from_url(settings.mail_url)
    assert run_due(db, settings, transport, T0) == ["sent", "sent"]
    transport.close()
    [french] = sink.to("lea@example.fr")
    [english] = sink.to("ann@example.ie")
    for part in ("plain", "html"):
        assert "Numéro de permis\u00a0: R-123456" in french.get_body(preferencelist=(part,)).get_content()
        assert "Licence number: R-123456" in english.get_body(preferencelist=(part,)).get_content()
