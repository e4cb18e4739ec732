"""Fixtures for the email tests: a real SMTP server (aiosmtpd) on a free loopback port, settings that
send to it, and Dramatiq's stub broker with an in-process worker."""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Iterator
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from crm import runtime
from crm.config import Settings
from crm.db import Database
from tests.brokers import stub_broker, stub_worker  # noqa: F401  (fixtures)
from workers.actors.email import close_transports


class Sink:
    """An SMTP handler that keeps every accepted message; it can refuse addresses (550) and answer
    451 to the next N messages, like a real server under load."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self.refuse: set[str] = set()
        self.tempfail_next = 0
        self.sessions = 0
        self.lock = threading.Lock()

    async def handle_EHLO(self, server: Any, session: Any, envelope: Any, hostname: str,
                          responses: list[str]) -> list[str]:
        session.host_name = hostname
        with self.lock:
            self.sessions += 1
        return responses

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str,
                          rcpt_options: list[str]) -> str:
        if address.lower() in self.refuse:
            return "550 5.1.1 No such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.lock:
            if self.tempfail_next > 0:
                self.tempfail_next -= 1
                return "451 4.3.0 Mailbox temporarily unavailable, try again later"
            message = message_from_bytes(envelope.content, policy=policy.default)
            self.messages.append(message)  # type: ignore[arg-type]
            self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        return "250 Message accepted"

    def to(self, address: str) -> list[EmailMessage]:
        with self.lock:
            return [m for m, (_f, rcpts) in zip(self.messages, self.envelopes, strict=True) if address in rcpts]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def sink() -> Iterator[Sink]:
    handler = Sink()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port(), loop=asyncio.new_event_loop())
    controller.start()
    handler.port = controller.port  # type: ignore[attr-defined]
    yield handler
    controller.stop()
    controller.loop.close()


@pytest.fixture(autouse=True)
def mail_journal(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Each test's hand-over journals in a folder of its own (crm/mail/journal.py reads the variable each time)."""
    folder = tmp_path_factory.mktemp("mail-journal")
    monkeypatch.setenv("CRM_MAIL_JOURNAL_DIR", str(folder))
    yield folder


@pytest.fixture
def smtp_settings(settings: Settings, db: Database, sink: Sink) -> Iterator[Settings]:
    """The test settings, sending through SMTP to the sink (installed as the process's settings)."""
    changed = Settings(**{**settings.__dict__,
                          "mail_url": f"smtp://127.0.0.1:{sink.port}?starttls=off&timeout=5"})  # type: ignore[attr-defined]
    runtime.use(changed, db)
    yield changed
    close_transports()


