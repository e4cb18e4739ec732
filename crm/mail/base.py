"""The transport interface and the factory that reads CRM_MAIL_URL."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol
from urllib.parse import urlsplit

from crm.mail.message import MailMessage


class Transport(Protocol):
    def send(self, message: MailMessage, handover: Callable[[], None] | None = None) -> None:
        """Hand one message over; raise a crm.mail.errors.MailError subclass when that fails.
        `handover` is called once, right before the bytes that may deliver the message leave (SMTP
        DATA, the file write); if it raises, nothing is sent and the exception propagates."""

    def close(self) -> None:
        """Release connections (SMTP); a no-op for the others."""


def transport_from_url(url: str) -> Transport:
    """smtp://[user:password@]host[:port][?starttls=auto|require|off&timeout=S&verify=on|off],
    smtps://... (TLS from the first byte), file:///path/to/outbox, console:."""
    scheme = urlsplit(url).scheme.lower()
    if scheme in ("smtp", "smtps"):
        from crm.mail.smtp import SMTPTransport

        return SMTPTransport.from_url(url)
    if scheme == "file":
        from crm.mail.file import FileTransport

        return FileTransport.from_url(url)
    if scheme == "console":
        from crm.mail.console import ConsoleTransport

        return ConsoleTransport()
    raise ValueError("CRM_MAIL_URL must start with smtp://, smtps://, file:// or console:")
