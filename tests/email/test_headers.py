"""Lead-supplied text never becomes a header, and is escaped in HTML."""

from __future__ import annotations

from datetime import UTC, datetime
from email import message_from_bytes, policy

import pytest

from crm.config import Settings
from crm.db import Database
from crm.mail import transport_from_url
from crm.mail.message import address
from crm.sequences.rendering import build_message, header_safe
from tests.email.conftest import Sink
from tests.email.helpers import T0, classify, inquire, run_due

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
ATTACKS = ["Eve\r\nBcc: victim@evil.example", "Eve\nX-Injected: 1", "Eve\rTo: other@evil.example",
           "Eve\x00Bcc: nul@evil.example", "Eve\u2028Bcc: sep@evil.example"]


@pytest.mark.parametrize("attack", ATTACKS)
def test_control_characters_never_start_a_header(attack: str) -> None:
    message = build_message(subject=f"Hello {attack}", text="x\n", html="<p>x</p>", mail_from="Maple <h@maple.example>",
                            to_name=attack, to_address="lead@example.ie", reply_token="ab" * 16,
                            unsubscribe_url="http://localhost/u/x", now=NOW)
    parsed = message_from_bytes(message.data, policy=policy.default)
    assert message.recipients == ["lead@example.ie"]
    assert parsed["Bcc"] is None and parsed["X-Injected"] is None
    assert parsed.get_all("To") is not None and len(parsed.get_all("To")) == 1
    assert [a.addr_spec for a in parsed["To"].addresses] == ["lead@example.ie"]
    assert "\r" not in str(parsed["Subject"]) and "\n" not in str(parsed["Subject"])
    assert header_safe(attack).count("\n") == 0
    assert all(line.split(b":", 1)[0] not in (b"Bcc", b"X-Injected") for line in message.data.split(b"\r\n"))


@pytest.mark.parametrize("attack", ATTACKS[:4])  # U+2028 is not a line break in bytes: it is encoded
def test_the_composer_refuses_raw_line_breaks_in_headers(attack: str) -> None:
    # Defence in depth: even a caller that forgot header_safe cannot write a second header
    from crm.mail.message import compose

    with pytest.raises(ValueError):
        compose([("Subject", attack)], "x", "<p>x</p>")
    with pytest.raises(ValueError):
        address(attack, "lead@example.ie")


def test_a_hostile_name_through_the_whole_pipeline(db: Database, smtp_settings: Settings, sink: Sink) -> None:
    # Given a lead whose name carries markup (the intake keeps names; CR/LF are handled at the header)
    lead_id = inquire(db, email="eve@example.ie", first_name='Eve <script>alert(1)</script>"')
    classify(db, lead_id)
    transport = transport_from_url(smtp_settings.mail_url)
    assert run_due(db, smtp_settings, transport, T0) == ["sent"]
    transport.close()
    [message] = sink.to("eve@example.ie")
    assert sink.envelopes[-1][1] == ["eve@example.ie"]
    html = message.get_body(preferencelist=("html",)).get_content()
    text = message.get_body(preferencelist=("plain",)).get_content()
    # Then it is escaped in HTML and kept as plain text in the text part
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "Eve <script>alert(1)</script>" in text


def test_long_non_ascii_headers_are_folded_with_crlf() -> None:
    # A long French subject and name: encoded words on lines of at most 76 characters, CRLF only
    subject = "Programme de mobilité internationale francophone (Mobilité francophone) : vos prochaines étapes, Léa"
    name = "Élodie-Léa Tremblay-Gagnon"
    message = build_message(subject=subject, text="x\n", html="<p>x</p>", mail_from="Maple <h@maple.example>",
                            to_name=name, to_address="lea@example.ca", reply_token="ab" * 16,
                            unsubscribe_url="http://localhost/u/x", now=NOW)
    head = message.data.split(b"\r\n\r\n", 1)[0]
    assert b"\n" not in head.replace(b"\r\n", b"") and b"\r" not in head.replace(b"\r\n", b"")
    encoded = [line for line in head.split(b"\r\n") if b"=?utf-8?b?" in line]
    assert len(encoded) > 2 and max(len(line) for line in encoded) <= 76
    parsed = message_from_bytes(message.data, policy=policy.default)
    assert str(parsed["Subject"]) == subject
    assert parsed["To"].addresses[0].display_name == name


def test_header_text_loses_bidi_overrides_stored_before_the_intake_refused_them() -> None:
    # A name stored before the intake refused U+202E must not reverse the rest of a subject or To line
    assert header_safe("Ana\u202egnp.exe \u2066x\u2069 \x85y") == "Ana gnp.exe x y"


def test_a_long_name_reaches_the_to_line_whole(db: Database, smtp_settings: Settings, sink: Sink) -> None:
    # Lead trial: "Maria-Dolores-... Fernández de Córdoba y Montemayor-Altamirano de los Ríos" read her own name cut
    # to "...Montemayor-Altamir" in the To line (a limit of 100 characters for first and last names together).
    first = "Maria-Dolores-Esperanza-Guadalupe-de-la-Santísima-Trinidad"
    last = "Fernández de Córdoba y Montemayor-Altamirano de los Ríos " + "x" * 43
    assert len(first) <= 100 and len(last) == 100
    lead_id = inquire(db, email="maria@example.es", first_name=first, last_name=last, citizenships=["Spain"])
    classify(db, lead_id)
    transport = transport_from_url(smtp_settings.mail_url)
    assert run_due(db, smtp_settings, transport, T0) == ["sent"]
    transport.close()
    [message] = sink.to("maria@example.es")
    assert message["To"].addresses[0].display_name == f"{first} {last}"
