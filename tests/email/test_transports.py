"""The transports chosen by CRM_MAIL_URL: SMTP (plain, STARTTLS with AUTH, implicit TLS; one
connection reused across messages), file:// (one .eml per message) and console:."""

from __future__ import annotations

import asyncio
import io
import shutil
import ssl
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from crm.mail import PermanentMailError, TemporaryMailError, transport_from_url
from crm.mail.console import ConsoleTransport
from crm.sequences.rendering import build_message
from tests.email.conftest import Sink, free_port

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


def _message(to: str = "lead@example.ie", subject: str = "Hello") -> Any:
    return build_message(subject=subject, text="Hello\n", html="<p>Hello</p>", mail_from="Maple <hello@maple.example>",
                         to_name="Lead", to_address=to, reply_token="ab" * 16,
                         unsubscribe_url="http://localhost/unsubscribe/x", now=NOW)


def test_smtp_reuses_one_connection_for_many_messages(sink: Sink) -> None:
    transport = transport_from_url(f"smtp://127.0.0.1:{sink.port}?starttls=off")  # type: ignore[attr-defined]
    for i in range(5):
        transport.send(_message(subject=f"Message {i}"))
    transport.close()
    assert [str(m["Subject"]) for m in sink.messages] == [f"Message {i}" for i in range(5)]
    assert sink.sessions == 1


def test_smtp_sorts_failures_into_temporary_and_permanent(sink: Sink) -> None:
    transport = transport_from_url(f"smtp://127.0.0.1:{sink.port}?starttls=off")  # type: ignore[attr-defined]
    sink.refuse.add("gone@example.ie")
    with pytest.raises(PermanentMailError) as refused:
        transport.send(_message(to="gone@example.ie"))
    assert refused.value.recipient and refused.value.code == 550
    sink.tempfail_next = 1
    with pytest.raises(TemporaryMailError) as later:
        transport.send(_message())
    assert later.value.code == 451
    transport.send(_message())  # the same connection still works after both
    transport.close()
    assert len(sink.messages) == 1
    down = transport_from_url(f"smtp://127.0.0.1:{free_port()}?timeout=2")
    with pytest.raises(TemporaryMailError):
        down.send(_message())


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    if shutil.which("openssl") is None:
        pytest.skip("openssl is needed to make a test certificate")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=localhost",
                    "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)
    return cert, key


def _authenticator(server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> AuthResult:
    ok = isinstance(auth_data, LoginPassword) and auth_data.login == b"mailer" and auth_data.password == b"s3cret"
    if ok:
        return AuthResult(success=True)
    return AuthResult(success=False, handled=False, message="535 5.7.8 Authentication credentials invalid")


@pytest.fixture
def tls_sink(certificate: tuple[Path, Path]) -> Iterator[tuple[Sink, int, int]]:
    """One server offering STARTTLS and requiring AUTH, one speaking TLS from the first byte."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(str(certificate[0]), str(certificate[1]))
    handler = Sink()
    starttls = Controller(handler, hostname="127.0.0.1", port=free_port(), loop=asyncio.new_event_loop(),
                          tls_context=context, require_starttls=True, authenticator=_authenticator,
                          auth_required=True, auth_exclude_mechanism=["LOGIN"])
    implicit = Controller(handler, hostname="127.0.0.1", port=free_port(), loop=asyncio.new_event_loop(),
                          ssl_context=context, server_hostname="localhost")
    starttls.start()
    implicit.start()
    yield handler, starttls.port, implicit.port
    for controller in (starttls, implicit):
        controller.stop()
        controller.loop.close()


def test_starttls_with_auth_and_implicit_tls(tls_sink: tuple[Sink, int, int]) -> None:
    sink, starttls_port, implicit_port = tls_sink
    secure = transport_from_url(f"smtp://mailer:s3cret@127.0.0.1:{starttls_port}?starttls=require&verify=off")
    secure.send(_message(subject="over STARTTLS"))
    secure.close()
    wrong = transport_from_url(f"smtp://mailer:nope@127.0.0.1:{starttls_port}?starttls=require&verify=off")
    with pytest.raises(PermanentMailError):
        wrong.send(_message())
    tls = transport_from_url(f"smtps://127.0.0.1:{implicit_port}?verify=off")
    tls.send(_message(subject="over TLS"))
    tls.close()
    assert [str(m["Subject"]) for m in sink.messages] == ["over STARTTLS", "over TLS"]


def test_file_transport_writes_one_eml_per_message(tmp_path: Path) -> None:
    outbox = tmp_path / "outbox"
    transport = transport_from_url(f"file://{outbox}")
    transport.send(_message(subject="First"))
    transport.send(_message(subject="Second"))
    files = sorted(outbox.glob("*.eml"))
    assert len(files) == 2
    subjects = {str(message_from_bytes(f.read_bytes(), policy=policy.default)["Subject"]) for f in files}
    assert subjects == {"First", "Second"}
    assert not list(outbox.glob(".tmp-*"))


def test_console_transport_prints_the_message() -> None:
    out = io.StringIO()
    ConsoleTransport(out).send(_message(subject="Printed"))
    printed = out.getvalue()
    assert "Subject: Printed" in printed and "List-Unsubscribe-Post: List-Unsubscribe=One-Click" in printed
    assert isinstance(transport_from_url("console:"), ConsoleTransport)


def test_unknown_schemes_are_refused() -> None:
    with pytest.raises(ValueError):
        transport_from_url("http://example.com")


def test_envelope_addresses_are_quoted_as_smtplib_quotes_them() -> None:
    import smtplib

    from crm.mail.smtp import _quoted

    for address in ("lead1@bench.example", "a.b+tag@sub.example.ca", "o'neil@example.ie", "x_y-z@host",
                    "Name <a@b.example>", "a..b@example.com", ".a@example.com", "a b@example.com",
                    "\"quoted\"@example.com", "no-at-sign", "", "<already@quoted.example>", "a@b@c"):
        assert _quoted(address) == smtplib.quoteaddr(address), address
